using System.Management.Automation;
using GitOpsSec.Reports;

namespace GitOpsSec.Commands.Reports;

/// <summary>Export-GitOpsReport: findings as SARIF 2.1.0, JUnit XML, Markdown, HTML or CSV, to a file or the pipeline.</summary>
[Cmdlet(VerbsData.Export, "GitOpsReport", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportGitOpsReportCommand : FindingsExportCmdlet
{
    /// <summary>The report format: Sarif, JUnit, Markdown, Html or Csv.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateSet("Sarif", "JUnit", "Markdown", "Html", "Csv", IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>The file to write (atomically); without it the report text is output.</summary>
    [Parameter(Position = 1)]
    public string? Path { get; set; }

    protected override void EndProcessing()
    {
        string report = ReportWriter.Write(Enum.Parse<ReportFormat>(Format!, ignoreCase: true), Findings);
        if (Path is null)
        {
            WriteObject(report);
            return;
        }
        WriteFile(Path, report, $"Write a {Format} report of {Findings.Count} finding(s)");
    }
}
