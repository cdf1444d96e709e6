using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Manifests;
using GitOpsSec.Rbac;

namespace GitOpsSec.Commands.Rbac;

/// <summary>RBAC cmdlets: read manifests (paths or Get-GitOpsManifest objects) and build the RBAC model at the end.</summary>
public abstract class RbacInputCmdlet : ManifestInputCmdlet
{
    protected const string InputObjectSet = "InputObject";
    private readonly List<ManifestObject> _objects = new();

    /// <summary>Objects from Get-GitOpsManifest.</summary>
    [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
    public ManifestObject[]? InputObject { get; set; }

    /// <summary>Leave out the cluster's bootstrap roles (cluster-admin, admin, edit, view, ...).</summary>
    [Parameter]
    public SwitchParameter NoBootstrapRoles { get; set; }

    protected override void ProcessRecord() => RunCancellable(() =>
        _objects.AddRange(ParameterSetName == InputObjectSet ? InputObject ?? Array.Empty<ManifestObject>() : ReadManifests()));

    /// <summary>The model of everything read; roles that bindings miss are reported once here.</summary>
    internal RbacModel BuildModel() => RbacModel.Build(_objects, ScanHost, includeBootstrap: !NoBootstrapRoles);
}
