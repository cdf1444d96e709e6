using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GitOpsSec.Manifests;

namespace GitOpsSec.Secrets;

/// <summary>What a file's bytes are, for the scanner.</summary>
public enum ContentKind
{
    Text,
    Binary,

    /// <summary>Not valid UTF-8; decoded with replacement characters and scanned anyway.</summary>
    InvalidText,
}

/// <summary>Small pure helpers of secret scanning: decoding, entropy, redaction, placeholders, format checks.</summary>
public static class SecretText
{
    private const int BinarySniffBytes = 8000;
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding LenientUtf8 = new(false, throwOnInvalidBytes: false);

    /// <summary>Decodes file bytes: BOM-marked UTF-8/16/32, else UTF-8; NUL bytes in the first 8,000 mean binary.</summary>
    public static string? Decode(byte[] bytes, out ContentKind kind, out int invalidOffset) => Decode(bytes.AsSpan(), out kind, out invalidOffset);

    /// <inheritdoc cref="Decode(byte[], out ContentKind, out int)"/>
    public static string? Decode(ReadOnlySpan<byte> bytes, out ContentKind kind, out int invalidOffset)
    {
        invalidOffset = -1;
        Encoding? bom = YamlDocumentReader.DetectBom(bytes, out int bomLength);
        if (bom is null && bytes[..Math.Min(bytes.Length, BinarySniffBytes)].IndexOf((byte)0) >= 0)
        {
            kind = ContentKind.Binary;
            return null;
        }
        Encoding encoding = bom ?? StrictUtf8;
        try
        {
            kind = ContentKind.Text;
            return encoding.GetString(bytes[bomLength..]);
        }
        catch (DecoderFallbackException e)
        {
            kind = ContentKind.InvalidText;
            invalidOffset = e.Index >= 0 ? bomLength + e.Index : 0;
            return Lenient(encoding).GetString(bytes[bomLength..]);
        }
    }

    private static Encoding Lenient(Encoding strict) => strict switch
    {
        UnicodeEncoding u => new UnicodeEncoding(u.GetPreamble().FirstOrDefault() == 0xFE, false, false),
        UTF32Encoding => new UTF32Encoding(strict.GetPreamble().FirstOrDefault() == 0, false, false),
        _ => LenientUtf8,
    };

    /// <summary>Shannon entropy in bits per character.</summary>
    public static double Entropy(string s)
    {
        if (s.Length == 0)
        {
            return 0;
        }
        var counts = new Dictionary<char, int>();
        foreach (char c in s)
        {
            counts[c] = counts.GetValueOrDefault(c) + 1;
        }
        double entropy = 0;
        foreach (int n in counts.Values)
        {
            double p = (double)n / s.Length;
            entropy -= p * Math.Log2(p);
        }
        return entropy;
    }

    /// <summary>A value safe to print: AKIA************MPLE; short values show at most two characters.</summary>
    /// <summary>
    /// The one redaction path for text that goes into any output (finding messages and evidence, commit subjects,
    /// policy messages): every credential the secret detectors recognise in it is replaced by its redaction. A
    /// Flux source URL with user:password in it is shown as https://user:********@host, wherever it appears.
    /// </summary>
    public static string RedactIn(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }
        if (text.Length > 256)
        {
            return Redacted(text);
        }
        if (SecretScanner.Default.CannotFind(text))
        {
            return text; // nothing any detector could find: no scan and no cache entry (each unique name would take one)
        }
        // Rule values repeat across objects ("privileged: true", "Container 'web'"): each is scanned once. The
        // cache is bounded by a counter of its own: ConcurrentDictionary.Count takes every lock of the table, and
        // asking it per piece made redaction ten times slower than the scan it caches.
        if (RedactedPieces.TryGetValue(text, out string? known))
        {
            return known;
        }
        string redacted = Redacted(text);
        if (Interlocked.Increment(ref _cachedPieces) > 8192)
        {
            RedactedPieces.Clear();
            Interlocked.Exchange(ref _cachedPieces, 0);
        }
        RedactedPieces.TryAdd(text, redacted);
        return redacted;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> RedactedPieces = new(StringComparer.Ordinal);
    private static int _cachedPieces;

