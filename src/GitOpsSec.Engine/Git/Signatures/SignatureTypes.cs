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

    public static SignatureFormat Detect(string signature) =>
        signature.Contains("-----BEGIN PGP SIGNATURE-----", StringComparison.Ordinal) ? SignatureFormat.OpenPGP
        : signature.Contains("-----BEGIN SSH SIGNATURE-----", StringComparison.Ordinal) ? SignatureFormat.SSH
        : signature.Contains("-----BEGIN SIGNED MESSAGE-----", StringComparison.Ordinal) || signature.Contains("-----BEGIN CMS-----", StringComparison.Ordinal) ? SignatureFormat.X509
        : SignatureFormat.Unknown;
}
