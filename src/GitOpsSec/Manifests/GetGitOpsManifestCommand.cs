using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Manifests;

/// <summary>
/// Get-GitOpsManifest: the Kubernetes objects of files and folders (or of a git revision), each with
/// its kind, namespace, name, path and line, and the object itself for PowerShell to walk.
/// </summary>
[Cmdlet(VerbsCommon.Get, "GitOpsManifest", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ManifestObject))]
public sealed class GetGitOpsManifestCommand : ManifestInputCmdlet
{
    /// <summary>Only objects of these kinds (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(KindCompleter))]
    public string[]? Kind { get; set; }

    /// <summary>Only objects in these namespaces (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? Namespace { get; set; }

    protected override void ProcessRecord()
    {
        var kinds = new WildcardFilter(Kind);
        var namespaces = new WildcardFilter(Namespace);
        RunCancellable(() =>
        {
            foreach (ManifestObject obj in ReadManifests())
            {
                if (kinds.Matches(obj.Kind) && namespaces.Matches(obj.Namespace ?? string.Empty))
                {
                    WriteObject(obj);
                }
            }
        });
    }
}
