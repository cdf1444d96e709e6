using System.Globalization;
using System.Text.RegularExpressions;
using GitOpsSec.Manifests;

namespace GitOpsSec.Kyverno;

/// <summary>A rule GitOpsSec cannot decide offline: an unsupported operator, variable or expression. Reported as an Error result.</summary>
public sealed class KyvernoUndecidedException : Exception
{
    public KyvernoUndecidedException(string message) : base(message) { }
}

/// <summary>
/// Kyverno variables (<c>{{ request.object... }}</c>, JMESPath) and conditions (preconditions and
/// validate.deny.conditions) evaluated offline. The admission request is the one `kyverno apply` builds
/// for a manifest: operation CREATE, the manifest as request.object, no oldObject and no user info, so a
/// variable about those cannot be resolved and the rule is undecided, never passed.
/// </summary>
public sealed class KyvernoContext
{
    private static readonly Regex Variable = new(@"(?<!\\)\{\{(.*?)\}\}", RegexOptions.Singleline | RegexOptions.CultureInvariant);
    private readonly Dictionary<string, object?> _root;

    public KyvernoContext(YMapping resource, string? @namespace)
    {
        var request = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["operation"] = "CREATE",
            ["object"] = JmesPath.FromYaml(resource),
        };
        if (@namespace is not null)
        {
            request["namespace"] = @namespace;
        }
        _root = new Dictionary<string, object?>(StringComparer.Ordinal) { ["request"] = request };
    }

    /// <summary>Adds a context variable (a rule's context entry of type variable).</summary>
    public void Set(string name, object? value) => _root[name] = value;

    /// <summary>The value of a JMESPath expression over the context, or null.</summary>
    public object? Query(string expression)
    {
        try
        {
            return JmesPath.Evaluate(expression, _root);
        }
        catch (JmesPathException e)
        {
            throw new KyvernoUndecidedException(e.Message);
        }
    }

    /// <summary>True when the text holds a variable to substitute.</summary>
    public static bool HasVariables(string text) => text.Contains("{{", StringComparison.Ordinal) && Variable.IsMatch(text);

    /// <summary>
    /// Substitutes the variables of one value: a string that is exactly one variable becomes the variable's
    /// typed value; variables inside a longer string are written as text. An unresolved variable (null)
    /// is undecided unless <paramref name="unresolvedAsEmpty"/> (preconditions, where Kyverno reads it as "").
    /// </summary>
    public object? Substitute(object? value, bool unresolvedAsEmpty)
    {
        switch (value)
        {
            case string s when HasVariables(s):
                {
                    var whole = Variable.Match(s.Trim());
                    if (whole.Success && whole.Length == s.Trim().Length)
                    {
                        return Resolve(whole.Groups[1].Value, unresolvedAsEmpty);
                    }
                    return Variable.Replace(s, m => JmesPath.ToText(Resolve(m.Groups[1].Value, unresolvedAsEmpty)));
                }
            case List<object?> list:
                return list.Select(v => Substitute(v, unresolvedAsEmpty)).ToList();
            case Dictionary<string, object?> map:
                return map.ToDictionary(kv => kv.Key, kv => Substitute(kv.Value, unresolvedAsEmpty), StringComparer.Ordinal);
            default:
                return value;
        }
    }

    /// <summary>A message with its variables written in where they resolve (left as written where they do not).</summary>
    public string Message(string message)
    {
        if (!HasVariables(message))
        {
            return message;
        }
        return Variable.Replace(message, m =>
        {
            if (Regex.IsMatch(m.Groups[1].Value, @"\b(data|stringData)\b"))
            {
                return m.Value; // a Secret's (or ConfigMap's) values never reach a message
            }
            try
            {
                return Resolve(m.Groups[1].Value, unresolvedAsEmpty: false) is object o ? JmesPath.ToText(o) : m.Value;
            }
            catch (KyvernoUndecidedException)
            {
                return m.Value;
            }
        });
    }

    private object? Resolve(string expression, bool unresolvedAsEmpty)
    {
        string expr = expression.Trim();
        if (expr.Length == 0)
        {
            throw new KyvernoUndecidedException("an empty variable {{ }}");
        }
        object? result;
        try
        {
            result = expr == "@" ? null : JmesPath.Evaluate(expr, _root);
        }
        catch (JmesPathException e)
        {
            throw new KyvernoUndecidedException(e.Message);
        }
        if (result is null)
        {
            if (unresolvedAsEmpty)
            {
                return string.Empty;
            }
            throw new KyvernoUndecidedException($"the variable {{{{{expr}}}}} cannot be resolved offline (no such field, and no default with ||)");
        }
        return result;
    }

    /// <summary>
    /// Evaluates a conditions block: <c>{any: [...], all: [...]}</c> (both must hold; an absent list holds) or
    /// the legacy plain list (all must hold). Returns the message of the first condition that decided, if any.
    /// </summary>
    public bool Evaluate(YNode? conditions, bool unresolvedAsEmpty, out string? message)
    {
        message = null;
        switch (conditions)
        {
            case null:
                return true;
            case YSequence legacy:
                return All(legacy, unresolvedAsEmpty, ref message);
            case YMapping block:
                foreach (var entry in block.Entries)
                {
                    if (entry.Key.Value is not ("any" or "all"))
                    {
                        throw new KyvernoUndecidedException($"conditions may hold only any/all, found '{entry.Key.Value}'");
                    }
                }
                bool anyHolds = true;
                if (block.Seq("any") is YSequence any && any.Items.Count > 0)
                {
                    anyHolds = false;
                    foreach (YNode c in any.Items)
                    {
                        if (Condition(c, unresolvedAsEmpty, out string? m))
                        {
                            anyHolds = true;
                            message ??= m;
                            break;
                        }
                    }
                }
                return anyHolds && (block.Seq("all") is not YSequence all || All(all, unresolvedAsEmpty, ref message));
            default:
                throw new KyvernoUndecidedException("conditions must be a list or an any/all block");
        }
    }

    private bool All(YSequence list, bool unresolvedAsEmpty, ref string? message)
    {
        foreach (YNode c in list.Items)
        {
            if (!Condition(c, unresolvedAsEmpty, out string? m))
            {
                return false;
            }
            message ??= m;
        }
        return true;
    }

    private bool Condition(YNode node, bool unresolvedAsEmpty, out string? message)
    {
        if (node is not YMapping c || c.Text("operator") is not string op)
        {
            throw new KyvernoUndecidedException("a condition needs key, operator and value");
        }
        message = c.Text("message");
        object? key = Substitute(JmesPath.FromYaml(c["key"]), unresolvedAsEmpty);
        object? value = Substitute(JmesPath.FromYaml(c["value"]), unresolvedAsEmpty);
        return Operators.Apply(op, key, value);
    }
}

