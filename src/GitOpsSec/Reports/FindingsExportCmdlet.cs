using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Reports;

/// <summary>Cmdlets that collect piped findings and write one file from them (atomically, with ShouldProcess).</summary>
public abstract class FindingsExportCmdlet : GitOpsCmdlet
{
    /// <summary>Findings from Test-GitOpsRepo, Test-GitOpsManifest or Find-GitOpsSecret.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject[]? InputObject { get; set; }

    /// <summary>Do not replace an existing file (GitOpsSec.File.Exists instead), as Export-Csv -NoClobber.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace the file even when it is read-only.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    internal List<Finding> Findings { get; } = new();

    protected override void ProcessRecord()
    {
        foreach (PSObject item in InputObject ?? Array.Empty<PSObject>())
        {
            switch (item?.BaseObject)
            {
                case Finding finding:
                    Findings.Add(finding);
                    break;
                case GitOpsSec.Secrets.SecretFinding secret:
                    Findings.Add(secret.ToFinding());
                    break;
                default:
                    WriteError(new ErrorRecord(new ArgumentException($"'{item?.BaseObject?.GetType().Name ?? "null"}' is not a GitOpsSec finding; pipe the output of Test-GitOpsRepo, Test-GitOpsManifest or Find-GitOpsSecret."),
                        "GitOpsSec.Report.NotAFinding", ErrorCategory.InvalidType, item));
                    break;
            }
        }
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> and outputs the file; errors are non-terminating.</summary>
    internal void WriteFile(string path, string content, string action)
    {
        string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        if (!ShouldProcess(file, File.Exists(file) ? $"{action} (replacing the existing file)" : action))
        {
            return;
        }
        try
        {
            AtomicFile.WriteAllText(file, content, NoClobber, Force);
            WriteObject(new FileInfo(file));
        }
        catch (GitOpsSecOperationException e)
        {
            WriteError(ToErrorRecord(e.ToScanError()));
        }
    }
}