    private static string Redacted(string text)
    {
        IReadOnlyList<SecretHit> hits;
        try
        {
            hits = SecretScanner.Default.Scan(text);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return Mask; // undecidable in bounded time: show nothing rather than risk a secret
        }
        foreach (string secret in hits.Select(h => h.Secret).Where(s => s.Length > 0).Distinct().OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, Redact(secret), StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>The fixed-width mask: it says nothing about the length of what it hides.</summary>
    public const string Mask = "********";

    /// <summary>
    /// What output shows of a secret: at most 4 characters of its start (enough to tell an AKIA or ghp_ token from
    /// another) and a fixed mask, never its end and never its length: 4 characters of a secret of 20 or more,
    /// 2 of one of 12 to 19, none of a shorter one.
    /// </summary>
    public static string Redact(string secret) => secret.Length switch
    {
        >= 20 => secret[..4] + Mask,
        >= 12 => secret[..2] + Mask,
        _ => Mask,
    };


    private static readonly string[] PlaceholderWords =
    {
        "example", "changeme", "change-me", "change_me", "changeit", "placeholder", "redacted", "dummy", "sample",
        "your-", "your_", "yourpassword", "yoursecret", "xxxxx", "*****", "replaceme", "replace-me", "replace_me",
        "insert", "fakefake", "notasecret", "not-a-secret", "<none>", "todo",
    };

    private static readonly HashSet<string> PlaceholderValues = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passwd", "pass", "secret", "pwd", "token", "apikey", "api_key", "none", "null", "nil", "undefined",
        "empty", "hidden", "masked", "private", "secretpassword", "mypassword", "mysecret",
    };

    /// <summary>
    /// A value that stands for a secret rather than being one: empty, templated (${VAR}, {{ .Values.x }},
    /// $(VAR), %VAR%, &lt;...&gt;), a well-known placeholder (changeme, redacted, provider docs' EXAMPLE keys)
    /// or one character repeated.
    /// </summary>
    public static bool IsPlaceholder(string value)
    {
        string v = value.Trim().Trim('"', '\'');
        if (v.Length == 0)
        {
            return true;
        }
        if (v.Contains("${", StringComparison.Ordinal) || v.Contains("{{", StringComparison.Ordinal) ||
            v.Contains("$(", StringComparison.Ordinal) || (v[0] == '$' && v.Length > 1 && (char.IsLetter(v[1]) || v[1] == '_')) ||
            (v[0] == '%' && v[^1] == '%') || (v[0] == '<' && v[^1] == '>'))
        {
            return true;
        }
        if (v.All(c => c == v[0]) || PlaceholderValues.Contains(v) || v.Contains("...", StringComparison.Ordinal) || IsReferenceOrCiphertext(v))
        {
            return true;
        }
        string lower = v.ToLowerInvariant();
        return PlaceholderWords.Any(w => lower.Contains(w, StringComparison.Ordinal)) || LooksMadeUp(v);
    }

    private static readonly string[] Sequences = { "abcdefghijklmnop", "1234567890", "a1b2c3d4e5", "qwertyuiop", "0123456789abcdef" };

    /// <summary>
    /// A value typed by a person to look like a token: a keyboard or alphabet sequence (abcdefghij..., 1234567890,
    /// a1b2c3d4...), one character making up half of it, or a run of 7 of one character (not 'A': base64 of zero
    /// bytes gives real tokens such runs).
    /// </summary>
    private static bool LooksMadeUp(string v)
    {
        if (v.Length < 12)
        {
            return false;
        }
        foreach (string q in Sequences)
        {
            if (v.Contains(q, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        Span<int> counts = stackalloc int[128];
        int run = 1, longest = 1;
        for (int i = 0; i < v.Length; i++)
        {
            char c = v[i];
            if (c < 128 && ++counts[c] * 2 >= v.Length)
            {
                return true;
            }
            run = i > 0 && v[i - 1] == c ? run + 1 : 1;
            if (c != 'A')
            {
                longest = Math.Max(longest, run);
            }
        }
        return longest >= 7;
    }

    private static readonly string[] ReferencePrefixes =
    {
        "op://", "ref+", "vault:", "<path:", "akv://", "sm://", "awssm://", "gcpsm://", "azkv://", "bw://", "doppler://",
        "infisical://", "secretref+", "@microsoft.keyvault(", "arn:aws:secretsmanager:", "arn:aws:ssm:",
    };

    private static readonly System.Text.RegularExpressions.Regex PasswordHash = new(
        @"^(?:[^:\s]{1,64}:)?\$(?:1|2[abxy]?|5|6|7|y|gy|apr1|argon2(?:id|i|d)|scrypt|pbkdf2(?:-sha\d{1,3})?)\$[./A-Za-z0-9$=,+-]{8,}$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static readonly System.Text.RegularExpressions.Regex SealedCiphertext = new(
        @"^(?:Ag|AQ)[A-Za-z0-9+/]{180,}={0,2}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static readonly System.Text.RegularExpressions.Regex EnvironmentName = new(
        @"^\{[A-Z_][A-Z0-9_]{1,127}\}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>
    /// A value that points at a secret or hides it, rather than being one: a secret-store reference resolved at
    /// deploy time (1Password op://, vals ref+, vault:, argocd-vault-plugin &lt;path:…&gt;, Key Vault, AWS secret ARNs),
    /// SOPS ciphertext (ENC[…]), SealedSecret ciphertext, a {ENV_NAME} substitution or a password hash (crypt,
    /// htpasswd, argon2): none of them is a usable credential in the repository.
    /// </summary>
    public static bool IsReferenceOrCiphertext(string value)
    {
        string v = value.Trim().Trim('"', '\'');
        if (v.Length > 4096)
        {
            // Only the cheap whole-value shape of SOPS ciphertext: a SOPS-encrypted file or certificate is longer than this.
            return v.StartsWith("ENC[AES256_GCM,data:", StringComparison.Ordinal) && v.EndsWith(']') && v.IndexOf(']') == v.Length - 1;
        }
        if (v.Length < 3)
        {
            return false;
        }
        // Cheap tests first: this runs for every candidate value of every file.
        if ((v.Contains(':') || v[0] is '<' or '@') && ReferencePrefixes.Any(p => v.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }
        return v.Contains("ENC[", StringComparison.Ordinal) && (v.EndsWith(']') || v.Contains("ENC[AES256_GCM,", StringComparison.Ordinal)) ||
            v.Contains('$') && PasswordHash.IsMatch(v) ||
            v.Length >= 182 && v[0] == 'A' && v[1] is 'g' or 'Q' && SealedCiphertext.IsMatch(v) ||
            v[0] == '{' && EnvironmentName.IsMatch(v);
    }

    /// <summary>GitHub and npm tokens: the last six characters are base62(CRC32(the 30 random characters)).</summary>
    public static bool HasValidCrc32Checksum(string token)
    {
        int underscore = token.IndexOf('_');
        if (underscore < 0 || token.Length < underscore + 1 + 7)
        {
            return false;
        }
        string body = token[(underscore + 1)..^6];
        uint crc = Crc32(Encoding.ASCII.GetBytes(body));
        return Base62(crc, 6) == token[^6..];
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c;
    }).ToArray();

    /// <summary>CRC-32 (IEEE 802.3, as zlib computes it).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return crc ^ 0xFFFFFFFFu;
    }

    internal static string Base62(uint value, int width)
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var chars = new char[width];
        for (int i = width - 1; i >= 0; i--)
        {
            chars[i] = alphabet[(int)(value % 62)];
            value /= 62;
        }
        return new string(chars);
    }

    /// <summary>A JWT whose header and payload decode to JSON objects and whose header names an alg.</summary>
    /// <summary>The claims of the example token every JWT tutorial shows (jwt.io: sub 1234567890, name John Doe).</summary>
    private static bool IsDocumentationExample(JsonElement claims) =>
        claims.TryGetProperty("sub", out JsonElement sub) && sub.ValueKind == JsonValueKind.String && sub.GetString() == "1234567890" &&
        claims.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String && name.GetString() == "John Doe";

    /// <summary>A JWT that is the tutorials' example token (its claims are jwt.io's John Doe).</summary>
    public static bool IsJwtDocumentationExample(string token)
    {
        string[] parts = token.Split('.');
        if (parts.Length != 3 || Base64Url(parts[1]) is not byte[] payload)
        {
            return false;
        }
        try
        {
            using JsonDocument p = JsonDocument.Parse(payload);
            return p.RootElement.ValueKind == JsonValueKind.Object && IsDocumentationExample(p.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static bool IsJwt(string token)
    {
        string[] parts = token.Split('.');
        if (parts.Length != 3 || Base64Url(parts[0]) is not byte[] header || Base64Url(parts[1]) is not byte[] payload)
        {
            return false;
        }
        try
        {
            using JsonDocument h = JsonDocument.Parse(header);
            using JsonDocument p = JsonDocument.Parse(payload);
            return h.RootElement.ValueKind == JsonValueKind.Object && h.RootElement.TryGetProperty("alg", out _) &&
                   p.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>base64 of user:password with a real (non-placeholder) password.</summary>
    public static bool IsBasicAuth(string base64)
    {
        string? text = Base64Text(base64);
        int colon = text?.IndexOf(':') ?? -1;
        return text is not null && colon > 0 && colon < text.Length - 1 && !IsPlaceholder(text[(colon + 1)..]);
    }

    /// <summary>base64 that decodes to a PEM private key (kubeconfig client-key-data).</summary>
    public static bool IsBase64PrivateKey(string base64) =>
        Base64Text(base64) is string text && text.Contains("PRIVATE KEY-----", StringComparison.Ordinal) && PemBody(text) is not null;

    /// <summary>
    /// The base64 body of a PEM block (the text between BEGIN and END), without headers, whitespace and
    /// JSON \n escapes; null when what is left is not base64 (a placeholder such as "..." or "&lt;key&gt;").
    /// </summary>
    public static string? PemBody(string block)
    {
        var body = new StringBuilder(block.Length);
        foreach (string raw in block.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\r", string.Empty, StringComparison.Ordinal).Split('\n'))
        {
            string line = raw.Trim().Trim('"', '\'', ',', '+').Trim();
            int begin = line.IndexOf("-----BEGIN", StringComparison.Ordinal);
            if (begin >= 0)
            {
                int end = line.IndexOf("-----", begin + 10, StringComparison.Ordinal);
                line = end >= 0 ? line[(end + 5)..].Trim() : string.Empty;
            }
            int endMarker = line.IndexOf("-----END", StringComparison.Ordinal);
            if (endMarker >= 0)
            {
                line = line[..endMarker].Trim();
            }
            if (line.Length == 0 || (line.Contains(':', StringComparison.Ordinal) && !line.Contains('=', StringComparison.Ordinal) && char.IsLetter(line[0])))
            {
                continue; // Proc-Type:, DEK-Info:, Comment: headers
            }
            body.Append(line);
        }
        string b = body.ToString();
        return b.Length >= 40 && b.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=') ? b : null;
    }

    internal static string? Base64Text(string base64)
    {
        try
        {
            byte[] bytes = Convert.FromBase64String(base64.Trim());
            return StrictUtf8.GetString(bytes);
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return null;
        }
    }

    private static byte[]? Base64Url(string s)
    {
        string b = s.Replace('-', '+').Replace('_', '/');
        b = b.PadRight(b.Length + (4 - b.Length % 4) % 4, '=');
        try
        {
            return Convert.FromBase64String(b);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Offsets where each line starts, for turning a match index into line and column.</summary>
    internal static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = text.IndexOf('\n'); i >= 0; i = text.IndexOf('\n', i + 1))
        {
            starts.Add(i + 1);
        }
        return starts.ToArray();
    }

    /// <summary>1-based (line, column) of an offset.</summary>
    internal static (int Line, int Column) Position(int[] lineStarts, int offset)
    {
        int i = Array.BinarySearch(lineStarts, offset);
        int line = i >= 0 ? i : ~i - 1;
        return (line + 1, offset - lineStarts[line] + 1);
    }

    internal static int Offset(int[] lineStarts, int line, int column) =>
        line >= 1 && line <= lineStarts.Length ? lineStarts[line - 1] + Math.Max(0, column - 1) : 0;
}
