using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;

namespace GitOpsSec.Commands.Git;

/// <summary>
/// Install-GitOpsHook: a pre-commit hook that blocks staged secrets and a commit-msg hook that demands a
/// ticket reference, in .git/hooks or core.hooksPath. Someone else's hook is only replaced with -Force
/// (after a backup).
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "GitOpsHook", SupportsShouldProcess = true)]
[OutputType(typeof(GitHookInstallation))]
public sealed class InstallGitOpsHookCommand : GitOpsCmdlet
{
    /// <summary>A folder inside the repository (default: the current folder).</summary>
    [Parameter(Position = 0)]
    public string Path { get; set; } = ".";

    /// <summary>Which hooks: PreCommit (secret scan of the index), CommitMsg (ticket reference). Default: both.</summary>
    [Parameter]
    [ValidateSet("PreCommit", "CommitMsg", IgnoreCase = true)]
    public string[] Hook { get; set; } = { "PreCommit", "CommitMsg" };

    /// <summary>The commit-msg pattern written into the hook; default: the repository's ticketPattern at commit time.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TicketPattern { get; set; }

    /// <summary>Replace hooks that GitOpsSec did not write (they are backed up first).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        string where = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        string directory;
        try
        {
            if (TicketPattern is not null)
            {
                CommitMessagePolicy.Compile(TicketPattern);
            }
            directory = GitHookInstaller.HooksDirectory(where);
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
            return;
        }
        string version = typeof(InstallGitOpsHookCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        foreach (string name in Hook.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var kind = Enum.Parse<GitHookKind>(name, ignoreCase: true);
            string file = System.IO.Path.Combine(directory, GitHookInstaller.FileName(kind));
            if (!ShouldProcess(file, $"Install the GitOpsSec {GitHookInstaller.FileName(kind)} hook"))
            {
                continue;
            }
            try
            {
                WriteObject(GitHookInstaller.Install(kind, directory, kind == GitHookKind.CommitMsg ? TicketPattern : null, Force, version));
            }
            catch (GitOpsSecOperationException e)
            {
                WriteError(ToErrorRecord(e.ToScanError()));
            }
        }
    }
}
