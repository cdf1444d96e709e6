using GitOpsSec.Manifests;
using GitOpsSec.Rules.PodSecurity;

namespace GitOpsSec.Rules.Images;

/// <summary>The images of every container of a pod-bearing object, with the path to each image field.</summary>
internal static class ContainerImages
{
    public static IEnumerable<(ContainerRef Container, string Image, FieldPath Path)> Of(ManifestObject obj)
    {
        if (PodSpec.Of(obj) is not PodSpec pod)
        {
            yield break;
        }
        foreach (ContainerRef c in pod.Containers)
        {
            if (c.Node.Text("image") is string image && image.Length > 0)
            {
                yield return (c, image, c.Path.Key("image"));
            }
        }
    }
}

/// <summary>GOS6001: an image without a tag or with :latest (and no digest): what runs changes without a commit.</summary>
internal sealed class ImageLatestTagRule : IManifestRule
{
    public string Id => "GOS6001";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        foreach (var (container, image, path) in ContainerImages.Of(obj))
        {
            var reference = ImageReference.Parse(image);
            if (reference.Digest is null && (reference.Tag is null || reference.Tag == "latest"))
            {
                yield return new Violation(path, container.Describe(), image);
            }
        }
    }
}

/// <summary>GOS6002: an image not pinned by digest: a tag can be moved to other content.</summary>
internal sealed class ImageNotPinnedRule : IManifestRule
{
    public string Id => "GOS6002";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        foreach (var (container, image, path) in ContainerImages.Of(obj))
        {
            if (!ImageReference.Parse(image).IsPinned)
            {
                yield return new Violation(path, container.Describe(), image);
            }
        }
    }
}

/// <summary>GOS6003: an image from a registry outside the allowed list (-AllowedRegistry or allowedRegistries in .gitopssec.yaml).</summary>
internal sealed class ImageRegistryRule : IManifestRule, IConfigurableRule
{
    private readonly IReadOnlyList<string> _allowed;

    public ImageRegistryRule() : this(Array.Empty<string>())
    {
    }

    private ImageRegistryRule(IReadOnlyList<string> allowed) => _allowed = allowed;

    public string Id => "GOS6003";

    public IRule Configure(RuleSelection selection) => new ImageRegistryRule(selection.AllowedRegistries);

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (_allowed.Count == 0)
        {
            yield break; // no policy given: nothing to enforce
        }
        foreach (var (container, image, path) in ContainerImages.Of(obj))
        {
            var reference = ImageReference.Parse(image);
            if (!_allowed.Any(reference.IsAllowedBy))
            {
                yield return new Violation(path, container.Describe(), $"{image} (registry {reference.Registry}; allowed: {string.Join(", ", _allowed)})");
            }
        }
    }
}

/// <summary>GOS6004: a mutable image reference (no digest) pulled with IfNotPresent or Never: nodes keep running whatever they cached first.</summary>
internal sealed class ImagePullPolicyRule : IManifestRule
{
    public string Id => "GOS6004";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        foreach (var (container, image, path) in ContainerImages.Of(obj))
        {
            string? policy = container.Node.Text("imagePullPolicy");
            var reference = ImageReference.Parse(image);
            bool latest = reference.Tag is null or "latest";
            // Kubernetes defaults to Always only for :latest or untagged images.
            string effective = policy ?? (latest && reference.Digest is null ? "Always" : "IfNotPresent");
            if (reference.Digest is null && effective != "Always")
            {
                yield return new Violation(policy is null ? path : container.Path.Key("imagePullPolicy"), container.Describe(),
                    $"{image} with imagePullPolicy {effective}{(policy is null ? " (default)" : string.Empty)}");
            }
        }
    }
}
