using System.Management.Automation;
using System.Text;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Reports;

namespace GitOpsSec.Commands.Reports;

/// <summary>
/// Export-GitOpsAuditLog: findings (Test-GitOpsRepo, Find-GitOpsSecret, ...), change-log records and
/// signature verdicts as ECS JSON lines for Loki / Elasticsearch. Appends to -Path, or outputs the lines.
/// </summary>
[Cmdlet(VerbsData.Export, "GitOpsAuditLog", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo), typeof(string))]
public sealed class ExportGitOpsAuditLogCommand : GitOpsCmdlet
{
    private readonly List<string> _lines = new();

    /// <summary>Change records from Get-GitOpsChangeLog to write as audit events.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject[]? InputObject { get; set; }

    /// <summary>The JSON-lines file to append to; without it the lines are output.</summary>
    [Parameter(Position = 0)]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        string version = typeof(ExportGitOpsAuditLogCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        foreach (PSObject item in InputObject ?? Array.Empty<PSObject>())
        {
            try
            {
                _lines.Add(AuditLogWriter.Line(item.BaseObject, version));
            }
            catch (ArgumentException e)
            {
                WriteError(new ErrorRecord(e, "GitOpsSec.Report.NotAuditable", ErrorCategory.InvalidType, item));
            }
        }
    }

    protected override void EndProcessing()
    {
        if (Path is null)
        {
            WriteObject(_lines, enumerateCollection: true);
            return;
        }
        string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(file, $"Append {_lines.Count} audit record(s)"))
        {
            return;
        }
        try
        {
            File.AppendAllText(file, string.Concat(_lines.Select(l => l + "\n")), new UTF8Encoding(false));
            WriteObject(new FileInfo(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(ToErrorRecord(new ScanError("GitOpsSec.Report.WriteFailed", ScanErrorCategory.PermissionDenied, $"'{file}' could not be written: {e.Message}", file, Exception: e)));
        }
    }
}
