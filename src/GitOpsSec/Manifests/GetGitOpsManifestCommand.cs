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
    public string[]? Kind { get; set; }

    /// <summary>Only objects in these namespaces (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Namespace { get; set; }

    protected override void ProcessRecord()
    {
        var kinds = Patterns(Kind);
        var namespaces = Patterns(Namespace);
        RunCancellable(() =>
        {
            foreach (ManifestObject obj in ReadManifests())
            {
                if (Matches(kinds, obj.Kind) && Matches(namespaces, obj.Namespace ?? string.Empty))
                {
                    WriteObject(obj);
                }
            }
        });
    }

    private static List<WildcardPattern>? Patterns(string[]? values) =>
        values?.Select(v => new WildcardPattern(v, WildcardOptions.IgnoreCase)).ToList();

    private static bool Matches(List<WildcardPattern>? patterns, string value) =>
        patterns is null || patterns.Any(p => p.IsMatch(value));
}
