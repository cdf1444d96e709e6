using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Reports;

namespace GitOpsSec.Commands.Reports;

/// <summary>Export-GitOpsReport: findings as SARIF 2.1.0, JUnit XML, Markdown, HTML or CSV, to a file or the pipeline.</summary>
[Cmdlet(VerbsData.Export, "GitOpsReport", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportGitOpsReportCommand : GitOpsCmdlet
{
    private readonly List<Finding> _findings = new();

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public Finding[]? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateSet("Sarif", "JUnit", "Markdown", "Html", "Csv", IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>The file to write (atomically); without it the report text is output.</summary>
    [Parameter(Position = 1)]
    public string? Path { get; set; }

    protected override void ProcessRecord() => _findings.AddRange(InputObject ?? Array.Empty<Finding>());

    protected override void EndProcessing()
    {
        string report = ReportWriter.Write(Enum.Parse<ReportFormat>(Format!, ignoreCase: true), _findings);
        if (Path is null)
        {
            WriteObject(report);
            return;
        }
        string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (ShouldProcess(file, $"Write a {Format} report of {_findings.Count} finding(s)"))
        {
            try
            {
                AtomicFile.WriteAllText(file, report);
                WriteObject(new FileInfo(file));
            }
            catch (GitOpsSecOperationException e)
            {
                WriteError(ToErrorRecord(e.ToScanError()));
            }
        }
    }
}