/// <summary>Kyverno's condition operators, with its value semantics (wildcards, quantities, durations, ranges).</summary>
public static class Operators
{
    public static bool Apply(string op, object? key, object? value) => op switch
    {
        "Equals" or "Equal" => Equal(key, value),
        "NotEquals" or "NotEqual" => !Equal(key, value),
        "In" => In(key, value, all: true),
        "NotIn" => !In(key, value, all: true),
        "AnyIn" => Elements(key).Any(k => Contains(value, k)),
        "AllIn" => Elements(key).All(k => Contains(value, k)),
        "AnyNotIn" => Elements(key).Any(k => !Contains(value, k)),
        "AllNotIn" => Elements(key).All(k => !Contains(value, k)),
        "GreaterThan" or "DurationGreaterThan" => Order(key, value) is > 0,
        "GreaterThanOrEquals" or "DurationGreaterThanOrEquals" => Order(key, value) is >= 0,
        "LessThan" or "DurationLessThan" => Order(key, value) is < 0,
        "LessThanOrEquals" or "DurationLessThanOrEquals" => Order(key, value) is <= 0,
        _ => throw new KyvernoUndecidedException($"the condition operator '{op}' is not supported by GitOpsSec"),
    };

    /// <summary>Equals: value is the pattern. Strings compare as durations, then quantities, then wildcards.</summary>
    public static bool Equal(object? key, object? value)
    {
        switch (key)
        {
            case string k when value is string v:
                if (Duration(k) is double dk && Duration(v) is double dv)
                {
                    return dk == dv;
                }
                if (Quantity(k) is double qk && Quantity(v) is double qv)
                {
                    return Math.Abs(qk - qv) < 1e-9;
                }
                return JmesPath.Wildcard(v, k);
            case string k when value is double v:
                return Quantity(k) is double q && Math.Abs(q - v) < 1e-9;
            case double k when value is string v:
                return Quantity(v) is double q2 && Math.Abs(q2 - k) < 1e-9;
            default:
                return JmesPath.DeepEquals(key, value);
        }
    }

