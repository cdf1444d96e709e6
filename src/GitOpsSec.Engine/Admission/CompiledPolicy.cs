using GitOpsSec.Cel;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rbac;

namespace GitOpsSec.Admission;

/// <summary>One compiled CEL expression of a policy, or why it did not compile (it then evaluates to an error).</summary>
internal sealed record PolicyExpression(string Field, string Source, CelProgram? Program, string? CompileError)
{
    public object? Evaluate(Dictionary<string, object?> vars)
    {
        if (Program is null)
        {
            return new CelError($"{Field} does not compile: {CompileError}");
        }
        return Program.Evaluate(vars);
    }
}

/// <summary>A policy's CEL parts compiled once: match conditions, variables, validations, and its match and failure settings.</summary>
internal sealed class CompiledPolicy
{
    private static readonly string[] Variables = { "object", "oldObject", "request", "params", "namespaceObject", "authorizer", "variables" };

    // Kyverno's CEL libraries that reach the cluster, the network or a registry: undecided offline.
    private static readonly string[] KyvernoClusterVariables = { "resource", "http", "globalContext", "image", "imageData" };

    private readonly List<(string Name, PolicyExpression Expr)> _matchConditions = new();
    private readonly List<(string Name, PolicyExpression Expr)> _variables = new();
    private readonly List<(PolicyExpression Expr, string? Message, PolicyExpression? MessageExpression, string? Reason)> _validations = new();

    private CompiledPolicy(ManifestObject source, string engine)
    {
        Source = source;
        Engine = engine;
    }

    public ManifestObject Source { get; }
    public string Engine { get; }
    public string Name => Source.Name ?? "(unnamed)";
    private YMapping? Spec { get; set; }
    private bool FailurePolicyIgnore { get; set; }

    public string Id => Engine switch
    {
        "Gatekeeper" => $"ConstraintTemplate/{Name}",
        "Kyverno ValidatingPolicy" => $"ValidatingPolicy/{Name}",
        _ => $"ValidatingAdmissionPolicy/{Name}",
    };

    public static CompiledPolicy? Compile(ManifestObject o, string engine, YMapping? spec, IScanHost host)
    {
        if (spec is null)
        {
            return null;
        }
        var policy = new CompiledPolicy(o, engine)
        {
            Spec = spec,
            FailurePolicyIgnore = o.Node.Map("spec")?.Text("failurePolicy") == "Ignore",
        };
        var names = Variables.Concat(engine == "Kyverno ValidatingPolicy" ? KyvernoClusterVariables : Array.Empty<string>()).ToArray();
        PolicyExpression Compile(string field, string? source)
        {
            if (source is null)
            {
                return new PolicyExpression(field, string.Empty, null, "no expression");
            }
            try
            {
                return new PolicyExpression(field, source, CelProgram.Compile(source, names), null);
            }
            catch (CelCompileException e)
            {
                host.Error(new ScanError("GitOpsSec.Admission.CompileError", ScanErrorCategory.InvalidData,
                    $"{o.Path}:{o.Line}: {policy.Id} {field}: '{Clip(source)}' at position {e.Position}: {e.Message}. The policy's other expressions still run; this one is an error when evaluated.",
                    o.Path));
                return new PolicyExpression(field, source, null, $"{e.Message} at position {e.Position}");
            }
        }
        int i = 0;
        foreach (YMapping m in spec.Seq("matchConditions")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            policy._matchConditions.Add((m.Text("name") ?? $"#{i}", Compile($"matchConditions[{i++}]", m.Text("expression"))));
        }
        i = 0;
        foreach (YMapping v in spec.Seq("variables")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            policy._variables.Add((v.Text("name") ?? $"v{i}", Compile($"variables[{i++}]", v.Text("expression"))));
        }
        i = 0;
        foreach (YMapping v in spec.Seq("validations")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            string field = $"validations[{i++}]";
            policy._validations.Add((Compile(field, v.Text("expression")), v.Text("message"),
                v.Text("messageExpression") is string me ? Compile(field + ".messageExpression", me) : null, v.Text("reason")));
        }
        return policy;
    }

    private static string Clip(string s) => s.Length > 1000 ? s[..1000] + "…" : s;

    // ---- ValidatingAdmissionPolicy + binding ----------------------------------------------------

