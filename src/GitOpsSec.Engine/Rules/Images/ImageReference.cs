namespace GitOpsSec.Rules.Images;

/// <summary>
/// A container image reference split the way the container runtime reads it:
/// [registry/]repository[:tag][@digest]; no registry means docker.io (and library/ for one-part names).
/// </summary>
public sealed record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public static ImageReference Parse(string image)
    {
        string rest = image.Trim();
        string? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
        }
        string registry = "docker.io";
        int slash = rest.IndexOf('/');
        if (slash > 0)
        {
            string first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first;
                rest = rest[(slash + 1)..];
            }
        }
        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
        }
        if (registry == "docker.io" && !rest.Contains('/'))
        {
            rest = "library/" + rest;
        }
        return new ImageReference(registry.ToLowerInvariant(), rest, tag, digest);
    }

    public bool IsPinned => Digest is not null && Digest.StartsWith("sha256:", StringComparison.Ordinal) && Digest.Length == 71;

    /// <summary>
    /// Whether an allowed-registries entry admits this image: "registry.example.com" (any repository),
    /// "registry.example.com/team" (that repository prefix), "*.example.com" (any subdomain), "docker.io/library".
    /// </summary>
    public bool IsAllowedBy(string entry)
    {
        string e = entry.Trim().TrimEnd('/').ToLowerInvariant();
        string host = e.Split('/')[0];
        string? prefix = e.Contains('/') ? e[(host.Length + 1)..] : null;
        bool hostMatches = host.StartsWith("*.", StringComparison.Ordinal)
            ? Registry.EndsWith(host[1..], StringComparison.Ordinal)
            : Registry == host;
        return hostMatches && (prefix is null || Repository == prefix || Repository.StartsWith(prefix + "/", StringComparison.Ordinal));
    }

    public override string ToString() => $"{Registry}/{Repository}{(Tag is null ? string.Empty : ":" + Tag)}{(Digest is null ? string.Empty : "@" + Digest)}";
}
