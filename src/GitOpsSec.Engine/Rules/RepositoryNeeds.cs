using GitOpsSec.Manifests;
using GitOpsSec.Rules.PodSecurity;

namespace GitOpsSec.Rules;

/// <summary>
/// Which objects the repository rules read, so that a scan keeps only those until its end instead of every parsed
/// object. The rules read workloads (network coverage, Pod Security admission, PDBs, image signatures), Namespaces,
/// RBAC, network policies, PDBs, policy and controller objects, Secrets and SOPS-encrypted files. The bulk of a
/// monorepo that none of them reads (ConfigMaps, Services, Ingresses, volume claims, autoscalers, monitors,
/// certificates) is not kept. An admission policy (ValidatingAdmissionPolicy, Kyverno ValidatingPolicy or
/// ImageValidatingPolicy, Gatekeeper) can match any object and take any object as its params: a scan that kept
/// one reads every object again (<see cref="EveryObject"/>).
/// </summary>
internal static class RepositoryNeeds
{
    /// <summary>Kinds no repository rule reads, by API version (ConfigMaps are below: two of them configure policy engines).</summary>
    private static readonly HashSet<(string ApiVersion, string Kind)> Unread = new()
    {
        ("v1", "Service"), ("v1", "Endpoints"), ("v1", "PersistentVolumeClaim"), ("v1", "PersistentVolume"), ("v1", "LimitRange"), ("v1", "ResourceQuota"),
        ("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1", "IngressClass"),
        ("autoscaling/v1", "HorizontalPodAutoscaler"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PodMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("cert-manager.io/v1", "Certificate"), ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    };

    /// <summary>The ConfigMaps that configure what the rules evaluate: Kyverno's resource filters, the policy-controller's no-match policy.</summary>
    private static readonly HashSet<string> ReadConfigMaps = new(StringComparer.Ordinal) { "kyverno", "config-policy-controller" };

    /// <summary>Whether a repository rule may read the object: everything except the kinds above (unless SOPS-encrypted).</summary>
    public static bool Keeps(ManifestObject obj)
    {
        if (obj.Node.ContainsKey("sops"))
        {
            return true; // GOS7104 counts SOPS-encrypted files of every kind
        }
        if (obj.Kind == "ConfigMap" && obj.ApiVersion == "v1")
        {
            return obj.Name is string name && ReadConfigMaps.Contains(name);
        }
        return !Unread.Contains((obj.ApiVersion, obj.Kind)) || PodSpec.Of(obj) is not null;
    }

    /// <summary>
    /// What a repository rule keeps of an object until the end of the scan: nothing (null), the object, or, for a
    /// workload read from a file, a compact copy without its pod spec but for each container's name and image, with
    /// what Pod Security says of that pod spec at every level and version (<see cref="Compact"/>).
    /// </summary>
    public static ManifestObject? Kept(ManifestObject obj)
    {
        if (!Keeps(obj))
        {
            return null;
        }
        if (obj.Source != "File" || obj.SourceNode is not null || obj.Patches.Count > 0 || obj.Node.ContainsKey("sops") ||
            PodSpec.Of(obj) is not PodSpec pod)
        {
            return obj;
        }
        return Compact(obj, pod);
    }

    /// <summary>
    /// The fields of a workload the repository rules read besides its Pod Security verdicts: its identity
    /// (apiVersion, kind, name, namespace), the suppression annotations of the object and of its pods,
    /// spec.replicas, the pods' labels, and each container's name and image. Every node kept is the original one,
    /// with its line and column, so findings point where they pointed.
    /// </summary>
    internal static ManifestObject Compact(ManifestObject obj, PodSpec pod)
    {
        var specKeys = pod.SpecPath.Segments.Select(s => s.Key).ToList();
        var podMetadataKeys = pod.AnnotationsPath.Segments.Select(s => s.Key).SkipLast(1).ToList();
        if (specKeys.Any(k => k is null) || podMetadataKeys.Any(k => k is null))
        {
            return obj;
        }
        var keep = new Keep();
        keep.Add("apiVersion").Add("kind");
        Keep metadata = keep.Child("metadata");
        metadata.Add("name").Add("generateName").Add("namespace");
        bool suppressions = Suppressions(obj.Node.Map("metadata"), metadata);
        keep.Child("spec").Add("replicas");
        Keep podMetadata = keep.Path(podMetadataKeys!);
        podMetadata.Add("labels");
        suppressions |= Suppressions(pod.Metadata, podMetadata);
        keep.Path(specKeys!).Containers = true;
        return obj.Compact(Prune(obj.Node, keep), PodSecurityAdmission.Verdicts.Of(pod), suppressions);
    }

    /// <summary>Keeps the suppression annotations of <paramref name="metadata"/>; true when there is one.</summary>
    private static bool Suppressions(YMapping? metadata, Keep keep)
    {
        if (metadata?.Map("annotations") is not YMapping annotations)
        {
            return false;
        }
        Keep kept = keep.Child("annotations");
        bool any = false;
        foreach (var (key, _) in annotations.Entries.Where(e => e.Key.Value.StartsWith(ManifestAnalyzer.SuppressionPrefix, StringComparison.Ordinal)))
        {
            kept.Add(key.Value);
            any = true;
        }
        return any;
    }

    /// <summary>Which keys of a mapping to keep: a key without children keeps its value whole.</summary>
    private sealed class Keep
    {
        public Dictionary<string, Keep?> Keys { get; } = new(StringComparer.Ordinal);

        /// <summary>This mapping is a pod spec: keep its container lists, each container's name and image.</summary>
        public bool Containers { get; set; }

        public Keep Add(string key)
        {
            Keys.TryAdd(key, null);
            return this;
        }

        public Keep Child(string key) => Keys.TryGetValue(key, out Keep? child) && child is not null ? child : Keys[key] = new Keep();

        public Keep Path(IEnumerable<string> keys) => keys.Aggregate(this, (k, key) => k.Child(key));
    }

    private static readonly string[] ContainerLists = { "containers", "initContainers", "ephemeralContainers" };
    private static readonly Keep ContainerFields = new Keep().Add("name").Add("image");

    private static YMapping Prune(YMapping node, Keep keep)
    {
        var kept = node.Entries.Where(e => keep.Keys.ContainsKey(e.Key.Value) || keep.Containers && ContainerLists.Contains(e.Key.Value)).ToList();
        var copy = new YMapping(node.Line, node.Column, kept.Count);
        foreach (var (key, value) in kept)
        {
            YNode pruned = value;
            if (keep.Keys.TryGetValue(key.Value, out Keep? child) && child is not null && value is YMapping map)
            {
                pruned = Prune(map, child);
            }
            else if (keep.Containers && ContainerLists.Contains(key.Value) && value is YSequence list)
            {
                var containers = new YSequence(list.Line, list.Column);
                foreach (YNode item in list.Items)
                {
                    containers.Add(item is YMapping container ? Prune(container, ContainerFields) : item);
                }
                pruned = containers;
            }
            copy.Set(key, pruned);
        }
        return copy;
    }

    /// <summary>
    /// Whether the kept objects hold a policy whose evaluation reads more than was kept: an admission policy (any
    /// object, any params) or an image-verification policy (its conditions read the pod).
    /// </summary>
    public static bool EveryObject(IEnumerable<ManifestObject> kept) => kept.Any(o =>
        o.ApiVersion.StartsWith("admissionregistration.k8s.io/", StringComparison.Ordinal) ||
        o.ApiVersion.StartsWith("policies.kyverno.io/", StringComparison.Ordinal) ||
        o.ApiVersion.StartsWith("templates.gatekeeper.sh/", StringComparison.Ordinal) ||
        o.ApiVersion.StartsWith("constraints.gatekeeper.sh/", StringComparison.Ordinal) ||
        o.ApiVersion.StartsWith("policy.sigstore.dev/", StringComparison.Ordinal) ||
        o.ApiVersion.StartsWith("config.ratify.dev/", StringComparison.Ordinal) ||
        GitOpsSec.Kyverno.KyvernoPolicy.IsPolicy(o) && GitOpsSec.Rules.Images.KyvernoImageRule.Read(o).Any());
}
