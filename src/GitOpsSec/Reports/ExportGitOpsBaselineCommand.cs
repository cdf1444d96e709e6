using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Reports;

namespace GitOpsSec.Commands.Reports;

/// <summary>Export-GitOpsBaseline: the fingerprints of today's (unsuppressed) findings, for -Baseline on later runs.</summary>
[Cmdlet(VerbsData.Export, "GitOpsBaseline", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportGitOpsBaselineCommand : GitOpsCmdlet
{
    private readonly List<Finding> _findings = new();

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public Finding[]? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public string? Path { get; set; }

    protected override void ProcessRecord() => _findings.AddRange(InputObject ?? Array.Empty<Finding>());

    protected override void EndProcessing()
    {
        string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path!);
        if (ShouldProcess(file, $"Write a baseline of {_findings.Count(f => !f.Suppressed)} finding(s)"))
        {
            try
            {
                AtomicFile.WriteAllText(file, Baseline.Write(_findings));
                WriteObject(new FileInfo(file));
            }
            catch (GitOpsSecOperationException e)
            {
                WriteError(ToErrorRecord(e.ToScanError()));
            }
        }
    }
}
