using System.Security.Cryptography;
using System.Text;
using GitOpsSec.Git.Signatures;

namespace GitOpsSec.Git;

/// <summary>
/// The provenance rules: signature and commit-message verdicts as findings, so Test-GitOpsRepo,
/// baselines and reports carry them like any other rule. Listed by Get-GitOpsRule (category Provenance).
/// </summary>
public static class ProvenanceRules
{
    private const string GitSigning = "https://git-scm.com/book/en/v2/Git-Tools-Signing-Your-Work";

    public static RuleInfo Unsigned { get; } = Rule("GOS4001", "commit-unsigned", "Unsigned commit", Severity.Medium,
        "A commit without a signature cannot be traced to a key: anyone with push access could have written it under any name.",
        "Sign commits (git config commit.gpgsign true, with gpg.format ssh or openpgp) and require signatures on the deployment branch.",
        "Commit {target} is not signed.");

    public static RuleInfo BadSignature { get; } = Rule("GOS4002", "commit-signature-bad", "Commit signature does not verify", Severity.Critical,
        "The signature does not match the commit: its content was changed after signing, or the signature was copied from another commit.",
        "Treat the commit as forged: find who pushed it and restore the branch from a verified commit.",
        "The signature of commit {target} does not match its content.");

    public static RuleInfo UntrustedSignature { get; } = Rule("GOS4003", "commit-signature-untrusted", "Commit signed by an untrusted, unknown, expired or revoked key", Severity.High,
        "The commit is signed, but not by a key the repository trusts now (unknown, not in allowed_signers, expired, revoked, or the signature could not be checked).",
        "Add the signer's key to the trusted keys (trustedKeys in .gitopssec.yaml) if it is legitimate; otherwise investigate the commit.",
        "Commit {target}: {value}.");

    public static RuleInfo MissingTicket { get; } = Rule("GOS4004", "commit-missing-ticket", "Commit message without a ticket reference", Severity.Low,
        "Every change should name the ticket that asked for it, so that an auditor can tell why a manifest changed.",
        "Reword the commit (git commit --amend, or an interactive rebase before merging) to start with the ticket, e.g. OPS-123: ...; install the commit-msg hook (Install-GitOpsHook).",
        "Commit {target} names no ticket: \"{value}\".");

    public static RuleInfo PolicyWeakened { get; } = Rule("GOS4005", "policy-weakened-by-change", "The change weakens the repository's security policy", Severity.High,
        "The .gitopssec.yaml of the change under review is weaker than the protected one (-PolicyRevision): it removes or replaces trusted keys, raises failOn, excludes paths, disables or downgrades rules, or changes the baseline. The protected settings are the ones applied; this finding makes the attempt visible.",
        "Make such a change in its own pull request, reviewed by the owners of the policy, and merge it before the changes that rely on it.",
        ".gitopssec.yaml {value} (protected: {target}).");

    public static IReadOnlyList<RuleInfo> All { get; } = new[] { Unsigned, BadSignature, UntrustedSignature, MissingTicket, PolicyWeakened };

    /// <summary>The finding for one setting of the change's config that weakens the protected one.</summary>
    public static Finding ToFinding(string setting, int line, string what, string protectedOrigin) =>
        Make(PolicyWeakened, setting + ":" + what, protectedOrigin, what, commit: null, author: null, evidence: setting) with
        {
            Path = GitOpsSec.Reports.GitOpsConfig.FileName,
            Line = line,
        };

    private static RuleInfo Rule(string id, string name, string title, Severity severity, string description, string remediation, string message) => new()
    {
        Id = id,
        Name = name,
        Title = title,
        Severity = severity,
        Category = "Provenance",
        Scope = "Commit",
        Description = description,
        Remediation = remediation,
        MessageTemplate = message,
        References = new[] { GitSigning },
    };

    /// <summary>The finding for a signature verdict; null when it is Good.</summary>
    public static Finding? ToFinding(CommitSignatureResult r)
    {
        RuleInfo? rule = r.Status switch
        {
            SignatureStatus.Good => null,
            SignatureStatus.Unsigned => Unsigned,
            SignatureStatus.Bad => BadSignature,
            _ => UntrustedSignature,
        };
        if (rule is null)
        {
            return null;
        }
        string target = r.Kind == "commit" ? r.Commit[..12] : $"{r.Commit[..12]} ({r.Kind} {r.Tag})";
        return Make(rule, r.Commit + ":" + r.Kind + ":" + r.Tag, target, $"{r.Status}: {r.Reason}", r.Commit, r.Author, r.Fingerprint ?? r.KeyId);
    }

    /// <summary>The finding for a message without a ticket; null when it passed.</summary>
    public static Finding? ToFinding(CommitMessageResult r) =>
        r.Passed || r.Commit is null ? null : Make(MissingTicket, r.Commit, r.Commit[..12], r.Subject, r.Commit, r.Author, null);

    private static Finding Make(RuleInfo rule, string identity, string target, string value, string? commit, string? author, string? evidence) => new()
    {
        RuleId = rule.Id,
        RuleName = rule.Name,
        Severity = rule.Severity,
        Category = rule.Category,
        Message = GitOpsSec.Secrets.SecretText.RedactIn(rule.MessageTemplate.Replace("{target}", target, StringComparison.Ordinal).Replace("{value}", value, StringComparison.Ordinal)),
        Remediation = rule.Remediation,
        Commit = commit,
        Author = author,
        Evidence = evidence,
        HelpUri = rule.HelpUri,
        Fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(rule.Id + "\0" + identity)), 0, 16).ToLowerInvariant(),
    };
}
