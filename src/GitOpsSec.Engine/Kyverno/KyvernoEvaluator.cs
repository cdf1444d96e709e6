using System.Text.RegularExpressions;
using GitOpsSec.Manifests;

namespace GitOpsSec.Kyverno;

/// <summary>The outcome of one Kyverno rule on one resource, as `kyverno apply` / `kyverno test` name them.</summary>
public enum KyvernoResult
{
    Pass,
    Fail,
    Skip,

    /// <summary>The rule uses a feature GitOpsSec does not evaluate offline (context inside foreach, CEL, podSecurity, a cluster-only context, an unresolvable variable...): undecided, so not a pass.</summary>
    Error,
}

public sealed record KyvernoRuleResult
{
    public required string Policy { get; init; }
    public required string Rule { get; init; }
    public required string Resource { get; init; }
    public required string Kind { get; init; }
    public string? Namespace { get; init; }
    public required string Name { get; init; }
    public required KyvernoResult Result { get; init; }
    public required string Message { get; init; }
    public string? Path { get; init; }
    public int Line { get; init; }
    public string? PolicyPath { get; init; }

    public override string ToString() => $"{Result} {Policy}/{Rule} {Resource}";
}

/// <summary>A Kyverno ClusterPolicy or Policy, read from YAML.</summary>
public sealed class KyvernoPolicy
{
    public required string Name { get; init; }
    public string? Namespace { get; init; }
    public required YMapping Node { get; init; }
    public string? Path { get; init; }

    public static bool IsPolicy(ManifestObject o) =>
        o.Kind is "ClusterPolicy" or "Policy" && o.ApiVersion.StartsWith("kyverno.io/", StringComparison.Ordinal);

    /// <summary>Whether a rule selects by namespaceSelector: it needs the namespaces' labels, so every Namespace object first.</summary>
    public bool UsesNamespaceSelector => _usesNamespaceSelector ??= Node.Map("spec")?.Seq("rules")?.Items.OfType<YMapping>()
        .SelectMany(r => new[] { r.Map("match"), r.Map("exclude") })
        .OfType<YMapping>()
        .SelectMany(b => b.Seq("any")?.Items ?? b.Seq("all")?.Items ?? (IEnumerable<YNode>)new YNode[] { b })
        .OfType<YMapping>()
        .Any(f => f.Map("resources")?["namespaceSelector"] is not null) ?? false;

    private bool? _usesNamespaceSelector;

    public static KyvernoPolicy From(ManifestObject o) => new()
    {
        Name = o.Name ?? "(unnamed)",
        Namespace = o.Kind == "Policy" ? o.Namespace ?? "default" : null,
        Node = o.Node,
        Path = o.Path,
    };
}

/// <summary>
/// Offline evaluation of Kyverno validate rules: match/exclude (kinds, names, namespaces, label selectors;
/// any/all), pattern and anyPattern with Kyverno's value syntax (wildcards, ?*, !negation, a|b, numeric
/// and quantity comparisons, ranges, null) and anchors: conditional (key), equality =(key), existence
/// ^(key), negation X(key) and global &lt;(key); deny conditions and preconditions over JMESPath variables
/// (<see cref="KyvernoContext"/>), foreach (nested), context variables, and Pod controller
/// auto-generation. What needs a cluster or is not implemented is an Error result, never a Pass.
/// </summary>
public static class KyvernoEvaluator
{
    /// <summary>The controllers Kyverno generates Pod rules for when a policy does not name them.</summary>
    private const string DefaultControllers = "DaemonSet,Deployment,Job,StatefulSet,ReplicaSet,ReplicationController,CronJob";

