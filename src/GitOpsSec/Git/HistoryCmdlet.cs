using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Reports;
using GitOpsSec.Secrets;

namespace GitOpsSec.Commands.Git;

/// <summary>Cmdlets over a range of git history with signature trust: -Path, -Revision, -Range, -MaxCount, -Since and the trusted keys.</summary>
public abstract class HistoryCmdlet : GitOpsCmdlet
{
    /// <summary>A folder inside the repository (default: the current folder).</summary>
    [Parameter(Position = 0)]
    public string Path { get; set; } = ".";

    /// <summary>Commits reachable from this revision (default HEAD).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Revision { get; set; }

    /// <summary>Only commits in this range (from..to), e.g. origin/main..HEAD.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Range { get; set; }

    /// <summary>Only the newest N commits.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? MaxCount { get; set; }

    /// <summary>Only commits committed on or after this date.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>SSH trust: git's allowed_signers file (principals, namespaces, valid-after/valid-before).</summary>
    [Parameter]
    public string[]? AllowedSignersFile { get; set; }

    /// <summary>OpenPGP trust: armored public keys or keyring files.</summary>
    [Parameter]
    public string[]? PublicKey { get; set; }

    /// <summary>X.509 trust: root CA certificates (PEM or DER) to trust, intermediate certificates to build paths, and certificate revocation lists (PEM) to honour.</summary>
    [Parameter]
    public string[]? TrustedCertificate { get; set; }

    /// <summary>
    /// Take trusted keys from .gitopssec.yaml at this protected revision (e.g. origin/main) instead of the user config.
    /// The working tree's .gitopssec.yaml is never trusted for keys: the change under review could edit it.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PolicyRevision { get; set; }

    internal string RepositoryPath => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);

    internal DateTimeOffset? SinceOffset => Since is DateTime s ? new DateTimeOffset(s) : null;

    /// <summary>
    /// The trust from the parameters, else trustedKeys at -PolicyRevision, else of the user config (never of the
    /// working tree). Errors are terminating: verifying against the wrong keys would mislead.
    /// </summary>
    internal SignatureTrust BuildTrust()
    {
        var files = new List<string>();
        foreach (string[]? list in new[] { AllowedSignersFile, PublicKey, TrustedCertificate })
        {
            files.AddRange((list ?? Array.Empty<string>()).Select(f => SessionState.Path.GetUnresolvedProviderPathFromPSPath(f)));
        }
        using ProtectedPolicy? policy = files.Count == 0 && PolicyRevision is not null ? ProtectedPolicy.FromRevision(RepositoryPath, PolicyRevision, ScanHost) : null;
        if (files.Count == 0 && PolicyRevision is not null && policy is null)
        {
            throw new GitOpsSecOperationException(ErrorIds.RevisionNotFound, ScanErrorCategory.InvalidArgument,
                $"-PolicyRevision '{PolicyRevision}' could not be read, so no trust can be taken from it.", PolicyRevision);
        }
        SignatureTrust trust = SignatureTrust.FromSources(files, policy, GitOpsSec.Git.GitHistory.RepositoryRoot(RepositoryPath), ScanHost);
        WriteVerbose(trust.Origin is null ? "No key is trusted." : $"Trusted keys from {trust.Origin}");
        return trust;
    }
}
