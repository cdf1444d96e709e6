using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Drift;

/// <summary>One field that differs between Git and the cluster. Secret values appear only as hashes.</summary>
public sealed record DriftDifference(string Field, string? Git, string? Live)
{
    public override string ToString() => $"{Field}: git {Git ?? "(absent)"} / live {Live ?? "(absent)"}";
}

/// <summary>The drift verdict for one object.</summary>
public sealed record DriftResult
{
    /// <summary>InSync, Missing (in Git, not in the cluster), Changed, Unmanaged (in the cluster, not in Git).</summary>
    public required string Status { get; init; }
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public string? Namespace { get; init; }
    public required string Name { get; init; }
    public string? Path { get; init; }
    public int Line { get; init; }
    public IReadOnlyList<DriftDifference> Differences { get; init; } = Array.Empty<DriftDifference>();

    /// <summary>For live objects: ArgoCD, Flux or null, from their tracking labels and annotations.</summary>
    public string? ManagedBy { get; init; }

    public override string ToString() => $"{Status} {Kind}/{(Namespace is null ? string.Empty : Namespace + "/")}{Name}";
}

public sealed class DriftOptions
{
    public bool IncludeUnmanaged { get; init; }
    public IReadOnlyCollection<string>? Namespaces { get; init; }
}

/// <summary>
/// Git versus the live cluster: one paged LIST per resource type and namespace (never a GET per object),
/// then a field-level comparison of what Git declares. Server-set fields (status, metadata.uid,
/// resourceVersion, generation, creationTimestamp, managedFields, ...) and values the API server defaults
/// (fields Git does not declare) are not drift. Secrets are compared by hash.
/// </summary>
public static class DriftAnalyzer
{
    private static readonly HashSet<string> ServerMetadata = new(StringComparer.Ordinal)
    {
        "resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp",
        "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
    };

    private static readonly string[] IgnoredAnnotations =
    {
        "kubectl.kubernetes.io/last-applied-configuration", "argocd.argoproj.io/tracking-id", "deployment.kubernetes.io/revision",
    };