    /// <param name="policy">The ClusterPolicy or Policy.</param>
    /// <param name="resource">The manifest its rules are applied to.</param>
    /// <param name="namespaceLabels">
    /// The labels of a namespace by name (from the Namespace objects of the repository), for match/exclude by
    /// namespaceSelector; without it, or for a namespace it does not know, such a rule is undecided (Error).
    /// </param>
    public static IEnumerable<KyvernoRuleResult> Evaluate(KyvernoPolicy policy, ManifestObject resource,
        Func<string, IReadOnlyDictionary<string, string>?>? namespaceLabels = null)
    {
        if (policy.Node.Map("spec")?.Seq("rules") is not YSequence rules)
        {
            yield break;
        }
        if (policy.Namespace is not null && resource.Namespace != policy.Namespace)
        {
            yield break; // a namespaced Policy applies only to its namespace
        }
        string controllers = policy.Node.Map("metadata")?.Map("annotations")?.Text("pod-policies.kyverno.io/autogen-controllers") ?? DefaultControllers;
        foreach (YMapping rule in rules.Items.OfType<YMapping>())
        {
            string ruleName = rule.Text("name") ?? "(unnamed)";
            if (rule.Map("validate") is not YMapping validate)
            {
                continue; // mutate / generate / verifyImages rules do not validate
            }
            // Pod controller auto-generation: a rule written only for Pods also applies to the Pod template of
            // the controllers, under the names autogen-<rule> and autogen-cronjob-<rule>.
            string[] wrap = Array.Empty<string>();
            string name = ruleName;
            bool autogen = false;
            if (resource.Kind != "Pod" && CanAutoGenerate(rule) &&
                controllers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(resource.Kind, StringComparer.Ordinal))
            {
                autogen = true;
                wrap = resource.Kind == "CronJob" ? new[] { "spec", "jobTemplate", "spec", "template" } : new[] { "spec", "template" };
                name = resource.Kind == "CronJob" ? $"autogen-cronjob-{ruleName}" : $"autogen-{ruleName}";
            }
            string message = validate.Text("message") ?? "validation rule failed";
            KyvernoResult result;
            string why;
            try
            {
                if (!Matches(rule.Map("match"), resource, isExclude: false, ignoreKinds: autogen, namespaceLabels) ||
                    (rule.Map("exclude") is YMapping ex && Matches(ex, resource, isExclude: true, ignoreKinds: autogen, namespaceLabels)))
                {
                    continue;
                }
                YMapping subject = autogen ? PodFromTemplate(resource.Node, wrap) : resource.Node;
                var context = new KyvernoContext(subject, resource.Namespace);
                AddContextEntries(rule, context);
                message = context.Message(message);
                if (!context.Evaluate(rule["preconditions"], unresolvedAsEmpty: true, out _))
                {
                    (result, why) = (KyvernoResult.Skip, "preconditions not met");
                }
                else
                {
                    (result, why) = Validate(validate, resource.Node, context, wrap, ref message);
                }
            }
            catch (KyvernoUndecidedException e)
            {
                (result, why) = (KyvernoResult.Error, e.Message);
            }
            yield return new KyvernoRuleResult
            {
                Policy = policy.Name,
                Rule = name,
                Resource = resource.Resource.ToString(),
                Kind = resource.Kind,
                Namespace = resource.Namespace,
                Name = resource.Name ?? string.Empty,
                Result = result,
                Message = result == KyvernoResult.Fail ? (why.Length > 0 ? $"{message} ({why})" : message) : why,
                Path = resource.Path,
                Line = resource.Line,
                PolicyPath = policy.Path,
            };
        }
    }

    /// <summary>Kyverno generates controller rules only for rules that match Pods alone, without names, selectors or annotations.</summary>
    private static bool CanAutoGenerate(YMapping rule)
    {
        var filters = new List<YMapping>();
        foreach (string block in new[] { "match", "exclude" })
        {
            if (rule.Map(block) is not YMapping b)
            {
                continue;
            }
            IEnumerable<YNode> items = b.Seq("any")?.Items ?? b.Seq("all")?.Items ?? new YNode[] { b };
            filters.AddRange(items.OfType<YMapping>().Select(f => f.Map("resources")).OfType<YMapping>());
        }
        bool anyPodKind = false;
        foreach (YMapping res in filters)
        {
            if (res["names"] is not null || res["name"] is not null || res["selector"] is not null || res["annotations"] is not null)
            {
                return false;
            }
            if (res.Seq("kinds") is YSequence kinds)
            {
                foreach (YScalar k in kinds.Items.OfType<YScalar>())
                {
                    if (k.Value is not ("Pod" or "v1/Pod"))
                    {
                        return false;
                    }
                    anyPodKind = true;
                }
            }
        }
        return anyPodKind;
    }

