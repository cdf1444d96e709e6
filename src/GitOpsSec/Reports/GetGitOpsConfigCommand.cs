using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Reports;

namespace GitOpsSec.Commands.Reports;

/// <summary>Get-GitOpsConfig: the effective configuration of a repository (its .gitopssec.yaml, or the defaults).</summary>
[Cmdlet(VerbsCommon.Get, "GitOpsConfig")]
[OutputType(typeof(GitOpsConfig))]
public sealed class GetGitOpsConfigCommand : GitOpsCmdlet
{
    /// <summary>A repository folder or a config file; the current folder by default.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public string[]? Path { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string path in PathResolver.Resolve(this, ScanHost, Path, literal: false))
        {
            try
            {
                WriteObject(Directory.Exists(path) ? GitOpsConfig.ForDirectory(path) : GitOpsConfig.Load(path));
            }
            catch (GitOpsSecOperationException e)
            {
                WriteError(ToErrorRecord(e.ToScanError()));
            }
        }
    }
}
