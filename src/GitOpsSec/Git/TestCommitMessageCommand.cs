using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Secrets;

namespace GitOpsSec.Commands.Git;

/// <summary>
/// Test-CommitMessage: whether commit messages carry a ticket reference (default: ABC-123: at the
/// start, or the repository's ticketPattern), for a range of history or one message (a commit-msg hook).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CommitMessage", DefaultParameterSetName = RepositorySet)]
[OutputType(typeof(CommitMessageResult))]
public sealed class TestCommitMessageCommand : GitOpsCmdlet
{
    private const string RepositorySet = "Repository";
    private const string MessageSet = "Message";
    private const string FileSet = "MessageFile";

    private readonly List<object> _results = new();
    private System.Text.RegularExpressions.Regex? _pattern;

    /// <summary>A folder inside the repository (default: the current folder).</summary>
    [Parameter(Position = 0, ParameterSetName = RepositorySet)]
    public string Path { get; set; } = ".";

    /// <summary>Only commits in this range (from..to).</summary>
    [Parameter(ParameterSetName = RepositorySet)]
    public string? Range { get; set; }

    /// <summary>Commits reachable from this revision (default HEAD).</summary>
    [Parameter(ParameterSetName = RepositorySet)]
    public string? Revision { get; set; }

    /// <summary>Check at most this many commits (newest first).</summary>
    [Parameter(ParameterSetName = RepositorySet)]
    [ValidateRange(1, int.MaxValue)]
    public int? MaxCount { get; set; }

    /// <summary>Only commits made after this date.</summary>
    [Parameter(ParameterSetName = RepositorySet)]
    public DateTime? Since { get; set; }

    /// <summary>Skip merge commits (their messages are usually generated).</summary>
    [Parameter(ParameterSetName = RepositorySet)]
    public SwitchParameter ExcludeMerges { get; set; }

    /// <summary>A message to check, as a commit-msg hook sees it (comment lines are ignored).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MessageSet, ValueFromPipeline = true)]
    public string? Message { get; set; }

    /// <summary>A file holding the message (git passes .git/COMMIT_EDITMSG to commit-msg hooks).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    public string? MessageFile { get; set; }

    /// <summary>The regular expression a message must match. Default: ticketPattern of .gitopssec.yaml, else ^[A-Z][A-Z0-9]+-\d+:</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Pattern { get; set; }

    /// <summary>Fail (terminating error GitOpsSec.Policy.Failed) when a message does not pass: for hooks and CI.</summary>
    [Parameter]
    public SwitchParameter FailOnViolation { get; set; }

    protected override void BeginProcessing()
    {
        try
        {
            string where = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ParameterSetName == RepositorySet ? Path : ".");
            _pattern = CommitMessagePolicy.Compile(Pattern ?? CommitMessagePolicy.DefaultPattern(GitOpsSec.Git.GitHistory.RepositoryRoot(where)));
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
        }
    }

    protected override void ProcessRecord() => RunCancellable(() =>
    {
        switch (ParameterSetName)
        {
            case MessageSet:
                Emit(CommitMessagePolicy.Check(Message ?? string.Empty, _pattern!));
                break;
            case FileSet:
                string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(MessageFile!);
                try
                {
                    Emit(CommitMessagePolicy.Check(GitOpsSec.Diagnostics.SafeFile.ReadAllText(file), _pattern!));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    WriteError(ToErrorRecord(new ScanError(ErrorIds.ReadFailed, ScanErrorCategory.ReadError, $"The message file could not be read: {e.Message}", file, Exception: e)));
                    _results.Add(false);
                }
                break;
            default:
                string repo = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
                foreach (CommitMessageResult r in CommitMessagePolicy.CheckHistory(repo, Range, Revision,
                             Since is DateTime s ? new DateTimeOffset(s) : null, MaxCount, _pattern!, ExcludeMerges, ScanHost))
                {
                    Emit(r);
                }
                break;
        }
    });

    private void Emit(CommitMessageResult result)
    {
        _results.Add(result.Passed);
        WriteObject(result);
    }

    protected override void EndProcessing()
    {
        int failed = _results.Count(r => r is false);
        if (FailOnViolation && failed > 0)
        {
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException($"{failed} commit message(s) without a ticket reference matching {_pattern}."),
                "GitOpsSec.Policy.Failed", ErrorCategory.SecurityError, failed));
        }
    }
}