    /// <summary>The Pod a controller's template describes: request.object for the generated rule's variables.</summary>
    private static YMapping PodFromTemplate(YMapping controller, string[] wrap)
    {
        YMapping? template = controller;
        foreach (string key in wrap)
        {
            template = template?.Map(key);
        }
        var pod = new YMapping(template?.Line ?? controller.Line, template?.Column ?? controller.Column);
        pod.Set(new YScalar("apiVersion", true, null, pod.Line, pod.Column), new YScalar("v1", true, null, pod.Line, pod.Column));
        pod.Set(new YScalar("kind", true, null, pod.Line, pod.Column), new YScalar("Pod", true, null, pod.Line, pod.Column));
        foreach (string key in new[] { "metadata", "spec" })
        {
            if (template?[key] is YNode part)
            {
                pod.Set(template.KeyNode(key)!, part);
            }
        }
        return pod;
    }

    /// <summary>The context entries of a rule: variables are supported; configMap, apiCall and the like need a cluster.</summary>
    private static void AddContextEntries(YMapping rule, KyvernoContext context)
    {
        foreach (YMapping entry in rule.Seq("context")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            string name = entry.Text("name") ?? throw new KyvernoUndecidedException("a context entry without a name");
            if (entry.Map("variable") is not YMapping variable)
            {
                string type = entry.Entries.Select(e => e.Key.Value).FirstOrDefault(k => k != "name") ?? "(empty)";
                throw new KyvernoUndecidedException($"the context entry '{name}' ({type}) needs a cluster and is not resolved offline");
            }
            object? value = variable["value"] is YNode v ? context.Substitute(JmesPath.FromYaml(v), unresolvedAsEmpty: false) : null;
            if (variable.Text("jmesPath") is string path)
            {
                if (value is not null)
                {
                    var scratch = new KyvernoContext(new YMapping(0, 0), null);
                    scratch.Set("value", value);
                    value = scratch.Query($"value.{path}") ?? scratch.Query(path.Replace("@", "value", StringComparison.Ordinal));
                }
                else
                {
                    value = context.Query(path);
                }
            }
            if (value is null && variable["default"] is YNode d)
            {
                value = context.Substitute(JmesPath.FromYaml(d), unresolvedAsEmpty: false);
            }
            context.Set(name, value);
        }
    }

    private static (KyvernoResult, string) Validate(YMapping validate, YMapping resource, KyvernoContext context, string[] wrap, ref string message)
    {
        foreach (string unsupported in new[] { "cel", "podSecurity", "manifests", "assert" })
        {
            if (validate[unsupported] is not null)
            {
                return (KyvernoResult.Error, $"validate.{unsupported} is not evaluated offline by GitOpsSec");
            }
        }
        if (validate.Seq("foreach") is YSequence each)
        {
            return ForEach(each, resource, context, validate.Text("message"), ref message);
        }
        if (validate.Map("deny") is YMapping deny)
        {
            return context.Evaluate(deny["conditions"], unresolvedAsEmpty: false, out string? conditionMessage)
                ? (KyvernoResult.Fail, conditionMessage is null ? string.Empty : context.Message(conditionMessage))
                : (KyvernoResult.Pass, "deny conditions not met");
        }
        if (validate["pattern"] is YNode pattern)
        {
            var outcome = Match(Prepare(pattern, context, wrap), resource, "");
            return outcome.Skip ? (KyvernoResult.Skip, outcome.Why) : outcome.Ok ? (KyvernoResult.Pass, "pattern matched") : (KyvernoResult.Fail, outcome.Why);
        }
        if (validate.Seq("anyPattern") is YSequence any)
        {
            var reasons = new List<string>();
            bool allSkipped = true;
            foreach (YNode p in any.Items)
            {
                var outcome = Match(Prepare(p, context, wrap), resource, "");
                if (outcome.Ok && !outcome.Skip)
                {
                    return (KyvernoResult.Pass, "anyPattern matched");
                }
                allSkipped &= outcome.Skip;
                reasons.Add(outcome.Why);
            }
            return allSkipped ? (KyvernoResult.Skip, string.Join("; ", reasons)) : (KyvernoResult.Fail, string.Join("; ", reasons));
        }
        return (KyvernoResult.Error, "the validate rule has no pattern, anyPattern or deny");
    }

    /// <summary>
    /// validate.foreach: each entry's list (JMESPath over the request, e.g. request.object.spec.containers)
    /// is walked with the variables element and elementIndex; per element the entry's preconditions decide
    /// whether it applies, then its nested foreach, its pattern / anyPattern (against the element, or the
    /// whole resource with elementScope: false) or its deny conditions. A failing element fails the rule;
    /// no element applied is a skip. Per-entry context is undecided.
    /// </summary>
    private static (KyvernoResult, string) ForEach(YSequence entries, YMapping resource, KyvernoContext context, string? rawMessage, ref string message)
    {
        int applied = 0;
        string? failure = Walk(entries, resource, context, depth: 0, ref applied, rawMessage, ref message);
        return failure is not null ? (KyvernoResult.Fail, failure)
            : applied == 0 ? (KyvernoResult.Skip, "no foreach element to check") : (KyvernoResult.Pass, "every foreach element matched");
    }