    public IEnumerable<AdmissionPolicyResult> EvaluateBound(ManifestObject obj, bool fromTemplate, ManifestObject binding, AdmissionContext cx)
    {
        YMapping? bspec = binding.Node.Map("spec");
        var actions = bspec?.Seq("validationActions")?.Items.OfType<YScalar>().Select(s => s.Value).ToList() ?? new List<string> { "Deny" };
        string bindingId = $"ValidatingAdmissionPolicyBinding/{binding.Name}";
        string? undecided = null;
        bool? selected = ResourceMatch.Selects(Spec!.Map("matchConstraints"), obj, cx, ref undecided);
        if (selected == true && bspec?.Map("matchResources") is YMapping own)
        {
            selected = ResourceMatch.Selects(own, obj, cx, ref undecided);
        }
        if (selected == false)
        {
            yield break;
        }
        if (selected is null)
        {
            yield return Result(obj, fromTemplate, bindingId, null, AdmissionResult.Error, actions, $"undecided offline, not passed: {undecided}", null, null);
            yield break;
        }
        YMapping? paramKind = Spec.Map("paramKind");
        if (paramKind is null)
        {
            yield return Run(obj, fromTemplate, bindingId, null, null, actions, cx, extraVariables: null);
            yield break;
        }
        YMapping? paramRef = bspec?.Map("paramRef");
        if (paramRef is null)
        {
            yield return Result(obj, fromTemplate, bindingId, null, AdmissionResult.Error, actions,
                $"the policy takes params ({paramKind.Text("kind")}) but the binding has no paramRef", null, null);
            yield break;
        }
        var parameters = Params(paramKind, paramRef, obj, cx).ToList();
        if (parameters.Count == 0)
        {
            if (paramRef.Text("parameterNotFoundAction") == "Allow")
            {
                yield break;
            }
            yield return Result(obj, fromTemplate, bindingId, null, AdmissionResult.Fail, actions,
                $"no params found for policy binding with Deny parameterNotFoundAction ({paramKind.Text("kind")} {Describe(paramRef)} is not in the repository)", null, null);
            yield break;
        }
        foreach (ManifestObject p in parameters)
        {
            yield return Run(obj, fromTemplate, bindingId, p, cx.ToCel(p), actions, cx, extraVariables: null);
        }
    }

    private static string Describe(YMapping paramRef) =>
        paramRef.Text("name") is string n ? $"'{(paramRef.Text("namespace") is string ns ? ns + "/" : string.Empty)}{n}'" : "selected by the binding";

    private static IEnumerable<ManifestObject> Params(YMapping paramKind, YMapping paramRef, ManifestObject obj, AdmissionContext cx)
    {
        string apiVersion = paramKind.Text("apiVersion") ?? "v1";
        string kind = paramKind.Text("kind") ?? string.Empty;
        var candidates = cx.Objects.Where(o => o.Kind == kind && o.ApiVersion == apiVersion).ToList();
        bool clusterScoped = candidates.Count > 0 ? cx.IsClusterScoped(candidates[0]) : cx.Scope.IsClusterScoped(apiVersion, kind);
        // A namespaced param kind without paramRef.namespace is looked up in the namespace of the object being admitted.
        string? ns = clusterScoped ? null : paramRef.Text("namespace") ?? obj.Namespace;
        candidates = candidates.Where(o => clusterScoped || o.Namespace == ns).ToList();
        if (paramRef.Text("name") is string name)
        {
            return candidates.Where(o => o.Name == name);
        }
        if (paramRef.Map("selector") is YMapping selector)
        {
            var s = LabelSelector.FromNode(selector);
            return candidates.Where(o => s.Matches(cx.Labels(o)));
        }
        return Enumerable.Empty<ManifestObject>();
    }

    // ---- Kyverno ValidatingPolicy -----------------------------------------------------------------

    public IEnumerable<AdmissionPolicyResult> EvaluateKyverno(ManifestObject obj, bool fromTemplate, AdmissionContext cx)
    {
        var actions = Spec!.Seq("validationActions")?.Items.OfType<YScalar>().Select(s => s.Value).ToList() ?? new List<string> { "Deny" };
        if (Source.Node.Map("spec")?.Map("evaluation")?.Map("admission")?.Text("enabled") == "false")
        {
            yield break; // background only
        }
        string ns = obj.Namespace ?? string.Empty;
        if (ns.Length > 0 && cx.KyvernoExclusions.Excludes(ns) is not null)
        {
            yield break;
        }
        string? undecided = null;
        bool? selected = ResourceMatch.Selects(Spec.Map("matchConstraints"), obj, cx, ref undecided);
        if (selected == false)
        {
            yield break;
        }
        if (selected is null)
        {
            yield return Result(obj, fromTemplate, null, null, AdmissionResult.Error, actions, $"undecided offline, not passed: {undecided}", null, null);
            yield break;
        }
        yield return Run(obj, fromTemplate, null, null, null, actions, cx, extraVariables: null);
    }