    public static async Task<List<DriftResult>> CompareAsync(IReadOnlyList<ManifestObject> git, LiveCluster cluster, DriftOptions options,
        IScanHost host, CancellationToken cancellation)
    {
        var results = new List<DriftResult>();
        IReadOnlyDictionary<(string, string), ServedResource> served;
        try
        {
            served = await cluster.DiscoverAsync(cancellation).ConfigureAwait(false);
        }
        catch (ClusterException e)
        {
            host.Error(new ScanError(e.ErrorId, e.Category, $"Discovery failed on context '{cluster.Context}': {e.Message}", cluster.Context, Exception: e));
            return results;
        }
        HashSet<string> fluxInventory = options.IncludeUnmanaged ? await FluxInventoryAsync(cluster, served, cancellation).ConfigureAwait(false) : new HashSet<string>();
        var wanted = git.Where(o => options.Namespaces is null || o.Namespace is null || options.Namespaces.Contains(o.Namespace)).ToList();
        var groups = new Dictionary<(ServedResource Resource, string? Namespace), List<ManifestObject>>();
        foreach (ManifestObject obj in wanted)
        {
            if (!served.TryGetValue((obj.ApiVersion, obj.Kind), out ServedResource? resource))
            {
                host.Error(new ScanError("GitOpsSec.Cluster.KindNotServed", ScanErrorCategory.ObjectNotFound,
                    $"The cluster does not serve {obj.ApiVersion} {obj.Kind} (CRD not installed, or the API version was removed).", obj.Path, obj.Line));
                continue;
            }
            string? ns = resource.Namespaced ? obj.Namespace ?? "default" : null;
            var key = (resource, ns);
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = new List<ManifestObject>();
            }
            list.Add(obj);
        }
        foreach (var ((resource, ns), objects) in groups)
        {
            cancellation.ThrowIfCancellationRequested();
            List<JsonObject> live;
            try
            {
                live = await cluster.ListAsync(resource, ns, cancellation).ConfigureAwait(false);
            }
            catch (ClusterException e)
            {
                host.Error(new ScanError(e.ErrorId, e.Category, $"{resource.Kind} in {(ns ?? "the cluster")}: {e.Message} {objects.Count} object(s) not compared.",
                    $"{resource.ApiVersion}/{resource.Kind}", Exception: e));
                continue;
            }
            var byName = live.Where(o => o["metadata"]?["name"] is not null)
                .ToDictionary(o => o["metadata"]!["name"]!.GetValue<string>(), StringComparer.Ordinal);
            var declared = new HashSet<string>(StringComparer.Ordinal);
            foreach (ManifestObject obj in objects)
            {
                declared.Add(obj.Name ?? string.Empty);
                if (!byName.TryGetValue(obj.Name ?? string.Empty, out JsonObject? current))
                {
                    results.Add(Result("Missing", obj, Array.Empty<DriftDifference>()));
                    continue;
                }
                var diffs = new List<DriftDifference>();
                bool secret = obj.Kind == "Secret" && obj.ApiVersion == "v1";
                Compare(obj.Node, current, string.Empty, diffs, secret);
                // A field another controller owns (an HPA's spec.replicas, a webhook's injected value) is its business, not drift.
                var foreign = ForeignFields(current);
                diffs.RemoveAll(d => foreign.Contains(d.Field));
                results.Add(Result(diffs.Count == 0 ? "InSync" : "Changed", obj, diffs));
            }
            if (options.IncludeUnmanaged)
            {
                foreach (var (name, current) in byName.Where(p => !declared.Contains(p.Key)))
                {
                    if (current["metadata"]?["ownerReferences"]?.AsArray().Any(r => r?["controller"]?.GetValue<bool>() == true) == true)
                    {
                        continue; // made by a controller (a ReplicaSet of a Deployment, a Job of a CronJob)
                    }
                    results.Add(new DriftResult
                    {
                        Status = "Unmanaged",
                        ApiVersion = resource.ApiVersion,
                        Kind = resource.Kind,
                        Namespace = ns,
                        Name = name,
                        ManagedBy = ManagedBy(current) ??
                                    (fluxInventory.Contains($"{ns}_{name}_{(resource.ApiVersion.Contains('/') ? resource.ApiVersion[..resource.ApiVersion.IndexOf('/')] : string.Empty)}_{resource.Kind}") ? "Flux" : null),
                    });
                }
            }
        }
        return results;
    }

    /// <summary>Field managers that apply Git's version: their fields are Git's to decide.</summary>
    private static readonly string[] Appliers =
    {
        "argocd-controller", "argocd-application-controller", "kustomize-controller", "helm-controller", "kubectl", "kubectl-client-side-apply", "kubectl-edit",
    };

    /// <summary>
    /// Paths (in the difference notation: spec.template.spec.containers[web].image) of fields that only
    /// managers other than the GitOps appliers own, from metadata.managedFields (fieldsV1).
    /// </summary>
    internal static HashSet<string> ForeignFields(JsonObject live)
    {
        var ours = new HashSet<string>(StringComparer.Ordinal);
        var theirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? entry in live["metadata"]?["managedFields"]?.AsArray() ?? new JsonArray())
        {
            string manager = entry?["manager"]?.GetValue<string>() ?? string.Empty;
            bool applier = entry?["operation"]?.GetValue<string>() == "Apply" ||
                           Appliers.Any(a => manager.StartsWith(a, StringComparison.Ordinal));
            if (entry?["fieldsV1"] is JsonObject fields)
            {
                Collect(fields, string.Empty, applier ? ours : theirs);
            }
        }
        theirs.ExceptWith(ours);
        return theirs;
    }

    private static void Collect(JsonObject fields, string path, HashSet<string> into)
    {
        foreach (var (key, value) in fields)
        {
            string? child = null;
            if (key.StartsWith("f:", StringComparison.Ordinal))
            {
                child = path.Length == 0 ? key[2..] : path + "." + key[2..];
            }
            else if (key.StartsWith("k:", StringComparison.Ordinal) && JsonNode.Parse(key[2..]) is JsonObject item && item["name"] is JsonNode name)
            {
                child = $"{path}[{name}]";
            }
            if (child is null)
            {
                continue;
            }
            if (value is JsonObject sub && sub.Count > 0 && !(sub.Count == 1 && sub.ContainsKey(".")))
            {
                Collect(sub, child, into);
            }
            else
            {
                into.Add(child);
            }
        }
    }

    private static DriftResult Result(string status, ManifestObject obj, IReadOnlyList<DriftDifference> diffs) => new()
    {
        Status = status,
        ApiVersion = obj.ApiVersion,
        Kind = obj.Kind,
        Namespace = obj.Namespace,
        Name = obj.Name ?? string.Empty,
        Path = obj.Path,
        Line = obj.Line,
        Differences = diffs,
    };

    /// <summary>The ids (namespace_name_group_kind) in every Flux Kustomization's status.inventory: objects Flux applied.</summary>
    private static async Task<HashSet<string>> FluxInventoryAsync(LiveCluster cluster, IReadOnlyDictionary<(string, string), ServedResource> served, CancellationToken cancellation)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in served.Values.Where(r => r.Kind == "Kustomization" && r.ApiVersion.StartsWith("kustomize.toolkit.fluxcd.io/", StringComparison.Ordinal)))
        {
            try
            {
                foreach (JsonObject k in await cluster.ListAsync(resource, null, cancellation).ConfigureAwait(false))
                {
                    foreach (JsonNode? e in k["status"]?["inventory"]?["entries"]?.AsArray() ?? new JsonArray())
                    {
                        if (e?["id"]?.GetValue<string>() is string id)
                        {
                            ids.Add(id);
                        }
                    }
                }
            }
            catch (ClusterException)
            {
                // Without the inventory, unmanaged objects are still reported; they are just not attributed to Flux.
            }
        }
        return ids;
    }

    private static string? ManagedBy(JsonObject o)
    {
        var labels = o["metadata"]?["labels"] as JsonObject;
        var annotations = o["metadata"]?["annotations"] as JsonObject;
        if (annotations?["argocd.argoproj.io/tracking-id"] is not null || labels?["argocd.argoproj.io/instance"] is not null)
        {
            return "ArgoCD";
        }
        if (labels?["kustomize.toolkit.fluxcd.io/name"] is not null || labels?["helm.toolkit.fluxcd.io/name"] is not null)
        {
            return "Flux";
        }
        return null;
    }

    /// <summary>Compares what Git declares (<paramref name="git"/>) with the live value; fields Git leaves out are the server's.</summary>
    private static void Compare(YNode git, JsonNode? live, string path, List<DriftDifference> diffs, bool secret)
    {
        switch (git)
        {
            case YMapping map:
                if (live is not JsonObject obj)
                {
                    diffs.Add(new DriftDifference(Show(path), "an object", Describe(live)));
                    return;
                }
                foreach (var (key, value) in map.Entries)
                {
                    string k = key.Value;
                    string child = path.Length == 0 ? k : path + "." + k;
                    if (path.Length == 0 && k is "status")
                    {
                        continue;
                    }
                    if (path == "metadata" && ServerMetadata.Contains(k))
                    {
                        continue;
                    }
                    if (path == "metadata.annotations" && IgnoredAnnotations.Contains(k))
                    {
                        continue;
                    }
                    if (secret && path.Length == 0 && k is "data" or "stringData")
                    {
                        CompareSecret(map, obj, k, diffs);
                        continue;
                    }
                    Compare(value, obj[k], child, diffs, secret);
                }
                break;
            case YSequence seq:
                if (live is not JsonArray array)
                {
                    diffs.Add(new DriftDifference(Show(path), $"a list of {seq.Items.Count}", Describe(live)));
                    return;
                }
                for (int i = 0; i < seq.Items.Count; i++)
                {
                    YNode item = seq.Items[i];
                    string? name = (item as YMapping)?.Text("name");
                    JsonNode? counterpart = name is not null
                        ? array.FirstOrDefault(a => a?["name"]?.GetValue<object>()?.ToString() == name)
                        : i < array.Count ? array[i] : null;
                    string child = $"{path}[{name ?? i.ToString(CultureInfo.InvariantCulture)}]";
                    if (counterpart is null)
                    {
                        diffs.Add(new DriftDifference(Show(child), "present", null));
                        continue;
                    }
                    Compare(item, counterpart, child, diffs, secret);
                }
                break;
            case YScalar scalar:
                if (!SameValue(scalar, live))
                {
                    diffs.Add(new DriftDifference(Show(path), scalar.IsNull ? "null" : scalar.Value, Describe(live)));
                }
                break;
        }
    }

    private static void CompareSecret(YMapping git, JsonObject live, string field, List<DriftDifference> diffs)
    {
        var liveData = live["data"] as JsonObject;
        foreach (var (key, value) in git.Map(field)?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
        {
            string gitBase64 = field == "data" ? (value as YScalar)?.Value ?? string.Empty : Convert.ToBase64String(Encoding.UTF8.GetBytes((value as YScalar)?.Value ?? string.Empty));
            string? liveBase64 = liveData?[key.Value]?.GetValue<string>();
            if (!string.Equals(Hash(gitBase64), liveBase64 is null ? null : Hash(liveBase64), StringComparison.Ordinal))
            {
                diffs.Add(new DriftDifference($"data.{key.Value}", "hmac:" + Hash(gitBase64)[..12], liveBase64 is null ? null : "hmac:" + Hash(liveBase64)[..12]));
            }
        }
    }

    private static string Hash(string base64)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            bytes = Encoding.UTF8.GetBytes(base64);
        }
        return GitOpsSec.Secrets.SecretDigest.Of(bytes); // keyed: a digest in drift output must not let anyone test guesses
    }

    private static bool SameValue(YScalar git, JsonNode? live)
    {
        object? g = ScalarResolver.Resolve(git);
        if (live is null)
        {
            return g is null;
        }
        if (live is not JsonValue v)
        {
            return false;
        }
        string liveText = v.ToJsonString().Trim('"');
        if (g is bool b)
        {
            return v.TryGetValue(out bool lb) && lb == b;
        }
        if (g is null)
        {
            return false;
        }
        string gitText = git.Value;
        if (gitText == liveText)
        {
            return true;
        }
        // 8080 vs "8080", 0.5 vs 500m, 1Gi vs 1073741824: the API server normalises numbers and quantities.
        return KubernetesQuantity.Parse(gitText) is double a && KubernetesQuantity.Parse(liveText) is double c && Math.Abs(a - c) < 1e-9;
    }

    private static string? Describe(JsonNode? n) => n switch
    {
        null => null,
        JsonValue v => v.ToJsonString().Trim('"'),
        JsonArray a => $"a list of {a.Count}",
        _ => "an object",
    };

    private static string Show(string path) => path.Length == 0 ? "(object)" : path;
}