    /// <summary>
    /// One level of foreach; returns the first failure, or null. At depth d the element is also element{d}
    /// (element0 the outermost), as Kyverno names them for nested loops; the innermost is element.
    /// </summary>
    private static string? Walk(YSequence entries, YMapping resource, KyvernoContext context, int depth, ref int applied, string? rawMessage, ref string message)
    {
        if (depth > 3)
        {
            throw new KyvernoUndecidedException("foreach nested deeper than 4 levels is not evaluated offline");
        }
        foreach (YMapping entry in entries.Items.OfType<YMapping>())
        {
            if (entry["context"] is not null)
            {
                throw new KyvernoUndecidedException("foreach context entries are not evaluated offline");
            }
            string list = entry.Text("list") ?? throw new KyvernoUndecidedException("a foreach entry without a list");
            list = list.Trim();
            if (list.StartsWith("{{", StringComparison.Ordinal) && list.EndsWith("}}", StringComparison.Ordinal))
            {
                list = list[2..^2];
            }
            object? items = context.Query(list);
            if (items is null)
            {
                continue; // an absent list (no initContainers) has no element to check
            }
            if (items is not List<object?> elements)
            {
                throw new KyvernoUndecidedException($"the foreach list '{list}' is not a list");
            }
            bool elementScope = entry.Scalar("elementScope")?.AsBoolean() ?? true;
            object? outer = context.Query("element"), outerIndex = context.Query("elementIndex");
            try
            {
                for (int i = 0; i < elements.Count; i++)
                {
                    context.Set("element", elements[i]);
                    context.Set("elementIndex", (double)i);
                    context.Set($"element{depth}", elements[i]);
                    context.Set($"elementIndex{depth}", (double)i);
                    if (!context.Evaluate(entry["preconditions"], unresolvedAsEmpty: true, out _))
                    {
                        continue;
                    }
                    string where = $"{list}[{i}]";
                    if (entry.Seq("foreach") is YSequence inner)
                    {
                        if (Walk(inner, resource, context, depth + 1, ref applied, rawMessage, ref message) is string innerFailure)
                        {
                            return $"{where}: {innerFailure}";
                        }
                        continue;
                    }
                    applied++;
                    YNode subject = elementScope ? ToYaml(elements[i], resource.Line) : resource;
                    if (entry.Map("deny") is YMapping deny)
                    {
                        if (context.Evaluate(deny["conditions"], unresolvedAsEmpty: false, out string? conditionMessage))
                        {
                            message = rawMessage is null ? message : context.Message(rawMessage); // with the failing element's variables
                            return $"{where}{(conditionMessage is null ? string.Empty : ": " + context.Message(conditionMessage))}";
                        }
                        continue;
                    }
                    IEnumerable<YNode> patterns = entry["pattern"] is YNode single ? new[] { single }
                        : entry.Seq("anyPattern")?.Items ?? throw new KyvernoUndecidedException("a foreach entry without pattern, anyPattern, deny or foreach");
                    var reasons = new List<string>();
                    bool matched = false;
                    foreach (YNode pattern in patterns)
                    {
                        var outcome = Match(SubstituteVariables(pattern, context), subject, string.Empty);
                        if (outcome.Ok)
                        {
                            matched = true;
                            break;
                        }
                        reasons.Add(outcome.Why);
                    }
                    if (!matched)
                    {
                        message = rawMessage is null ? message : context.Message(rawMessage);
                        return $"{where}: {string.Join("; ", reasons)}";
                    }
                }
            }
            finally
            {
                context.Set("element", outer);
                context.Set("elementIndex", outerIndex);
                context.Set($"element{depth}", null);
                context.Set($"elementIndex{depth}", null);
            }
        }
        return null;
    }

