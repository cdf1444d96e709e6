using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Manifests;
using GitOpsSec.Rbac;

namespace GitOpsSec.Commands.Rbac;

/// <summary>RBAC cmdlets: read manifests (paths or Get-GitOpsManifest objects) and build the RBAC model at the end.</summary>
public abstract class RbacInputCmdlet : ManifestCollectingCmdlet
{
    /// <summary>Leave out the cluster's bootstrap roles (cluster-admin, admin, edit, view, ...).</summary>
    [Parameter]
    public SwitchParameter NoBootstrapRoles { get; set; }

    /// <summary>The model of everything read; roles that bindings miss are reported once here.</summary>
    internal RbacModel BuildModel() => RbacModel.Build(Objects, ScanHost, includeBootstrap: !NoBootstrapRoles);
}
