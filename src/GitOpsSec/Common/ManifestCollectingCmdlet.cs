using System.Management.Automation;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Common;

/// <summary>Cmdlets that analyse all manifests together: they collect paths' objects or piped ones, then work in EndProcessing.</summary>
public abstract class ManifestCollectingCmdlet : ManifestInputCmdlet
{
    protected const string InputObjectSet = "InputObject";

    /// <summary>Objects from Get-GitOpsManifest.</summary>
    [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
    public ManifestObject[]? InputObject { get; set; }

    internal List<ManifestObject> Objects { get; } = new();

    protected override void ProcessRecord() => RunCancellable(() =>
        Objects.AddRange(ParameterSetName == InputObjectSet ? InputObject ?? Array.Empty<ManifestObject>() : ReadManifests()));
}