    /// <summary>A JSON value (a foreach element) as a YAML node, for pattern matching; strings stay strings.</summary>
    private static YNode ToYaml(object? value, int line)
    {
        switch (value)
        {
            case Dictionary<string, object?> map:
                {
                    var node = new YMapping(line, 1);
                    foreach (var (key, v) in map)
                    {
                        node.Set(new YScalar(key, false, null, line, 1), ToYaml(v, line));
                    }
                    return node;
                }
            case List<object?> list:
                {
                    var node = new YSequence(line, 1);
                    foreach (object? v in list)
                    {
                        node.Add(ToYaml(v, line));
                    }
                    return node;
                }
            case string text:
                return new YScalar(text, false, null, line, 1);
            case null:
                return new YScalar("null", true, null, line, 1);
            default:
                return new YScalar(JmesPath.ToText(value), true, null, line, 1);
        }
    }

    /// <summary>A pattern with its variables substituted and, for a generated controller rule, its metadata and spec moved under the Pod template.</summary>
    private static YNode Prepare(YNode pattern, KyvernoContext context, string[] wrap)
    {
        YNode p = SubstituteVariables(pattern, context);
        if (wrap.Length == 0 || p is not YMapping map)
        {
            return p;
        }
        var template = new YMapping(map.Line, map.Column);
        var top = new YMapping(map.Line, map.Column);
        foreach (var (key, value) in map.Entries)
        {
            string bare = key.Value.TrimStart('=', '^', 'X', '<').Trim('(', ')');
            (bare is "metadata" or "spec" ? template : top).Set(key, value);
        }
        YNode inner = template;
        for (int i = wrap.Length - 1; i >= 0; i--)
        {
            var outer = new YMapping(map.Line, map.Column);
            outer.Set(new YScalar(wrap[i], true, null, map.Line, map.Column), inner);
            inner = outer;
        }
        foreach (var (key, value) in ((YMapping)inner).Entries)
        {
            top.Set(key, value);
        }
        return top;
    }

    private static YNode SubstituteVariables(YNode node, KyvernoContext context)
    {
        switch (node)
        {
            case YScalar s when KyvernoContext.HasVariables(s.Value):
                object? value = context.Substitute(s.Value, unresolvedAsEmpty: false);
                return value is string text ? new YScalar(text, false, null, s.Line, s.Column)
                    : new YScalar(JmesPath.ToText(value), true, null, s.Line, s.Column);
            case YMapping m:
                {
                    var copy = new YMapping(m.Line, m.Column);
                    foreach (var (key, value2) in m.Entries)
                    {
                        copy.Set(key, SubstituteVariables(value2, context));
                    }
                    return copy;
                }
            case YSequence q:
                {
                    var copy = new YSequence(q.Line, q.Column);
                    foreach (YNode item in q.Items)
                    {
                        copy.Add(SubstituteVariables(item, context));
                    }
                    return copy;
                }
            default:
                return node;
        }
    }

    private readonly record struct Outcome(bool Ok, bool Skip, string Why)
    {
        public static readonly Outcome Pass = new(true, false, "matched");

        public static Outcome Fail(string why) => new(false, false, why);

        public static Outcome Skipped(string why) => new(true, true, why);
    }

    /// <summary>Matches a pattern node against a resource node.</summary>
    private static Outcome Match(YNode pattern, YNode? value, string path)
    {
        switch (pattern)
        {
            case YMapping map:
                if (value is not YMapping obj)
                {
                    return Outcome.Fail($"{Show(path)}: expected an object");
                }
                return MatchMap(map, obj, path);
            case YSequence seq:
                if (value is not YSequence list)
                {
                    return Outcome.Fail($"{Show(path)}: expected a list");
                }
                if (seq.Items.Count == 0)
                {
                    return Outcome.Pass;
                }
                // Every element must match the (first) pattern element; conditional anchors let elements opt out.
                YNode elementPattern = seq.Items[0];
                for (int i = 0; i < list.Items.Count; i++)
                {
                    var o = Match(elementPattern, list.Items[i], $"{path}[{i}]");
                    if (!o.Ok)
                    {
                        return o;
                    }
                    if (o.Skip && o.Why.StartsWith("global:", StringComparison.Ordinal))
                    {
                        return o;
                    }
                }
                return Outcome.Pass;
            case YScalar scalar:
                return MatchScalar(scalar, value, path);
            default:
                return Outcome.Pass;
        }
    }

