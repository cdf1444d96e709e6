using GitOpsSec.Manifests;
using GitOpsSec.Rbac;
using GitOpsSec.Rules.PodSecurity;
using Policy = (GitOpsSec.Manifests.ManifestObject Object, string Namespace, GitOpsSec.Rbac.LabelSelector Selector, bool Ingress, bool Egress,
    bool AllIngress, bool AllEgress, bool DenyIngress, bool DenyEgress);

namespace GitOpsSec.Network;

/// <summary>How the network policies of its namespace cover one workload.</summary>
public sealed class WorkloadNetworkCoverage
{
    public required string Kind { get; init; }
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public required string Path { get; init; }
    public required int Line { get; init; }

    /// <summary>The NetworkPolicies whose podSelector selects the workload's pods.</summary>
    public required string[] Policies { get; init; }

    /// <summary>Some policy selects the pods for Ingress: only what a policy allows gets in.</summary>
    public required bool IngressIsolated { get; init; }
    public required bool EgressIsolated { get; init; }

    /// <summary>A selecting policy allows every source (an empty rule, or 0.0.0.0/0).</summary>
    public required bool AllowsAllIngress { get; init; }
    public required bool AllowsAllEgress { get; init; }

    public bool IngressRestricted => IngressIsolated && !AllowsAllIngress;
    public bool EgressRestricted => EgressIsolated && !AllowsAllEgress;

    internal ManifestObject Source { get; init; } = null!;

    public override string ToString() => $"{Kind}/{Namespace}/{Name}: ingress {(IngressRestricted ? "restricted" : "open")}, egress {(EgressRestricted ? "restricted" : "open")}";
}

/// <summary>Per namespace: default-deny policies and how many workloads are covered.</summary>
public sealed class NamespaceNetworkCoverage
{
    public required string Namespace { get; init; }
    public required bool DefaultDenyIngress { get; init; }
    public required bool DefaultDenyEgress { get; init; }
    public required string[] Policies { get; init; }
    public required int Workloads { get; init; }
    public required int IngressRestricted { get; init; }
    public required int EgressRestricted { get; init; }

    public override string ToString() => $"{Namespace}: default deny ingress {DefaultDenyIngress}, egress {DefaultDenyEgress}";
}

/// <summary>
/// Matches NetworkPolicies (networking.k8s.io/v1) to workloads with Kubernetes' semantics: a policy
/// selects pods of its own namespace by podSelector (empty: all); policyTypes default to Ingress, plus
/// Egress when the policy has an egress section; a selected pod is isolated in that direction.
/// </summary>
public sealed class NetworkPolicyAnalyzer
{
    private readonly List<Policy> _policies = new();

    /// <summary>The policies of each namespace, in order (a monorepo has hundreds of namespaces: no pass over every policy per workload).</summary>
    private readonly ILookup<string, Policy> _policiesByNamespace;
    private readonly List<(ManifestObject Object, string Namespace, IReadOnlyDictionary<string, string> Labels)> _workloads = new();

    public NetworkPolicyAnalyzer(IEnumerable<ManifestObject> objects)
    {
        foreach (ManifestObject obj in objects)
        {
            if (obj.Kind == "NetworkPolicy" && obj.ApiVersion == "networking.k8s.io/v1")
            {
                AddPolicy(obj);
            }
            else if (obj.Kind != "PodTemplate" && PodSpec.Of(obj) is PodSpec pod && obj.Namespace is string ns)
            {
                _workloads.Add((obj, ns, (pod.Metadata?.Map("labels")).StringValues()));
                _firstWorkload.TryAdd(ns, obj);
            }
        }
        _policiesByNamespace = _policies.ToLookup(p => p.Namespace, StringComparer.Ordinal);
    }

