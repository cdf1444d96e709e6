using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Reports;
using GitOpsSec.Rules.Images;

namespace GitOpsSec.Commands.Images;

/// <summary>Export-GitOpsSbom: a CycloneDX 1.5 JSON SBOM of the images piped from Get-GitOpsImage.</summary>
[Cmdlet(VerbsData.Export, "GitOpsSbom", SupportsShouldProcess = true)]
[Alias("Export-GitOpsImageInventory")]
[OutputType(typeof(FileInfo), typeof(string))]
public sealed class ExportGitOpsSbomCommand : GitOpsCmdlet
{
    private readonly List<ImageInventoryItem> _images = new();

    /// <summary>Images from Get-GitOpsImage.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject[]? InputObject { get; set; }

    /// <summary>The file to write; without it the JSON is output as text.</summary>
    [Parameter(Position = 0)]
    public string? Path { get; set; }

    /// <summary>The SBOM format: CycloneDX (1.5 JSON), the only one so far.</summary>
    [Parameter]
    [ValidateSet("CycloneDX", IgnoreCase = true)]
    public string Format { get; set; } = "CycloneDX";

    /// <summary>The name of the root component (the repository or application). Default: the current folder's name.</summary>
    [Parameter]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (PSObject item in InputObject ?? Array.Empty<PSObject>())
        {
            if (item?.BaseObject is ImageInventoryItem image)
            {
                _images.Add(image);
            }
            else
            {
                WriteError(new ErrorRecord(new ArgumentException("Pipe images from Get-GitOpsImage into Export-GitOpsSbom."),
                    "GitOpsSec.Report.NotAnImage", ErrorCategory.InvalidType, item));
            }
        }
    }

    protected override void EndProcessing()
    {
        string version = typeof(ExportGitOpsSbomCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        string subject = Name ?? new DirectoryInfo(SessionState.Path.CurrentFileSystemLocation.Path).Name;
        string json = CycloneDxWriter.Write(_images, subject, version);
        if (Path is null)
        {
            WriteObject(json);
            return;
        }
        string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(file, $"Write a CycloneDX SBOM of {_images.Count} image(s)"))
        {
            return;
        }
        try
        {
            AtomicFile.WriteAllText(file, json);
            WriteObject(new FileInfo(file));
        }
        catch (GitOpsSecOperationException e)
        {
            WriteError(ToErrorRecord(e.ToScanError()));
        }
    }
}
