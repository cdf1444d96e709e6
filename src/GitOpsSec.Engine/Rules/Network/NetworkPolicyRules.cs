using GitOpsSec.Manifests;
using GitOpsSec.Network;

namespace GitOpsSec.Rules.Network;

/// <summary>GOS5001: a namespace with workloads and no default-deny ingress NetworkPolicy.</summary>
internal sealed class NamespaceWithoutDefaultDenyRule : IRepositoryRule
{
    public string Id => "GOS5001";
    public RepositoryModels Reads => RepositoryModels.Network;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository)
    {
        NetworkPolicyAnalyzer analyzer = repository.Network;
        // The first Namespace object of each name, found in one pass (not a pass over every object per namespace).
        var declared = new Dictionary<string, ManifestObject>(StringComparer.Ordinal);
        foreach (ManifestObject o in repository.Objects)
        {
            if (o.Kind == "Namespace" && o.Name is not null)
            {
                declared.TryAdd(o.Name, o);
            }
        }
        foreach (NamespaceNetworkCoverage ns in analyzer.Namespaces().Where(n => n.Workloads > 0 && !n.DefaultDenyIngress))
        {
            ManifestObject? where = declared.GetValueOrDefault(ns.Namespace) ?? analyzer.FirstWorkload(ns.Namespace);
            if (where is not null)
            {
                string missing = ns.DefaultDenyEgress ? "ingress" : "ingress or egress";
                yield return (where, new Violation(FieldPath.Root.Key("metadata").Key("namespace"), ns.Namespace,
                    $"{ns.Workloads} workload(s); no default-deny {missing} policy")
                {
                    AboutNamespace = where.Kind == "Namespace" ? null : ns.Namespace,
                });
            }
        }
    }
}

/// <summary>GOS5002: a workload whose ingress no NetworkPolicy restricts (not selected, or a policy allows all).</summary>
internal sealed class WorkloadIngressNotRestrictedRule : IRepositoryRule
{
    public string Id => "GOS5002";
    public RepositoryModels Reads => RepositoryModels.Network;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        WorkloadDirection.Open(repository, ingress: true);
}

/// <summary>GOS5003: a workload whose egress no NetworkPolicy restricts (not selected for Egress, or a policy allows every destination).</summary>
internal sealed class WorkloadEgressNotRestrictedRule : IRepositoryRule
{
    public string Id => "GOS5003";
    public RepositoryModels Reads => RepositoryModels.Network;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        WorkloadDirection.Open(repository, ingress: false);
}

/// <summary>The workloads whose traffic in one direction no NetworkPolicy restricts, and why.</summary>
internal static class WorkloadDirection
{
    public static IEnumerable<(ManifestObject, Violation)> Open(RepositoryContext repository, bool ingress)
    {
        string direction = ingress ? "Ingress" : "Egress";
        foreach (WorkloadNetworkCoverage w in repository.Network.Workloads().Where(w => !(ingress ? w.IngressRestricted : w.EgressRestricted)))
        {
            bool isolated = ingress ? w.IngressIsolated : w.EgressIsolated;
            string why = isolated ? $"policy {string.Join(", ", w.Policies)} allows {(ingress ? "all sources" : "every destination")}"
                : w.Policies.Length > 0 ? $"policy {string.Join(", ", w.Policies)} selects its pods but not for {direction} (policyTypes)"
                : "no NetworkPolicy selects its pods";
            yield return (w.Source, new Violation(FieldPath.Root.Keys("spec"), $"{w.Kind} {w.Namespace}/{w.Name}", why));
        }
    }
}
