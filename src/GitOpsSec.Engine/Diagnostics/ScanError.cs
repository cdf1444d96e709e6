namespace GitOpsSec.Diagnostics;

/// <summary>The kind of failure, mapped 1:1 onto PowerShell's ErrorCategory by the cmdlets.</summary>
public enum ScanErrorCategory
{
    InvalidData,
    ObjectNotFound,
    ReadError,
    LimitsExceeded,
    InvalidArgument,
    NotInstalled,
    InvalidOperation,
    PermissionDenied,

    /// <summary>Refused because going on would weaken security (plain http for a key, a weak key).</summary>
    SecurityError,
}

/// <summary>
/// One non-terminating problem with one input (a file, a document, a revision). ErrorId is stable
/// (e.g. <c>GitOpsSec.Manifest.InvalidYaml</c>) so scripts can filter on it.
/// </summary>
public sealed record ScanError(
    string ErrorId,
    ScanErrorCategory Category,
    string Message,
    string? Target,
    int? Line = null,
    int? Column = null,
    Exception? Exception = null)
{
    public override string ToString()
    {
        string where = Target is null ? string.Empty : Line is null ? $"{Target}: " : $"{Target}:{Line}: ";
        return $"{where}{Message} ({ErrorId})";
    }
}

/// <summary>The stable error ids the engine emits, in one place.</summary>
public static class ErrorIds
{
    public const string PathNotFound = "GitOpsSec.Manifest.PathNotFound";
    public const string InvalidYaml = "GitOpsSec.Manifest.InvalidYaml";
    public const string DuplicateKey = "GitOpsSec.Manifest.DuplicateKey";
    public const string AliasBomb = "GitOpsSec.Manifest.AliasLimitExceeded";
    public const string TooDeep = "GitOpsSec.Manifest.NestingTooDeep";
    public const string FileTooLarge = "GitOpsSec.Manifest.FileTooLarge";
    public const string BinaryFile = "GitOpsSec.Manifest.BinaryFile";
    public const string InvalidEncoding = "GitOpsSec.Manifest.InvalidEncoding";
    public const string ReadFailed = "GitOpsSec.Manifest.ReadFailed";
    public const string TooManyDocuments = "GitOpsSec.Manifest.TooManyDocuments";
    public const string OutsideRoot = "GitOpsSec.Manifest.OutsideRoot";
    public const string KustomizeFailed = "GitOpsSec.Manifest.KustomizeFailed";
    public const string ApplicationCycle = "GitOpsSec.Application.Cycle";
    public const string ApplicationPathNotFound = "GitOpsSec.Application.PathNotFound";
    public const string GeneratorUnresolved = "GitOpsSec.Application.GeneratorUnresolved";
    public const string UnknownVariable = "GitOpsSec.Application.UnknownVariable";
    public const string ApplicationNotFound = "GitOpsSec.Application.NotFound";
    public const string ApplicationLiveNotSupported = "GitOpsSec.Application.LiveNotSupported";
    public const string NotARepository = "GitOpsSec.Git.NotARepository";
    public const string RevisionNotFound = "GitOpsSec.Git.RevisionNotFound";
    public const string GitReadFailed = "GitOpsSec.Git.ReadFailed";
    public const string RuleNotFound = "GitOpsSec.Rule.NotFound";

    /// <summary>A filter value that names nothing the module knows (Get-GitOpsRule -Category Foo, -Capability Foo).</summary>
    public const string UnknownFilterValue = "GitOpsSec.Filter.UnknownValue";
    public const string SuppressionWithoutReason = "GitOpsSec.Suppression.MissingReason";
    public const string CertificateInvalid = "GitOpsSec.SealedSecret.InvalidCertificate";
    public const string CertificateNotRsa = "GitOpsSec.SealedSecret.CertificateNotRsa";
    public const string CertificateIsPrivateKey = "GitOpsSec.SealedSecret.PrivateKeyNotCertificate";
    public const string CertificateUnreachable = "GitOpsSec.SealedSecret.CertificateUnreachable";
    public const string CertificateInsecureUri = "GitOpsSec.SealedSecret.InsecureCertificateUri";
    public const string CertificateWeakKey = "GitOpsSec.SealedSecret.WeakCertificateKey";
    public const string PrivateKeyInvalid = "GitOpsSec.SealedSecret.InvalidPrivateKey";
    public const string NotASealedSecret = "GitOpsSec.SealedSecret.NotASealedSecret";
    public const string NotASecret = "GitOpsSec.SealedSecret.NotASecret";
    public const string InvalidCiphertext = "GitOpsSec.SealedSecret.InvalidCiphertext";
    public const string DecryptFailed = "GitOpsSec.SealedSecret.DecryptFailed";
    public const string NamespaceRequired = "GitOpsSec.SealedSecret.NamespaceRequired";
    public const string InvalidSecretData = "GitOpsSec.SealedSecret.InvalidSecretData";
    public const string WriteFailed = "GitOpsSec.SealedSecret.WriteFailed";
    public const string RoleNotFound = "GitOpsSec.Rbac.RoleNotFound";
    public const string UnknownVerb = "GitOpsSec.Rbac.UnknownVerb";
    public const string MalformedRule = "GitOpsSec.Rbac.MalformedRule";
    public const string MalformedBinding = "GitOpsSec.Rbac.MalformedBinding";
    public const string SecretFileTooLarge = "GitOpsSec.Secrets.FileTooLarge";
    public const string SecretInvalidEncoding = "GitOpsSec.Secrets.InvalidEncoding";
    public const string SecretReadFailed = "GitOpsSec.Secrets.ReadFailed";
    public const string SecretScanTimeout = "GitOpsSec.Secrets.ScanTimeout";
}
