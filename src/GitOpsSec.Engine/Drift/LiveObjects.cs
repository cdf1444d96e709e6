using System.Text.Json.Nodes;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Drift;

/// <summary>
/// Live objects as ManifestObjects, so the offline analyses (rules, RBAC exposure, network coverage) run
/// unchanged over what is really running. One paged LIST per kind across all namespaces; objects owned by
/// a controller (the Pods of a ReplicaSet, the ReplicaSets of a Deployment) are left out, their owner
/// already carries the spec. Paths read live/&lt;context&gt;/&lt;Kind&gt;/&lt;namespace&gt;/&lt;name&gt;.
/// </summary>
public static class LiveObjects
{
    /// <summary>The kinds the analyses read: workloads, RBAC, network policy, services, GitOps controllers. Secrets are never read.</summary>
    public static readonly IReadOnlyList<(string ApiVersion, string Kind)> AnalysisKinds = new[]
    {
        ("v1", "Namespace"), ("v1", "Pod"), ("v1", "ServiceAccount"), ("v1", "Service"),
        ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"), ("apps/v1", "ReplicaSet"),
        ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("networking.k8s.io/v1", "NetworkPolicy"), ("networking.k8s.io/v1", "Ingress"),
        ("policy/v1", "PodDisruptionBudget"),
        ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"), ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("argoproj.io/v1alpha1", "Application"), ("argoproj.io/v1alpha1", "AppProject"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"), ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    };

    public static async Task<List<ManifestObject>> ReadAsync(LiveCluster cluster, IReadOnlyCollection<string>? namespaces, IScanHost host, CancellationToken cancellation)
    {
        var objects = new List<ManifestObject>();
        IReadOnlyDictionary<(string, string), ServedResource> served;
        try
        {
            served = await cluster.DiscoverAsync(cancellation).ConfigureAwait(false);
        }
        catch (ClusterException e)
        {
            host.Error(new ScanError(e.ErrorId, e.Category, $"Discovery failed on context '{cluster.Context}': {e.Message}", cluster.Context, Exception: e));
            return objects;
        }
        foreach (var key in AnalysisKinds)
        {
            if (!served.TryGetValue(key, out ServedResource? resource))
            {
                continue; // e.g. no Argo CD in this cluster
            }
            List<JsonObject> items;
            try
            {
                items = await cluster.ListAsync(resource, null, cancellation).ConfigureAwait(false);
            }
            catch (ClusterException e)
            {
                host.Error(new ScanError(e.ErrorId, e.Category, $"{key.Item2}: {e.Message} The other kinds are still read.", $"{key.Item1}/{key.Item2}", Exception: e));
                continue;
            }
            foreach (JsonObject item in items)
            {
                item["apiVersion"] ??= resource.ApiVersion;
                item["kind"] ??= resource.Kind;
                string? ns = item["metadata"]?["namespace"]?.GetValue<string>();
                if (namespaces is not null && ns is not null && !namespaces.Contains(ns))
                {
                    continue;
                }
                if (item["metadata"]?["ownerReferences"]?.AsArray().Any(r => r?["controller"]?.GetValue<bool>() == true) == true)
                {
                    continue;
                }
                (item["metadata"] as JsonObject)?.Remove("managedFields");
                string path = $"live/{cluster.Context}/{resource.Kind}/{(ns is null ? string.Empty : ns + "/")}{item["metadata"]?["name"]?.GetValue<string>()}";
                var errors = new List<ScanError>();
                if (YamlDocumentReader.Read(item.ToJsonString(), path, LoadLimits.Default, errors.Add).FirstOrDefault()?.Root is YMapping map)
                {
                    objects.Add(new ManifestObject(map, path, 1, 0));
                }
            }
        }
        return objects;
    }
}
