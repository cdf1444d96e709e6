using System.Management.Automation;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Common;

/// <summary>The parameters and reading logic shared by cmdlets that read manifests from paths.</summary>
public abstract class ManifestInputCmdlet : GitOpsCmdlet
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    /// <summary>Files or folders to read (wildcards allowed); the current folder when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>Files or folders, taken literally; binds Get-ChildItem output (PSPath) and .NET FileInfo (FullName).</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    public string[]? LiteralPath { get; set; }

    /// <summary>Read the manifests as they are at this commit, branch or tag (no checkout).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Revision { get; set; }

    /// <summary>Read kustomization folders file by file instead of rendering them.</summary>
    [Parameter]
    public SwitchParameter NoRender { get; set; }

    /// <summary>Reads the objects of every path given, streaming, reporting bad input as errors.</summary>
    protected IEnumerable<ManifestObject> ReadManifests()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        string[]? paths = literal ? LiteralPath : Path;
        var loader = new ManifestLoader(new ManifestLoadOptions { RenderKustomize = !NoRender }, ScanHost);
        foreach (string path in PathResolver.Resolve(this, ScanHost, paths, literal, mustExist: Revision is null))
        {
            using IManifestTree? tree = ManifestSource.Open(path, Revision, ScanHost);
            if (tree is null)
            {
                continue;
            }
            WriteVerbose($"Reading manifests under {tree.DisplayRoot}");
            foreach (ManifestObject obj in loader.Load(tree))
            {
                yield return obj;
            }
        }
    }
}
