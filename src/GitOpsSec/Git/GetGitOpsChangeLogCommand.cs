using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Secrets;

namespace GitOpsSec.Commands.Git;

/// <summary>
/// Get-GitOpsChangeLog: the audit trail of a GitOps repository. For each commit, the Kubernetes objects
/// it added, modified or removed, with author, committer, date, ticket and signature status.
/// </summary>
[Cmdlet(VerbsCommon.Get, "GitOpsChangeLog")]
[OutputType(typeof(ChangeLogEntry))]
public sealed class GetGitOpsChangeLogCommand : HistoryCmdlet
{
    /// <summary>Only objects of these kinds (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(KindCompleter))]
    public string[]? Kind { get; set; }

    /// <summary>Only objects in these namespaces (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? Namespace { get; set; }

    /// <summary>The ticket pattern (default: ticketPattern of .gitopssec.yaml, else ^[A-Z][A-Z0-9]+-\d+:).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TicketPattern { get; set; }

    protected override void EndProcessing()
    {
        GitOpsSec.Git.SignatureTrust trust;
        System.Text.RegularExpressions.Regex pattern;
        try
        {
            trust = BuildTrust();
            pattern = CommitMessagePolicy.Compile(TicketPattern ?? CommitMessagePolicy.DefaultPattern(GitOpsSec.Git.GitHistory.RepositoryRoot(RepositoryPath)));
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
            return;
        }
        var kinds = new WildcardFilter(Kind);
        var namespaces = new WildcardFilter(Namespace);
        RunCancellable(() =>
        {
            foreach (ChangeLogEntry entry in ChangeLog.Read(RepositoryPath, Range, Revision, SinceOffset, MaxCount, pattern, trust, ScanHost))
            {
                if (kinds.Matches(entry.Kind) && (Namespace is null || namespaces.Matches(entry.Namespace ?? string.Empty)))
                {
                    WriteObject(entry);
                }
            }
        });
    }
}
