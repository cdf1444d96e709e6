namespace GitOpsSec.Git.Signatures;

/// <summary>The kind of signature on a commit or tag.</summary>
public enum SignatureFormat
{
    None,
    OpenPGP,
    SSH,
    X509,
    Unknown,
}

/// <summary>
/// The verdict on one signature, the way git's %G? reports it (letter in comments). Anything not
/// proven is not Good: fail closed.
/// </summary>
public enum SignatureStatus
{
    /// <summary>G: valid, by a trusted key.</summary>
    Good,

    /// <summary>B: the signature does not match the signed content (tampered, or the wrong key).</summary>
    Bad,

    /// <summary>E: the signing key is not among the keys given, so it cannot be checked.</summary>
    UnknownKey,

    /// <summary>U: valid, but the key is not trusted for this (e.g. not in allowed_signers, outside its validity window).</summary>
    Untrusted,

    /// <summary>X: valid, but the signature has expired.</summary>
    ExpiredSignature,

    /// <summary>Y: valid, made by a key that has expired.</summary>
    ExpiredKey,

    /// <summary>R: valid, made by a key that has been revoked.</summary>
    RevokedKey,

    /// <summary>N: no signature.</summary>
    Unsigned,

    /// <summary>E: the signature could not be parsed or uses an unsupported algorithm.</summary>
    Error,
}

/// <summary>What a verifier concluded about one signature over some bytes.</summary>
public sealed record SignatureVerdict(
    SignatureFormat Format,
    SignatureStatus Status,
    string Reason,
    string? KeyId = null,
    string? Fingerprint = null,
    string? Signer = null,
    string? Algorithm = null)
{
    /// <summary>git's %G? letter for the status.</summary>
    public string GitLetter => Letter(Status);

    public static string Letter(SignatureStatus status) => status switch
    {
        SignatureStatus.Good => "G",
        SignatureStatus.Bad => "B",
        SignatureStatus.Untrusted => "U",
        SignatureStatus.ExpiredSignature => "X",
        SignatureStatus.ExpiredKey => "Y",
        SignatureStatus.RevokedKey => "R",
        SignatureStatus.Unsigned => "N",
        _ => "E",
    };

    /// <summary>The format as git decides it (gpg-interface.c get_format_by_sig): by the marker the signature starts with.</summary>
    public static SignatureFormat Detect(string signature) =>
        signature.StartsWith("-----BEGIN PGP SIGNATURE-----", StringComparison.Ordinal) || signature.StartsWith("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal) ? SignatureFormat.OpenPGP
        : signature.StartsWith("-----BEGIN SSH SIGNATURE-----", StringComparison.Ordinal) ? SignatureFormat.SSH
        : signature.StartsWith("-----BEGIN SIGNED MESSAGE-----", StringComparison.Ordinal) ? SignatureFormat.X509
        : SignatureFormat.Unknown;

    /// <summary>The markers git recognises at the start of a line as the beginning of a signature (gpg-interface.c).</summary>
    internal static readonly string[] Markers =
    {
        "-----BEGIN PGP SIGNATURE-----", "-----BEGIN PGP MESSAGE-----", "-----BEGIN SSH SIGNATURE-----", "-----BEGIN SIGNED MESSAGE-----",
    };
}

/// <summary>ASCII armor of a signature as git stores it in a header or at the end of a tag.</summary>
internal static class SignatureArmor
{
    /// <summary>
    /// Whether <paramref name="text"/> is exactly one "-----BEGIN {label}-----" ... "-----END {label}-----" block
    /// (whitespace around it allowed). A second block, or anything after the first, is how a duplicated
    /// gpgsig header or a spliced signature shows; verifying only the first would ignore the rest.
    /// </summary>
    public static bool IsSingleBlock(string text, string label)
    {
        string begin = $"-----BEGIN {label}-----", end = $"-----END {label}-----";
        string trimmed = text.Trim();
        return trimmed.StartsWith(begin, StringComparison.Ordinal) && trimmed.EndsWith(end, StringComparison.Ordinal)
            && trimmed.IndexOf(begin, begin.Length, StringComparison.Ordinal) < 0
            && trimmed.IndexOf(end, StringComparison.Ordinal) == trimmed.Length - end.Length;
    }
}
