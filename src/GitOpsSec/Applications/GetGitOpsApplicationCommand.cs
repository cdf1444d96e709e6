using System.Management.Automation;
using GitOpsSec.Applications;
using GitOpsSec.Commands.Common;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Applications;

/// <summary>
/// Get-GitOpsApplication: the deployment units of a repository (Argo CD Applications, including those an ApplicationSet
/// makes, Flux Kustomizations and HelmReleases): their sources, target namespace, cluster, project or tenant, service
/// account, sync policy, the units that deploy them, and the objects of the repository each one deploys.
/// </summary>
[Cmdlet(VerbsCommon.Get, "GitOpsApplication", DefaultParameterSetName = PathSet)]
[OutputType(typeof(DeploymentUnit))]
public sealed class GetGitOpsApplicationCommand : ManifestInputCmdlet
{
    /// <summary>Only units with these names or ids (Application/argocd/guestbook; wildcards allowed).</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ApplicationCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Also emit one unit of Kind None listing the objects that no unit deploys (dead files, or units defined outside the repository).</summary>
    [Parameter]
    public SwitchParameter IncludeUnassigned { get; set; }

    protected override void ProcessRecord() => RunCancellable(() =>
    {
        if (Live)
        {
            ThrowTerminatingError(ToErrorRecord(new GitOpsSec.Diagnostics.ScanError(GitOpsSec.Diagnostics.ErrorIds.ApplicationLiveNotSupported,
                GitOpsSec.Diagnostics.ScanErrorCategory.InvalidArgument,
                "Get-GitOpsApplication follows a repository's units offline; -Live is not supported (kubectl get applications,kustomizations -A lists the live ones).", "Live")));
        }
        int before = ApplicationModels.Count;
        var unassigned = new List<ManifestObject>();
        foreach (ManifestObject obj in ReadManifests())
        {
            if (obj.Applications.Length == 0)
            {
                unassigned.Add(obj);
            }
        }
        var names = new WildcardFilter(Name);
        foreach (ApplicationModel model in ApplicationModels.Skip(before))
        {
            foreach (DeploymentUnit unit in model.Units)
            {
                string bare = unit.Id.Split('@')[0];
                if ((Name is null || names.Matches(unit.Name) || names.Matches(unit.Id) || names.Matches(bare)) && SelectsUnits(new[] { unit.Id }))
                {
                    WriteObject(unit);
                }
            }
        }
        if (IncludeUnassigned && unassigned.Count > 0)
        {
            WriteObject(DeploymentUnit.Unassigned(unassigned));
        }
    });
}
