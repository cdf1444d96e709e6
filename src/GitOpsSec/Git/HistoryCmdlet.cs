using System.Management.Automation;
using GitOpsSec.Commands.Common;
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

    /// <summary>X.509 trust: certificates (PEM or DER) of signers or their issuing CAs.</summary>
    [Parameter]
    public string[]? TrustedCertificate { get; set; }

    internal string RepositoryPath => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);

    internal DateTimeOffset? SinceOffset => Since is DateTime s ? new DateTimeOffset(s) : null;

    /// <summary>The trust from the parameters, or else the trustedKeys file of .gitopssec.yaml. Errors are terminating: verifying against the wrong keys would mislead.</summary>
    internal SignatureTrust BuildTrust()
    {
        var trust = new SignatureTrust();
        var files = new List<string>();
        foreach (string[]? list in new[] { AllowedSignersFile, PublicKey, TrustedCertificate })
        {
            files.AddRange((list ?? Array.Empty<string>()).Select(f => SessionState.Path.GetUnresolvedProviderPathFromPSPath(f)));
        }
        if (files.Count == 0 && GitOpsSec.Git.GitHistory.RepositoryRoot(RepositoryPath) is string root)
        {
            GitOpsConfig config = GitOpsConfig.ForDirectory(root);
            if (config.TrustedKeysPath is string keys)
            {
                files.Add(keys);
                WriteVerbose($"Trusted keys from {config.Source}: {keys}");
            }
        }
        foreach (string file in files)
        {
            trust.AddFile(file);
        }
        return trust;
    }
}