    private static Outcome MatchMap(YMapping pattern, YMapping obj, string path)
    {
        // Anchors first: global and conditional decide whether the rest applies.
        foreach (var (key, sub) in pattern.Entries)
        {
            string k = key.Value;
            if (Anchor(k, "<(", out string name) || Anchor(k, "(", out name))
            {
                bool global = k.StartsWith("<(", StringComparison.Ordinal);
                var o = obj[name] is YNode v ? Match(sub, v, $"{path}.{name}") : Outcome.Fail("absent");
                if (!o.Ok || o.Skip)
                {
                    return Outcome.Skipped($"{(global ? "global:" : string.Empty)}{Show(path + "." + name)} does not meet the condition");
                }
            }
        }
        foreach (var (key, sub) in pattern.Entries)
        {
            string k = key.Value;
            string childPath;
            if (Anchor(k, "<(", out _) || (Anchor(k, "(", out _) && !k.StartsWith("^(", StringComparison.Ordinal) && !k.StartsWith("=(", StringComparison.Ordinal) && !k.StartsWith("X(", StringComparison.Ordinal)))
            {
                continue; // conditions, handled above
            }
            if (Anchor(k, "X(", out string negated))
            {
                if (obj[negated] is YNode present && !(present is YScalar { IsNull: true }))
                {
                    return Outcome.Fail($"{Show(path + "." + negated)} must not be set");
                }
                continue;
            }
            if (Anchor(k, "=(", out string optional))
            {
                if (obj[optional] is YNode v)
                {
                    var o = Match(sub, v, $"{path}.{optional}");
                    if (!o.Ok)
                    {
                        return o;
                    }
                }
                continue;
            }
            if (Anchor(k, "^(", out string exists))
            {
                if (obj[exists] is not YSequence list || sub is not YSequence patterns || patterns.Items.Count == 0 ||
                    !list.Items.Any(item => Match(patterns.Items[0], item, $"{path}.{exists}[]") is { Ok: true, Skip: false }))
                {
                    return Outcome.Fail($"{Show(path + "." + exists)}: no element matches");
                }
                continue;
            }
            childPath = $"{path}.{k}";
            YNode? child = obj[k];
            if (child is null)
            {
                if (sub is YScalar { IsNull: true } || (sub is YScalar s && s.Value == "null"))
                {
                    continue;
                }
                return Outcome.Fail($"{Show(childPath)} is required");
            }
            var outcome = Match(sub, child, childPath);
            if (!outcome.Ok || (outcome.Skip && outcome.Why.StartsWith("global:", StringComparison.Ordinal)))
            {
                return outcome;
            }
        }
        return Outcome.Pass;
    }

    private static bool Anchor(string key, string open, out string name)
    {
        if (key.StartsWith(open, StringComparison.Ordinal) && key.EndsWith(')'))
        {
            name = key[open.Length..^1];
            return true;
        }
        name = string.Empty;
        return false;
    }

    private static Outcome MatchScalar(YScalar pattern, YNode? value, string path)
    {
        if (pattern.IsNull || pattern.Value == "null")
        {
            return value is null or YScalar { IsNull: true } ? Outcome.Pass : Outcome.Fail($"{Show(path)} must not be set");
        }
        if (value is not YScalar actual)
        {
            return Outcome.Fail($"{Show(path)}: expected a value matching '{pattern.Value}'");
        }
        string p = pattern.Value;
        // Values under data / stringData (a Secret's, possibly a ConfigMap's credentials) never reach a message.
        string shown = path.StartsWith(".data.", StringComparison.Ordinal) || path.StartsWith(".stringData.", StringComparison.Ordinal)
            ? "(value withheld)" : $"'{actual.Value}'";
        // Typed literals (true, 8080) compare by value, not text.
        if (pattern.IsPlain && ScalarResolver.Resolve(pattern) is bool b)
        {
            return actual.AsBoolean() == b ? Outcome.Pass : Outcome.Fail($"{Show(path)} must be {p.ToLowerInvariant()}, is {shown}");
        }
        return p.Split('|').Any(alternative => MatchExpression(alternative.Trim(), actual.Value))
            ? Outcome.Pass
            : Outcome.Fail($"{Show(path)} must match '{p}', is {shown}");
    }