    private void AddPolicy(ManifestObject obj)
    {
        YMapping? spec = obj.Node.Map("spec");
        if (spec is null || obj.Namespace is null)
        {
            return;
        }
        var types = spec.Seq("policyTypes")?.Items.OfType<YScalar>().Select(s => s.Value).ToHashSet();
        bool ingress = types?.Contains("Ingress") ?? true;
        bool egress = types?.Contains("Egress") ?? spec.ContainsKey("egress");
        YSequence? ingressRules = spec.Seq("ingress");
        YSequence? egressRules = spec.Seq("egress");
        bool selectsAll = spec.Map("podSelector") is not YMapping sel || sel.Entries.Count == 0;
        _policies.Add((obj, obj.Namespace,
            spec.Map("podSelector") is YMapping podSelector ? LabelSelector.FromNode(podSelector) : new LabelSelector(),
            ingress, egress,
            AllowsAll(ingressRules, "from"), AllowsAll(egressRules, "to"),
            selectsAll && ingress && (ingressRules is null || ingressRules.Items.Count == 0),
            selectsAll && egress && (egressRules is null || egressRules.Items.Count == 0)));
    }

    /// <summary>
    /// A rule allows everything when it names no ports (every port) and no peers, or a peer that is everyone: a
    /// 0.0.0.0/0 (or ::/0) block without exceptions, or every pod of every namespace. A rule that names ports restricts.
    /// </summary>
    private static bool AllowsAll(YSequence? rules, string peersKey) =>
        rules?.Items.OfType<YMapping>().Any(rule => (rule.Seq("ports") is not YSequence ports || ports.Items.Count == 0) && (
            rule.Seq(peersKey) is not YSequence peers || peers.Items.Count == 0 ||
            peers.Items.OfType<YMapping>().Any(p => p.Map("ipBlock")?.Text("cidr") is "0.0.0.0/0" or "::/0" && p.Map("ipBlock")!.Seq("except") is null ||
                                                    (p.Map("namespaceSelector") is YMapping nsSel && nsSel.Entries.Count == 0 &&
                                                     (p.Map("podSelector") is not YMapping ps || ps.Entries.Count == 0))))) == true;

    /// <summary>How the policies cover each workload, in order (computed once: three rules and the namespace view read it).</summary>
    public IEnumerable<WorkloadNetworkCoverage> Workloads() => _coverage ??= Coverage().ToList();

    private List<WorkloadNetworkCoverage>? _coverage;

    private IEnumerable<WorkloadNetworkCoverage> Coverage()
    {
        foreach (var (obj, ns, labels) in _workloads)
        {
            var selecting = _policiesByNamespace[ns].Where(p => p.Selector.Matches(labels)).ToList();
            yield return new WorkloadNetworkCoverage
            {
                Kind = obj.Kind, Namespace = ns, Name = obj.Name ?? "(unnamed)", Path = obj.Path, Line = obj.Line, Source = obj,
                Policies = selecting.Select(p => p.Object.Name ?? "?").ToArray(),
                IngressIsolated = selecting.Any(p => p.Ingress),
                EgressIsolated = selecting.Any(p => p.Egress),
                AllowsAllIngress = selecting.Any(p => p.Ingress && p.AllIngress),
                AllowsAllEgress = selecting.Any(p => p.Egress && p.AllEgress),
            };
        }
    }

    /// <summary>Every namespace that has workloads or policies.</summary>
    public IEnumerable<NamespaceNetworkCoverage> Namespaces()
    {
        var workloads = Workloads().ToLookup(w => w.Namespace, StringComparer.Ordinal);
        foreach (string ns in _workloads.Select(w => w.Namespace).Concat(_policies.Select(p => p.Namespace)).Distinct().Order(StringComparer.Ordinal))
        {
            var policies = _policiesByNamespace[ns].ToList();
            var inNamespace = workloads[ns].ToList();
            yield return new NamespaceNetworkCoverage
            {
                Namespace = ns,
                DefaultDenyIngress = policies.Any(p => p.DenyIngress),
                DefaultDenyEgress = policies.Any(p => p.DenyEgress),
                Policies = policies.Select(p => p.Object.Name ?? "?").ToArray(),
                Workloads = inNamespace.Count,
                IngressRestricted = inNamespace.Count(w => w.IngressRestricted),
                EgressRestricted = inNamespace.Count(w => w.EgressRestricted),
            };
        }
    }

    /// <summary>The first workload object of a namespace (where a namespace-level finding is reported).</summary>
    internal ManifestObject? FirstWorkload(string ns) => _firstWorkload.GetValueOrDefault(ns);

    private readonly Dictionary<string, ManifestObject> _firstWorkload = new(StringComparer.Ordinal);
}
