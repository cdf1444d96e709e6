using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Rules.Images;

namespace GitOpsSec.Commands.Images;

/// <summary>Get-GitOpsImage: the image inventory of a repository: each image, its registry, tag, digest and the workloads that run it.</summary>
[Cmdlet(VerbsCommon.Get, "GitOpsImage", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ImageInventoryItem))]
public sealed class GetGitOpsImageCommand : ManifestCollectingCmdlet
{
    /// <summary>Only images from these registries (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Registry { get; set; }

    /// <summary>Only images that are not pinned by digest.</summary>
    [Parameter]
    public SwitchParameter Unpinned { get; set; }

    protected override void EndProcessing()
    {
        var registries = new WildcardFilter(Registry);
        foreach (ImageInventoryItem item in ImageInventory.Build(Objects))
        {
            if (registries.Matches(item.Registry) && (!Unpinned || !item.Pinned))
            {
                WriteObject(item);
            }
        }
    }
}