    private static bool MatchExpression(string pattern, string value)
    {
        if (pattern.StartsWith('!'))
        {
            return !MatchExpression(pattern[1..], value);
        }
        foreach (string op in new[] { ">=", "<=", ">", "<" })
        {
            if (pattern.StartsWith(op, StringComparison.Ordinal) && Quantity(pattern[op.Length..]) is double limit && Quantity(value) is double v)
            {
                return op switch { ">=" => v >= limit, "<=" => v <= limit, ">" => v > limit, _ => v < limit };
            }
        }
        var range = Regex.Match(pattern, @"^(-?[\d.]+[A-Za-z]*)-(-?[\d.]+[A-Za-z]*)$");
        if (range.Success && Quantity(range.Groups[1].Value) is double lo && Quantity(range.Groups[2].Value) is double hi && Quantity(value) is double q)
        {
            return q >= lo && q <= hi;
        }
        if (Quantity(pattern) is double pn && Quantity(value) is double vn && !pattern.Contains('*') && !pattern.Contains('?'))
        {
            return Math.Abs(pn - vn) < 1e-9;
        }
        return GitOpsSec.Diagnostics.BoundedPattern.Wildcard(pattern, value);
    }

    private static double? Quantity(string s) => Manifests.KubernetesQuantity.Parse(s);

    private static string Show(string path) => path.Length == 0 ? "the resource" : path.TrimStart('.');

    // ---- match / exclude ----------------------------------------------------------------------

    /// <summary>
    /// Whether a rule's match and exclude blocks select <paramref name="resource"/>, for rules this evaluator does not
    /// validate (verifyImages). Null when it cannot be decided offline (a namespaceSelector for a namespace the
    /// repository does not define), with the reason in <paramref name="undecided"/>.
    /// </summary>
    internal static bool? Selects(YMapping rule, ManifestObject resource, Func<string, IReadOnlyDictionary<string, string>?>? namespaceLabels, out string? undecided)
    {
        undecided = null;
        try
        {
            return Matches(rule.Map("match"), resource, isExclude: false, ignoreKinds: false, namespaceLabels) &&
                   !(rule.Map("exclude") is YMapping ex && Matches(ex, resource, isExclude: true, ignoreKinds: false, namespaceLabels));
        }
        catch (KyvernoUndecidedException e)
        {
            undecided = e.Message;
            return null;
        }
    }

    /// <summary>The Pod a pod-bearing object creates (its template), in the object's namespace: what the Pod webhook sees.</summary>
    internal static ManifestObject? PodOf(ManifestObject workload)
    {
        if (workload.Kind == "Pod")
        {
            return workload;
        }
        string[] wrap = workload.Kind switch
        {
            "CronJob" => new[] { "spec", "jobTemplate", "spec", "template" },
            "PodTemplate" => new[] { "template" },
            _ => new[] { "spec", "template" },
        };
        YMapping pod = PodFromTemplate(workload.Node, wrap);
        if (pod.Map("spec") is null)
        {
            return null;
        }
        var obj = new ManifestObject(pod, workload.Path, pod.Line, workload.DocumentIndex);
        obj.SetNamespace(workload.Namespace, workload.NamespaceOrigin);
        return obj;
    }

    private static bool Matches(YMapping? block, ManifestObject resource, bool isExclude, bool ignoreKinds,
        Func<string, IReadOnlyDictionary<string, string>?>? namespaceLabels)
    {
        if (block is null)
        {
            return !isExclude;
        }
        if (block.Seq("any") is YSequence any)
        {
            return any.Items.OfType<YMapping>().Any(f => Filter(f, resource, ignoreKinds, namespaceLabels));
        }
        if (block.Seq("all") is YSequence all)
        {
            return all.Items.OfType<YMapping>().All(f => Filter(f, resource, ignoreKinds, namespaceLabels));
        }
        return Filter(block, resource, ignoreKinds, namespaceLabels);
    }