    // ---- Gatekeeper K8sNativeValidation ------------------------------------------------------------

    public IEnumerable<AdmissionPolicyResult> EvaluateGatekeeper(ManifestObject obj, bool fromTemplate, ManifestObject constraint, AdmissionContext cx)
    {
        object? parameters = constraint.Node.Map("spec")?["parameters"] is YNode p ? AdmissionContext.CelValueOf(p, 0) : new CelMapValue();
        yield return Run(obj, fromTemplate, $"{constraint.Kind}/{constraint.Name}", null, parameters, GatekeeperMatch.Actions(constraint), cx,
            extraVariables: new Dictionary<string, object?> { ["params"] = parameters, ["anyObject"] = cx.ToCel(obj) });
    }

    // ---- evaluation ---------------------------------------------------------------------------------

    private AdmissionPolicyResult Run(ManifestObject obj, bool fromTemplate, string? binding, ManifestObject? param, object? paramValue,
        IReadOnlyList<string> actions, AdmissionContext cx, Dictionary<string, object?>? extraVariables)
    {
        string? paramId = param is null ? null : $"{param.Kind}/{(param.Namespace is null ? string.Empty : param.Namespace + "/")}{param.Name}";
        string group = obj.Group, version = obj.Version;
        var variables = new CelMapValue();
        foreach (var (k, v) in extraVariables ?? new Dictionary<string, object?>())
        {
            variables[k] = v;
        }
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["object"] = cx.ToCel(obj),
            ["oldObject"] = null,
            ["params"] = paramValue,
            ["namespaceObject"] = obj.Namespace is string ns && cx.Namespaces.TryGetValue(ns, out ManifestObject? nso) ? cx.ToCel(nso) : null,
            ["authorizer"] = CelAuthorizer.Instance,
            ["variables"] = variables,
            ["request"] = new CelMapValue
            {
                ["kind"] = new CelMapValue { ["group"] = group, ["version"] = version, ["kind"] = obj.Kind },
                ["resource"] = new CelMapValue { ["group"] = group, ["version"] = version, ["resource"] = obj.PluralResource },
                ["name"] = obj.Name ?? string.Empty,
                ["namespace"] = obj.Namespace ?? string.Empty,
                ["operation"] = "CREATE",
                ["userInfo"] = new CelMapValue { ["username"] = cx.SyncIdentity, ["groups"] = new List<object?> { "system:serviceaccounts", "system:authenticated" } },
                ["dryRun"] = false,
            },
        };
        foreach (string undecidedName in KyvernoClusterVariables)
        {
            vars.TryAdd(undecidedName, CelAuthorizer.Instance);
        }
        try
        {
            foreach (var (name, condition) in _matchConditions)
            {
                object? v = condition.Evaluate(vars);
                if (v is false)
                {
                    return Result(obj, fromTemplate, binding, paramId, AdmissionResult.Pass, actions, $"matchCondition '{name}' is false: the policy does not apply", null, null);
                }
                if (v is not true)
                {
                    return FailurePolicy(obj, fromTemplate, binding, paramId, actions, $"matchCondition '{name}' cannot be evaluated: {Describe(v)}", condition.Source);
                }
            }
            foreach (var (name, expr) in _variables)
            {
                variables[name] = expr.Evaluate(vars);
            }
            var failed = new List<(string Message, string Expr, string? Reason)>();
            foreach (var (expr, message, messageExpression, reason) in _validations)
            {
                object? v = expr.Evaluate(vars);
                if (v is true)
                {
                    continue;
                }
                if (v is false)
                {
                    string text = messageExpression?.Evaluate(vars) is string m && m.Length > 0 ? m
                        : message ?? $"failed expression: {expr.Source}";
                    failed.Add((text, expr.Source, reason));
                    continue;
                }
                AdmissionPolicyResult error = FailurePolicy(obj, fromTemplate, binding, paramId, actions, $"{expr.Field} cannot be evaluated: {Describe(v)}", expr.Source);
                if (error.Result == AdmissionResult.Error)
                {
                    return error;
                }
            }
            return failed.Count == 0
                ? Result(obj, fromTemplate, binding, paramId, AdmissionResult.Pass, actions, "every validation holds", null, null)
                : Result(obj, fromTemplate, binding, paramId, AdmissionResult.Fail, actions, string.Join("; ", failed.Select(f => f.Message)), failed[0].Expr, failed[0].Reason ?? "Invalid");
        }
        catch (CelAbortException e)
        {
            return Result(obj, fromTemplate, binding, paramId, AdmissionResult.Error, actions,
                e.Id == "CostExceeded" ? $"GitOpsSec.Admission.CostExceeded: {e.Message}" : $"undecided offline, not passed: {e.Message}", null, null);
        }
    }

    private static string Describe(object? v) => v is CelError e ? e.Message : $"it gave {CelOps.TypeName(v)}, not bool";

    /// <summary>An evaluation error: failurePolicy Fail (the default) rejects; Ignore admits.</summary>
    private AdmissionPolicyResult FailurePolicy(ManifestObject obj, bool fromTemplate, string? binding, string? param, IReadOnlyList<string> actions, string why, string expr) =>
        FailurePolicyIgnore
            ? Result(obj, fromTemplate, binding, param, AdmissionResult.Pass, actions, $"{why}; failurePolicy Ignore admits it", expr, null)
            : Result(obj, fromTemplate, binding, param, AdmissionResult.Error, actions, $"{why}; failurePolicy Fail rejects it", expr, null);

    private AdmissionPolicyResult Result(ManifestObject obj, bool fromTemplate, string? binding, string? param, AdmissionResult result,
        IReadOnlyList<string> actions, string message, string? expr, string? reason) => new()
        {
            Engine = Engine,
            Policy = Id,
            Binding = binding,
            Param = param,
            Resource = obj.Resource.ToString(),
            Kind = obj.Kind,
            Namespace = obj.Namespace,
            Name = obj.Name ?? string.Empty,
            Result = result,
            // A Fail under Deny is a rejection; an Error under failurePolicy Fail rejects whatever the actions say.
            Actions = result == AdmissionResult.Error && !actions.Contains("Deny") ? actions.Append("Deny").ToList() : actions,
            // What a policy's messageExpression builds is bounded by the cost budget; what reaches output is bounded here too.
            Message = Clip(message),
            Expression = expr is null ? null : Clip(expr),
            Reason = reason,
            FromTemplate = fromTemplate,
            Path = obj.Path,
            Line = obj.Line,
            PolicyPath = Source.Path,
            Object = obj,
        };
}

