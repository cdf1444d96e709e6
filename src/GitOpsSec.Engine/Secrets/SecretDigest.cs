using System.Security.Cryptography;
using System.Text;

namespace GitOpsSec.Secrets;

/// <summary>
/// The only digest of a secret value that reaches any output (finding fingerprints, baselines, drift): an
/// HMAC-SHA256 under a key that is never written into a report. An unkeyed hash would let anyone holding a
/// SARIF file test a word list against it (a weak password such as Summer2024! falls at once); without the
/// key the digest says nothing about the value. The key is stable, so fingerprints and baselines are too:
/// - $GITOPSSEC_FINGERPRINT_KEY when set (share it, as a CI secret, between machines that share baselines);
/// - else a random 256-bit key in the user's config folder (gitopssec/fingerprint.key, mode 0600), made on first use;
/// - else, when that folder cannot be written, a key for this process only (fingerprints then differ between runs).
/// </summary>
public static class SecretDigest
{
    public const string KeyVariable = "GITOPSSEC_FINGERPRINT_KEY";

    private static readonly Lazy<(byte[] Key, string Source)> State = new(LoadKey);

    /// <summary>Where the key came from: the environment variable, the key file's path, or "this process".</summary>
    public static string KeySource => State.Value.Source;

    /// <summary>A short public identifier of the key (not the key), recorded in baselines so a baseline made under another key is recognised.</summary>
    public static string KeyId => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("gitopssec-fingerprint-key-id\0").Concat(State.Value.Key).ToArray()), 0, 6).ToLowerInvariant();

    /// <summary>The keyed digest of a value, lower-case hex.</summary>
    public static string Of(ReadOnlySpan<byte> value) => Convert.ToHexString(HMACSHA256.HashData(State.Value.Key, value)).ToLowerInvariant();

    /// <summary>The keyed digest of a text value (UTF-8).</summary>
    public static string Of(string value) => Of(Encoding.UTF8.GetBytes(value));

    /// <summary>The key file: $XDG_CONFIG_HOME (or ~/.config)/gitopssec/fingerprint.key.</summary>
    public static string KeyFile() => Path.Combine(Reports.ProtectedPolicy.UserConfigFolder(), "fingerprint.key");

    private static (byte[], string) LoadKey()
    {
        if (Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } fromEnvironment)
        {
            return (Encoding.UTF8.GetBytes(fromEnvironment), "$" + KeyVariable);
        }
        string file = KeyFile();
        try
        {
            if (!File.Exists(file))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                byte[] fresh = RandomNumberGenerator.GetBytes(32);
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                try
                {
                    using var stream = new FileStream(file, options);
                    stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(fresh) + "\n"));
                }
                catch (IOException) when (File.Exists(file))
                {
                    // Another process made it first: use theirs.
                }
            }
            byte[] key = Convert.FromBase64String(File.ReadAllText(file).Trim());
            return key.Length >= 16 ? (key, file) : throw new FormatException("the key is shorter than 128 bits");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return (RandomNumberGenerator.GetBytes(32), $"this process (the key file {file} could not be used: {e.Message})");
        }
    }
}