    private static IEnumerable<object?> Elements(object? key) => key is List<object?> l ? l : new[] { key };

    /// <summary>The legacy In: a scalar key is among the values; a list key has every element among them.</summary>
    private static bool In(object? key, object? value, bool all) =>
        key is List<object?> l ? (all ? l.All(k => Contains(value, k)) : l.Any(k => Contains(value, k))) : Contains(value, key);

    /// <summary>Whether a key element is in the value set: list elements and strings are wildcard patterns; "a-b" is a numeric range.</summary>
    private static bool Contains(object? value, object? key)
    {
        IEnumerable<object?> set = value is List<object?> l ? l : new[] { value };
        foreach (object? candidate in set)
        {
            if (candidate is string pattern && key is not null and not List<object?> and not Dictionary<string, object?>)
            {
                string k = JmesPath.ToText(key);
                var range = Regex.Match(pattern, @"^(!)?(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$");
                if (range.Success && double.TryParse(k, NumberStyles.Float, CultureInfo.InvariantCulture, out double n))
                {
                    bool inside = n >= double.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture) && n <= double.Parse(range.Groups[3].Value, CultureInfo.InvariantCulture);
                    if (inside != range.Groups[1].Success)
                    {
                        return true;
                    }
                    continue;
                }
                if (JmesPath.Wildcard(pattern, k))
                {
                    return true;
                }
            }
            else if (JmesPath.DeepEquals(candidate, key))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Orders numbers, quantities (100m, 1Gi), durations (1h30m) and semantic versions; null when not comparable.</summary>
    private static int? Order(object? key, object? value)
    {
        if (key is double a && value is double b)
        {
            return a.CompareTo(b);
        }
        string? ks = key is null ? null : JmesPath.ToText(key), vs = value is null ? null : JmesPath.ToText(value);
        if (ks is null || vs is null)
        {
            return null;
        }
        if (Duration(ks) is double dk && Duration(vs) is double dv)
        {
            return dk.CompareTo(dv);
        }
        if (Quantity(ks) is double qk && Quantity(vs) is double qv)
        {
            return qk.CompareTo(qv);
        }
        if (SemVer(ks) is Version sk && SemVer(vs) is Version sv)
        {
            return sk.CompareTo(sv);
        }
        return null;
    }

    private static double? Quantity(string s) => KubernetesQuantity.Parse(s);

    /// <summary>A Go duration (300ms, 1.5h, 2h45m) in seconds; a bare number is not a duration.</summary>
    public static double? Duration(string s)
    {
        var m = Regex.Match(s, @"^-?((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$");
        if (!m.Success)
        {
            return null;
        }
        double total = 0;
        foreach (Match part in Regex.Matches(s, @"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)"))
        {
            double n = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += n * part.Groups[2].Value switch
            {
                "ns" => 1e-9,
                "us" or "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1,
                "m" => 60,
                _ => 3600,
            };
        }
        return s.StartsWith('-') ? -total : total;
    }

    private static Version? SemVer(string s)
    {
        var m = Regex.Match(s, @"^v?(\d+)\.(\d+)\.(\d+)$");
        return m.Success ? new Version(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)) : null;
    }
}
