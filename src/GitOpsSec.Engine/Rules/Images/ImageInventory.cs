using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.Images;

/// <summary>One image the repository deploys, with every workload and container that uses it.</summary>
public sealed record ImageInventoryItem
{
    /// <summary>The reference as written in the manifests.</summary>
    public required string Image { get; init; }
    public required string Registry { get; init; }
    public required string Repository { get; init; }
    public string? Tag { get; init; }
    public string? Digest { get; init; }
    public bool Pinned { get; init; }

    /// <summary>Kind/namespace/name of every workload that runs it.</summary>
    public required IReadOnlyList<string> Workloads { get; init; }

    /// <summary>File:line of every place it is referenced.</summary>
    public required IReadOnlyList<string> Locations { get; init; }

    /// <summary>For each workload that runs the image, what admission verifies of its signature (Kyverno verifyImages, Sigstore ClusterImagePolicy).</summary>
    public IReadOnlyList<ImageSignatureUse> Signatures { get; init; } = Array.Empty<ImageSignatureUse>();

    /// <summary>The weakest of <see cref="Signatures"/>: the trust the image can be admitted with somewhere.</summary>
    public SignatureTrust SignatureTrust => Signatures.Count == 0 ? SignatureTrust.NotVerified : Signatures.Min(s => s.Trust);

    /// <summary>An enforcing policy verifies (or refuses) the image in every namespace it is deployed to.</summary>
    public bool Enforced => Signatures.Count > 0 && Signatures.All(s => s.Enforced);

    /// <summary>The policy behind the weakest use, or null when none verifies it there.</summary>
    public string? SignaturePolicy => Signatures.OrderBy(s => s.Enforced).ThenBy(s => s.Trust).FirstOrDefault()?.Policy;

    /// <summary>For each workload, the file:line of its first reference to the image.</summary>
    internal IReadOnlyDictionary<string, string> WorkloadLocations { get; init; } = new Dictionary<string, string>();

    public override string ToString() => Image;
}

/// <summary>The image inventory of a set of manifests: what runs, where it comes from, whether it is pinned.</summary>
public static class ImageInventory
{
    public static IReadOnlyList<ImageInventoryItem> Build(IEnumerable<ManifestObject> objects)
    {
        var all = objects as IReadOnlyList<ManifestObject> ?? objects.ToList();
        var signatures = new ImageSignatureAnalyzer(all).Uses.ToLookup(u => u.Image, StringComparer.Ordinal);
        var uses = new Dictionary<string, (List<string> Workloads, List<string> Locations, Dictionary<string, string> ByWorkload)>(StringComparer.Ordinal);
        foreach (ManifestObject obj in all)
        {
            foreach (var (_, image, path) in ContainerImages.Of(obj))
            {
                if (!uses.TryGetValue(image, out var use))
                {
                    uses[image] = use = (new List<string>(), new List<string>(), new Dictionary<string, string>(StringComparer.Ordinal));
                }
                string workload = $"{obj.Kind}/{(obj.Namespace is null ? string.Empty : obj.Namespace + "/")}{obj.Name}";
                if (!use.Workloads.Contains(workload))
                {
                    use.Workloads.Add(workload);
                }
                SourceLocation where = obj.Locate(path);
                use.Locations.Add($"{where.Path}:{where.Line}");
                use.ByWorkload.TryAdd(workload, $"{where.Path}:{where.Line}");
            }
        }
        return uses.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u =>
        {
            var reference = ImageReference.Parse(u.Key);
            return new ImageInventoryItem
            {
                Image = u.Key,
                Registry = reference.Registry,
                Repository = reference.Repository,
                Tag = reference.Tag,
                Digest = reference.Digest,
                Pinned = reference.IsPinned,
                Workloads = u.Value.Workloads,
                Locations = u.Value.Locations.Distinct().ToList(),
                WorkloadLocations = u.Value.ByWorkload,
                Signatures = signatures[u.Key].ToList(),
            };
        }).ToList();
    }
}
