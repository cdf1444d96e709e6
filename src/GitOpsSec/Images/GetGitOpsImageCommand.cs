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

    /// <summary>
    /// Only images that can be admitted without a signature from a named signer somewhere they are deployed: no
    /// enforcing policy verifies them there, or the one that does accepts any signer (SignatureTrust Unconstrained).
    /// </summary>
    [Parameter]
    public SwitchParameter Unverified { get; set; }

    protected override void EndProcessing()
    {
        var registries = new WildcardFilter(Registry);
        foreach (ImageInventoryItem item in ImageInventory.Build(Objects))
        {
            bool unverified = item.Signatures.Any(s => !s.Enforced || s.Trust < SignatureTrust.Constrained);
            if (registries.Matches(item.Registry) && (!Unpinned || !item.Pinned) && (!Unverified || unverified))
            {
                WriteObject(item);
            }
        }
    }
}