/// <summary>matchConstraints / matchResources: resourceRules, excludeResourceRules, namespaceSelector, objectSelector.</summary>
internal static class ResourceMatch
{
    /// <summary>True, false, or null when it needs a namespace's labels the repository does not give (why in <paramref name="undecided"/>).</summary>
    public static bool? Selects(YMapping? match, ManifestObject o, AdmissionContext cx, ref string? undecided)
    {
        if (match is null)
        {
            return false; // a policy without matchConstraints matches nothing (the API server requires them)
        }
        if (match.Seq("resourceRules") is YSequence rules && !rules.Items.OfType<YMapping>().Any(r => RuleMatches(r, o, cx)))
        {
            return false;
        }
        if (match.Seq("excludeResourceRules") is YSequence excludes && excludes.Items.OfType<YMapping>().Any(r => RuleMatches(r, o, cx)))
        {
            return false;
        }
        if (match.Map("objectSelector") is YMapping objectSelector && !LabelSelector.FromNode(objectSelector).Matches(cx.Labels(o)))
        {
            return false;
        }
        if (match.Map("namespaceSelector") is YMapping nsSelector && nsSelector.Entries.Count > 0)
        {
            IReadOnlyDictionary<string, string>? labels;
            if (o.Kind == "Namespace")
            {
                var own = new SortedDictionary<string, string>(cx.Labels(o).ToDictionary(k => k.Key, k => k.Value), StringComparer.Ordinal) { ["kubernetes.io/metadata.name"] = o.Name ?? string.Empty };
                labels = own;
            }
            else if (cx.IsClusterScoped(o))
            {
                return true; // a cluster-scoped object is not filtered by namespaceSelector
            }
            else
            {
                string ns = o.Namespace ?? "default";
                labels = cx.NamespaceLabels.TryGetValue(ns, out var l) ? l : null;
                if (labels is null)
                {
                    // Only the name label is known for a namespace the repository does not define.
                    var known = new Dictionary<string, string>(StringComparer.Ordinal) { ["kubernetes.io/metadata.name"] = ns };
                    var selector = LabelSelector.FromNode(nsSelector);
                    bool onlyName = selector.MatchLabels.Keys.All(k => k == "kubernetes.io/metadata.name") && selector.MatchExpressions.All(e => e.Key == "kubernetes.io/metadata.name");
                    if (onlyName)
                    {
                        return selector.Matches(known);
                    }
                    undecided = $"namespaceSelector needs the labels of namespace '{ns}', and no Namespace object of the repository gives them";
                    return null;
                }
            }
            if (!LabelSelector.FromNode(nsSelector).Matches(labels))
            {
                return false;
            }
        }
        return true;
    }

