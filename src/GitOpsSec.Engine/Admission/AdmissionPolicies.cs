using GitOpsSec.Cel;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Admission;

/// <summary>What one admission policy decided for one object (with one binding and one param).</summary>
public enum AdmissionResult
{
    /// <summary>Every validation holds (or the policy does not apply after its matchConditions).</summary>
    Pass,

    /// <summary>A validation is false: the message says which.</summary>
    Fail,

    /// <summary>Not decidable offline (the authorizer, a missing param, the cost budget, an evaluation error under failurePolicy Fail): never a Pass.</summary>
    Error,

    /// <summary>A Gatekeeper template whose source is Rego: listed, not evaluated, never passed.</summary>
    NotEvaluated,
}

/// <summary>One admission-policy verdict for one object, as the API server would reach it for a CREATE by the sync identity.</summary>
public sealed record AdmissionPolicyResult
{
    /// <summary>ValidatingAdmissionPolicy, Kyverno ValidatingPolicy, or Gatekeeper.</summary>
    public required string Engine { get; init; }

    /// <summary>Kind/name of the policy (ValidatingAdmissionPolicy/x, ValidatingPolicy/x, ConstraintTemplate/x).</summary>
    public required string Policy { get; init; }

    /// <summary>The binding or constraint that selected the object (null for Kyverno, whose policies bind themselves).</summary>
    public string? Binding { get; init; }

    /// <summary>The param object (Kind/namespace/name), when the policy takes params.</summary>
    public string? Param { get; init; }

    public required string Resource { get; init; }
    public required string Kind { get; init; }
    public string? Namespace { get; init; }
    public required string Name { get; init; }

    public required AdmissionResult Result { get; init; }

    /// <summary>What a Fail does: Deny, Warn and/or Audit (validationActions; Gatekeeper deny/warn/dryrun).</summary>
    public required IReadOnlyList<string> Actions { get; init; }

    /// <summary>The failed validation's message (or messageExpression's value), or why the result is an Error.</summary>
    public required string Message { get; init; }

    /// <summary>The expression that failed (or could not be decided).</summary>
    public string? Expression { get; init; }

    /// <summary>The validation's reason (Invalid, Forbidden, ...).</summary>
    public string? Reason { get; init; }

    /// <summary>The object is a Pod a workload in the repository creates (its template), not an object synced directly.</summary>
    public bool FromTemplate { get; init; }

    public string? Path { get; init; }
    public int Line { get; init; }
    public string? PolicyPath { get; init; }

    /// <summary>A Fail or Error that the API server would turn into a rejection.</summary>
    public bool Denied => Result is AdmissionResult.Fail or AdmissionResult.Error && Actions.Contains("Deny");

    internal Manifests.ManifestObject? Object { get; init; }

    public override string ToString() => $"{Result} {Policy}{(Binding is null ? string.Empty : " (" + Binding + ")")} {Resource}";
}

/// <summary>
/// Admission policies written in CEL, evaluated offline as the API server (or Kyverno, or Gatekeeper) would:
/// ValidatingAdmissionPolicy with its bindings (matchConstraints and matchResources with namespace and object
/// selectors against the repository's Namespace objects, excludeResourceRules, matchConditions, variables,
/// validations with messageExpression, paramKind/paramRef resolved from the repository, failurePolicy,
/// validationActions); Kyverno ValidatingPolicy; Gatekeeper ConstraintTemplates with a K8sNativeValidation
/// source and their constraints. Each expression is compiled once; a policy that does not compile is an error
/// naming the policy, the expression and the position, and the other policies still run.
/// </summary>
public sealed class AdmissionPolicySet
{
    private readonly List<CompiledPolicy> _policies = new();
    private readonly List<ManifestObject> _bindings = new();
    private readonly List<(ManifestObject Template, string Kind, bool Rego, CompiledPolicy? Cel)> _templates = new();
    private readonly List<ManifestObject> _constraints = new();
    private readonly IScanHost _host;