    /// <summary>One resource filter; <paramref name="ignoreKinds"/> for a generated controller rule, whose Pod kinds stand for the controller.</summary>
    private static bool Filter(YMapping filter, ManifestObject r, bool ignoreKinds, Func<string, IReadOnlyDictionary<string, string>?>? namespaceLabels)
    {
        if (filter.Map("resources") is not YMapping res)
        {
            return filter.Entries.Count == 0;
        }
        if (res.Seq("operations") is YSequence operations && !operations.Items.OfType<YScalar>().Any(o => o.Value == "CREATE"))
        {
            return false; // an offline manifest is a CREATE, as `kyverno apply` sends it
        }
        if (!ignoreKinds && res.Seq("kinds") is YSequence kinds && !kinds.Items.OfType<YScalar>().Any(k => KindMatches(k.Value, r)))
        {
            return false;
        }
        if (res.Seq("names") is YSequence names && !names.Items.OfType<YScalar>().Any(n => Wildcard(n.Value, r.Name ?? string.Empty)))
        {
            return false;
        }
        if (res.Text("name") is string single && !Wildcard(single, r.Name ?? string.Empty))
        {
            return false;
        }
        if (res.Seq("namespaces") is YSequence namespaces && !namespaces.Items.OfType<YScalar>().Any(n => Wildcard(n.Value, r.Namespace ?? string.Empty)))
        {
            return false;
        }
        if (res.Map("selector") is YMapping selector)
        {
            var labels = r.Node.Map("metadata")?.Map("labels").StringValues() ?? new SortedDictionary<string, string>();
            if (!GitOpsSec.Rbac.LabelSelector.FromNode(selector).Matches(labels))
            {
                return false;
            }
        }
        if (res.Map("namespaceSelector") is YMapping nsSelector)
        {
            // Namespace labels live in the cluster; offline they are known only from the repository's Namespace objects.
            string ns = r.Namespace ?? "default";
            if (namespaceLabels?.Invoke(ns) is not IReadOnlyDictionary<string, string> nsLabels)
            {
                throw new KyvernoUndecidedException($"match/exclude by namespaceSelector needs the labels of namespace '{ns}', and no Namespace object of the repository gives them");
            }
            if (!GitOpsSec.Rbac.LabelSelector.FromNode(nsSelector).Matches(nsLabels))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Kinds as Kyverno writes them: Pod, apps/v1/Deployment, apps/*/Deployment, Pod/exec (subresources never match a manifest), *.</summary>
    private static bool KindMatches(string pattern, ManifestObject r)
    {
        string[] parts = pattern.Split('/');
        if (parts.Length == 2 && !pattern.Contains('.') && char.IsUpper(parts[0][0]))
        {
            return false; // Kind/subresource
        }
        string kind = parts[^1];
        if (!Wildcard(kind, r.Kind))
        {
            return false;
        }
        if (parts.Length == 1)
        {
            return true;
        }
        string group = r.Group;
        string version = r.Version;
        return parts.Length == 2 ? Wildcard(parts[0], version) || Wildcard(parts[0], group)
            : Wildcard(parts[0], group) && Wildcard(parts[1], version);
    }

    private static bool Wildcard(string pattern, string value) => JmesPath.Wildcard(pattern, value);
}

/// <summary>Loading Kyverno policies from files or folders (multi-document YAML; other kinds are ignored).</summary>
public static class KyvernoPolicies
{
    /// <summary>The error for -Policy paths that hold no ClusterPolicy or Policy.</summary>
    public static GitOpsSec.Diagnostics.ScanError NoPolicy(IEnumerable<string> paths) =>
        new("GitOpsSec.Kyverno.NoPolicy", GitOpsSec.Diagnostics.ScanErrorCategory.ObjectNotFound,
            "No Kyverno ClusterPolicy or Policy was found in the -Policy paths.", string.Join(", ", paths));

    /// <summary>
    /// The labels of the Namespace objects among <paramref name="objects"/>, with the
    /// kubernetes.io/metadata.name label the API server sets on every namespace: what namespaceSelector reads.
    /// </summary>
    public static Dictionary<string, IReadOnlyDictionary<string, string>> NamespaceLabels(IEnumerable<ManifestObject> objects)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (ManifestObject ns in objects.Where(o => o.Kind == "Namespace" && o.ApiVersion == "v1" && o.Name is not null))
        {
            var labels = ns.Node.Map("metadata")?.Map("labels").StringValues() ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
            labels["kubernetes.io/metadata.name"] = ns.Name!;
            result[ns.Name!] = labels;
        }
        return result;
    }

    public static List<KyvernoPolicy> Load(IEnumerable<string> paths, GitOpsSec.Diagnostics.IScanHost host)
    {
        var loader = new ManifestLoader(new ManifestLoadOptions { RenderKustomize = false }, host);
        var policies = new List<KyvernoPolicy>();
        foreach (string path in paths)
        {
            using IManifestTree? tree = ManifestSource.Open(path, null, host);
            if (tree is null)
            {
                continue;
            }
            policies.AddRange(loader.Load(tree).Where(KyvernoPolicy.IsPolicy).Select(KyvernoPolicy.From));
        }
        return policies;
    }
}