    private static bool RuleMatches(YMapping rule, ManifestObject o, AdmissionContext cx)
    {
        string group = o.Group, version = o.Version, resource = o.PluralResource;
        bool Has(string key, string value) => rule.Seq(key)?.Items.OfType<YScalar>().Any(s => s.Value == "*" || s.Value == value) ?? false;
        if (!Has("apiGroups", group) || !Has("apiVersions", version))
        {
            return false;
        }
        if (!(rule.Seq("resources")?.Items.OfType<YScalar>().Any(s => s.Value == "*" || s.Value == resource || s.Value == "*/*") ?? false))
        {
            return false; // "pods/status" and other subresources are not the object
        }
        if (rule.Seq("operations") is YSequence ops && !ops.Items.OfType<YScalar>().Any(s => s.Value is "*" or "CREATE"))
        {
            return false;
        }
        if (rule.Seq("resourceNames") is YSequence names && names.Items.Count > 0 && !names.Items.OfType<YScalar>().Any(s => s.Value == o.Name))
        {
            return false;
        }
        string scope = rule.Text("scope") ?? "*";
        bool cluster = cx.IsClusterScoped(o);
        return scope == "*" || (scope == "Cluster" && cluster) || (scope == "Namespaced" && !cluster);
    }
}

/// <summary>Gatekeeper's constraint match (kinds, namespaces and excludedNamespaces with a trailing * as a prefix, labelSelector, namespaceSelector) and enforcementAction.</summary>
internal static class GatekeeperMatch
{
    public static IReadOnlyList<string> Actions(ManifestObject constraint) =>
        (constraint.Node.Map("spec")?.Text("enforcementAction") ?? "deny") switch
        {
            "warn" => new[] { "Warn" },
            "dryrun" => new[] { "Audit" },
            _ => new[] { "Deny" },
        };

    /// <summary>
    /// True or false; null when a namespaceSelector needs the labels of a namespace the repository does not define
    /// (the reason in <paramref name="undecided"/>).
    /// </summary>
    public static bool? Selects(YMapping? match, ManifestObject o, Func<string, IReadOnlyDictionary<string, string>?> namespaceLabels, out string? undecided)
    {
        undecided = null;
        if (match is null)
        {
            return true;
        }
        string group = o.Group;
        if (match.Seq("kinds") is YSequence kinds && !kinds.Items.OfType<YMapping>().Any(k =>
                (k.Seq("apiGroups")?.Items.OfType<YScalar>().Any(g => g.Value == "*" || g.Value == group) ?? true) &&
                (k.Seq("kinds")?.Items.OfType<YScalar>().Any(x => x.Value == "*" || x.Value == o.Kind) ?? true)))
        {
            return false;
        }
        string ns = o.Namespace ?? string.Empty;
        static bool Is(string pattern, string ns) => pattern.EndsWith('*') ? ns.StartsWith(pattern[..^1], StringComparison.Ordinal) : pattern == ns;
        if (match.Seq("namespaces") is YSequence only && !only.Items.OfType<YScalar>().Any(n => Is(n.Value, ns)))
        {
            return false;
        }
        if (match.Seq("excludedNamespaces") is YSequence excluded && excluded.Items.OfType<YScalar>().Any(n => Is(n.Value, ns)))
        {
            return false;
        }
        if (match.Map("labelSelector") is YMapping selector &&
            !LabelSelector.FromNode(selector).Matches(o.Node.Map("metadata")?.Map("labels").StringValues() ?? new SortedDictionary<string, string>()))
        {
            return false;
        }
        if (match.Map("namespaceSelector") is YMapping nsSelector)
        {
            if (namespaceLabels(ns) is not IReadOnlyDictionary<string, string> labels)
            {
                undecided = $"match.namespaceSelector needs the labels of namespace '{ns}', and no Namespace object of the repository gives them";
                return null;
            }
            return LabelSelector.FromNode(nsSelector).Matches(labels);
        }
        return true;
    }
}