    public AdmissionPolicySet(IEnumerable<ManifestObject> policyObjects, IScanHost host, string syncIdentity = "system:serviceaccount:argocd:argocd-application-controller")
    {
        _host = host;
        SyncIdentity = syncIdentity;
        foreach (ManifestObject o in policyObjects)
        {
            switch (o.Kind)
            {
                case "ValidatingAdmissionPolicy" when o.ApiVersion.StartsWith("admissionregistration.k8s.io/", StringComparison.Ordinal):
                    Add(CompiledPolicy.Compile(o, "ValidatingAdmissionPolicy", o.Node.Map("spec"), host));
                    break;
                case "ValidatingAdmissionPolicyBinding" when o.ApiVersion.StartsWith("admissionregistration.k8s.io/", StringComparison.Ordinal):
                    _bindings.Add(o);
                    break;
                case "ValidatingPolicy" when o.ApiVersion.StartsWith("policies.kyverno.io/", StringComparison.Ordinal):
                    Add(CompiledPolicy.Compile(o, "Kyverno ValidatingPolicy", o.Node.Map("spec"), host));
                    break;
                case "ConstraintTemplate" when o.ApiVersion.StartsWith("templates.gatekeeper.sh/", StringComparison.Ordinal):
                    AddTemplate(o);
                    break;
                default:
                    if (o.ApiVersion.StartsWith("constraints.gatekeeper.sh/", StringComparison.Ordinal))
                    {
                        _constraints.Add(o);
                    }
                    break;
            }
        }
        foreach (ManifestObject b in _bindings)
        {
            string? name = b.Node.Map("spec")?.Text("policyName");
            if (name is null || !_policies.Any(p => p.Engine == "ValidatingAdmissionPolicy" && p.Name == name))
            {
                host.Warning($"{b.Path}:{b.Line}: ValidatingAdmissionPolicyBinding/{b.Name} binds policy '{name}', which the repository does not define; it is not evaluated.");
            }
        }
    }

    /// <summary>request.userInfo.username of the offline CREATE: the identity that syncs the repository.</summary>
    public string SyncIdentity { get; }

    public bool IsEmpty => _policies.Count == 0 && _templates.Count == 0;

    private void Add(CompiledPolicy? policy)
    {
        if (policy is not null)
        {
            _policies.Add(policy);
        }
    }

    private void AddTemplate(ManifestObject o)
    {
        string kind = o.Node.Map("spec")?.Map("crd")?.Map("spec")?.Map("names")?.Text("kind") ?? o.Name ?? "(unnamed)";
        foreach (YMapping target in o.Node.Map("spec")?.Seq("targets")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            YMapping? cel = target.Seq("code")?.Items.OfType<YMapping>().FirstOrDefault(c => c.Text("engine") == "K8sNativeValidation")?.Map("source");
            if (cel is not null)
            {
                _templates.Add((o, kind, false, CompiledPolicy.Compile(o, "Gatekeeper", cel, _host)));
                return;
            }
            if (target.Text("rego") is not null || target.Seq("code") is not null)
            {
                _templates.Add((o, kind, true, null));
                return;
            }
        }
    }

    /// <summary>Every verdict for every object (and the Pods of workloads, for policies that match pods).</summary>
    /// <param name="objects">The objects to admit.</param>
    /// <param name="all">Everything the cluster would hold (params, Namespace objects); by default <paramref name="objects"/>.</param>
    public IEnumerable<AdmissionPolicyResult> Evaluate(IReadOnlyList<ManifestObject> objects, IReadOnlyList<ManifestObject>? all = null)
    {
        if (IsEmpty)
        {
            yield break;
        }
        var context = new AdmissionContext(all ?? objects, SyncIdentity);
        foreach (ManifestObject o in objects)
        {
            foreach (AdmissionPolicyResult r in EvaluateOne(o, false, context))
            {
                yield return r;
            }
            // The Pods a workload creates are admitted too: a policy on pods that rejects them leaves the workload without pods.
            if (o.Kind != "Pod" && Rules.PodSecurity.PodSpec.Of(o) is not null && Kyverno.KyvernoEvaluator.PodOf(o) is ManifestObject pod)
            {
                foreach (AdmissionPolicyResult r in EvaluateOne(pod, true, context))
                {
                    yield return r with { Object = o, Path = o.Path, Line = o.Line, Resource = $"{o.Resource} (its pods)", Kind = o.Kind, Name = o.Name ?? string.Empty };
                }
            }
        }
    }

