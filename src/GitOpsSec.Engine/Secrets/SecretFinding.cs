using System.Security.Cryptography;
using System.Text;

namespace GitOpsSec.Secrets;

/// <summary>Where a scanned text came from.</summary>
public enum SecretSource
{
    WorkingTree,
    Index,
    History,
}

/// <summary>
/// One leaked credential: which detector, where (file, line, commit), who committed it, and a redacted
/// form. The clear value is only in <see cref="Secret"/> when the scan was asked to show it.
/// </summary>
public sealed record SecretFinding
{
    public required string RuleId { get; init; }
    public required string RuleName { get; init; }
    public required string Provider { get; init; }
    public required Severity Severity { get; init; }
    public required SecretConfidence Confidence { get; init; }
    public required string Message { get; init; }
    public required SecretSource Source { get; init; }

    /// <summary>File relative to the scanned root (working tree) or repository root (index, history), forward slashes.</summary>
    public required string Path { get; init; }

    public int Line { get; init; }
    public int Column { get; init; }
    public string Location => $"{Path}:{Line}";

    /// <summary>For history: the first commit that introduced this content at this path.</summary>
    public string? Commit { get; init; }

    public string? Author { get; init; }
    public DateTimeOffset? Date { get; init; }

    /// <summary>Safe to print: AKIA************MPLE.</summary>
    public required string Redacted { get; init; }

    /// <summary>The clear value, only with -ShowSecret; otherwise null.</summary>
    public string? Secret { get; init; }

    /// <summary>Rule + path + SHA-256 of the value: stable across commits, moves within the file and reformatting.</summary>
    public required string Fingerprint { get; init; }

    public double Entropy { get; init; }

    /// <summary>Structure the value was found in, e.g. "Secret prod/db data.password (base64-decoded)".</summary>
    public string? Context { get; init; }

    public bool Suppressed { get; init; }
    public string? SuppressionReason { get; init; }
    public bool Baselined { get; init; }
    public bool IsOpen => !Suppressed && !Baselined;

    public string? HelpUri { get; init; }

    /// <summary>The deployment units that deploy the file (filled in by Find-GitOpsSecret -Application and Test-GitOpsRepo).</summary>
    public string[] Applications { get; init; } = Array.Empty<string>();

    public static SecretFinding From(SecretHit hit, string path, SecretSource source, bool showSecret,
        string? commit = null, string? author = null, DateTimeOffset? date = null)
    {
        RuleInfo info = hit.Detector.Info;
        return new SecretFinding
        {
            RuleId = info.Id,
            RuleName = info.Name,
            Provider = hit.Detector.Provider,
            Severity = info.Severity,
            Confidence = hit.Confidence,
            Message = info.MessageTemplate + (hit.Context is null ? string.Empty : $" [{hit.Context}]"),
            Source = source,
            Path = path,
            Line = hit.Line,
            Column = hit.Column,
            Commit = commit,
            Author = author,
            Date = date,
            Redacted = SecretText.Redact(hit.Secret),
            Secret = showSecret ? hit.Secret : null,
            Fingerprint = MakeFingerprint(info.Id, path, hit.Secret),
            Entropy = hit.Entropy,
            Context = hit.Context,
            Suppressed = hit.Suppressed,
            SuppressionReason = hit.SuppressionReason,
            HelpUri = info.HelpUri,
        };
    }

    internal static string MakeFingerprint(string ruleId, string path, string secret)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{ruleId}\0{path}\0{SecretDigest.Of(secret)}"));
        return Convert.ToHexString(hash, 0, 16).ToLowerInvariant();
    }

    /// <summary>The shared finding shape (for Test-GitOpsRepo, baselines and reports); never carries the clear value.</summary>
    public Finding ToFinding() => new()
    {
        Applications = Applications,
        RuleId = RuleId,
        RuleName = RuleName,
        Severity = Severity,
        Category = "Secrets",
        Message = Message,
        Remediation = Rules.RuleCatalog.Find(RuleId)?.Remediation,
        Path = Path,
        Line = Line,
        Column = Column,
        Field = Context,
        Commit = Commit,
        Author = Author,
        Fingerprint = Fingerprint,
        Suppressed = Suppressed,
        SuppressionReason = SuppressionReason,
        SuppressedBy = Suppressed ? "Inline" : null,
        Baselined = Baselined,
        Evidence = Redacted,
        HelpUri = HelpUri,
    };

    public override string ToString() =>
        $"{RuleId} {Provider} {Location}{(Commit is null ? string.Empty : " @" + Commit[..Math.Min(12, Commit.Length)])} {Redacted}";
}
