using System.Management.Automation;
using GitOpsSec.Reports;

namespace GitOpsSec.Commands.Reports;

/// <summary>Export-GitOpsBaseline: the fingerprints of today's (unsuppressed) findings, for -Baseline on later runs.</summary>
[Cmdlet(VerbsData.Export, "GitOpsBaseline", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportGitOpsBaselineCommand : FindingsExportCmdlet
{
    /// <summary>The baseline file to write (JSON); an existing file is replaced.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string? Path { get; set; }

    protected override void EndProcessing() =>
        WriteFile(Path!, Baseline.Write(Findings), $"Write a baseline of {Findings.Count(f => !f.Suppressed)} finding(s)");
}