    private IEnumerable<AdmissionPolicyResult> EvaluateOne(ManifestObject obj, bool fromTemplate, AdmissionContext context)
    {
        {
            foreach (CompiledPolicy policy in _policies)
            {
                if (policy.Engine == "ValidatingAdmissionPolicy")
                {
                    foreach (ManifestObject binding in _bindings.Where(b => b.Node.Map("spec")?.Text("policyName") == policy.Name))
                    {
                        foreach (AdmissionPolicyResult r in policy.EvaluateBound(obj, fromTemplate, binding, context))
                        {
                            yield return r;
                        }
                    }
                }
                else
                {
                    foreach (AdmissionPolicyResult r in policy.EvaluateKyverno(obj, fromTemplate, context))
                    {
                        yield return r;
                    }
                }
            }
            foreach (var (template, kind, rego, cel) in _templates)
            {
                foreach (ManifestObject constraint in _constraints.Where(c => c.Kind == kind))
                {
                    bool? selected = GatekeeperMatch.Selects(constraint.Node.Map("spec")?.Map("match"), obj, context.LabelsOfNamespace, out string? undecided);
                    if (selected == false)
                    {
                        continue;
                    }
                    if (selected is null || rego || cel is null)
                    {
                        yield return new AdmissionPolicyResult
                        {
                            Engine = "Gatekeeper",
                            Policy = $"ConstraintTemplate/{template.Name}",
                            Binding = $"{kind}/{constraint.Name}",
                            Resource = obj.Resource.ToString(),
                            Kind = obj.Kind,
                            Namespace = obj.Namespace,
                            Name = obj.Name ?? string.Empty,
                            Result = selected is null ? AdmissionResult.Error : AdmissionResult.NotEvaluated,
                            Actions = GatekeeperMatch.Actions(constraint),
                            Message = selected is null ? $"undecided offline, not passed: {undecided}" : "the template's source is Rego, which GitOpsSec does not evaluate: not passed",
                            FromTemplate = fromTemplate,
                            Path = obj.Path,
                            Line = obj.Line,
                            PolicyPath = template.Path,
                            Object = obj,
                        };
                        continue;
                    }
                    foreach (AdmissionPolicyResult r in cel.EvaluateGatekeeper(obj, fromTemplate, constraint, context))
                    {
                        yield return r;
                    }
                }
            }
        }
    }
}

/// <summary>What every evaluation of one scan shares: Namespace labels and objects, params, resources.</summary>
internal sealed class AdmissionContext
{
    public AdmissionContext(IReadOnlyList<ManifestObject> objects, string syncIdentity)
    {
        Objects = objects;
        SyncIdentity = syncIdentity;
        Namespaces = objects.Where(o => o.Kind == "Namespace" && o.ApiVersion == "v1" && o.Name is not null)
            .GroupBy(o => o.Name!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        NamespaceLabels = Kyverno.KyvernoPolicies.NamespaceLabels(objects);
        Scope = new Applications.KubernetesScope();
        foreach (ManifestObject crd in objects.Where(o => o.Kind == "CustomResourceDefinition"))
        {
            Scope.Learn(crd);
        }
        KyvernoExclusions = Rules.Images.KyvernoExclusions.From(objects);
    }

    public IReadOnlyList<ManifestObject> Objects { get; }
    public string SyncIdentity { get; }
    public Dictionary<string, ManifestObject> Namespaces { get; }
    public Dictionary<string, IReadOnlyDictionary<string, string>> NamespaceLabels { get; }

    private readonly Dictionary<ManifestObject, object?> _converted = new(ReferenceEqualityComparer.Instance);

    /// <summary>The object as CEL sees it (converted once).</summary>
    public object? ToCel(ManifestObject o)
    {
        if (!_converted.TryGetValue(o, out object? v))
        {
            _converted[o] = v = CelValueOf(o.Node, 0);
        }
        return v;
    }

    public static object? CelValueOf(YNode node, int depth)
    {
        if (depth > 200)
        {
            return null;
        }
        switch (node)
        {
            case YScalar s:
                return ScalarResolver.Resolve(s);
            case YSequence seq:
                return seq.Items.Select(i => CelValueOf(i, depth + 1)).ToList();
            case YMapping map:
                {
                    var m = new CelMapValue(map.Entries.Count);
                    foreach (var (k, v) in map.Entries)
                    {
                        m[k.Value] = CelValueOf(v, depth + 1);
                    }
                    return m;
                }
        }
        return null;
    }

    /// <summary>Kinds' scopes: the built-in list and the repository's CRDs.</summary>
    public Applications.KubernetesScope Scope { get; }

    /// <summary>The namespaces Kyverno does not see (its chart's defaults, or the repository's kyverno ConfigMap).</summary>
    public Rules.Images.KyvernoExclusions KyvernoExclusions { get; }

    public bool IsClusterScoped(ManifestObject o) => o.NamespaceOrigin == Applications.NamespaceOrigin.ClusterScoped || o.Kind == "Namespace" ||
        Scope.IsClusterScoped(o.ApiVersion, o.Kind);

    public IReadOnlyDictionary<string, string>? LabelsOfNamespace(string ns) => NamespaceLabels.TryGetValue(ns, out var l) ? l : null;

    public IReadOnlyDictionary<string, string> Labels(ManifestObject o) =>
        o.Node.Map("metadata")?.Map("labels").StringValues() ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
}
