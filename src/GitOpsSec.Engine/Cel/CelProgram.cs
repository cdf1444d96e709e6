namespace GitOpsSec.Cel;

/// <summary>
/// A compiled CEL expression: parsed once, checked for unknown functions and variables, then evaluated any number
/// of times against variables with a cost budget, like the API server's per-expression limit. Evaluation is a
/// tree walk over plain values (long, ulong, double, string, <see cref="CelBytes"/>, bool, null, lists, <see
/// cref="CelMapValue"/>, durations, timestamps and the Kubernetes library types); an evaluation error is a
/// <see cref="CelError"/> value, which &amp;&amp; and || absorb as CEL specifies.
/// </summary>
public sealed class CelProgram
{
    /// <summary>The API server's per-expression runtime cost limit (PerCallLimit).</summary>
    public const long DefaultCostLimit = 1_000_000;

    private static readonly HashSet<string> TypeNames = new(StringComparer.Ordinal)
    {
        "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
    };

    private static readonly HashSet<string> UndecidedVariables = new(StringComparer.Ordinal) { "authorizer", "resource", "http", "globalContext", "image", "imageData" };

    private readonly CelNode _root;

    private CelProgram(string source, CelNode root)
    {
        Source = source;
        _root = root;
    }

    public string Source { get; }

    /// <summary>Parses and checks <paramref name="expression"/>. <paramref name="variables"/>: the names it may use (null: any).</summary>
    public static CelProgram Compile(string expression, IReadOnlyCollection<string>? variables = null)
    {
        CelNode root = CelParser.Parse(expression);
        Check(root, variables, new HashSet<string>(StringComparer.Ordinal), 0);
        return new CelProgram(expression, root);
    }

    private static void Check(CelNode node, IReadOnlyCollection<string>? variables, HashSet<string> bound, int depth)
    {
        if (depth > 500)
        {
            throw new CelCompileException("expression nested too deeply", node.Pos);
        }
        switch (node)
        {
            case CelIdent id:
                if (variables is not null && !bound.Contains(id.Name) && !variables.Contains(id.Name) && !TypeNames.Contains(id.Name) &&
                    !CelLibrary.Namespaces.Contains(id.Name))
                {
                    throw new CelCompileException($"undeclared reference to '{id.Name}'", id.Pos);
                }
                break;
            case CelSelect s:
                // A qualified function namespace (optional.none, format.dns1123Label, ...) is checked at the call.
                Check(s.Operand, variables, bound, depth + 1);
                break;
            case CelCall c:
                if (!c.Function.StartsWith('_') && c.Function is not "!_" and not "-_" and not "@in")
                {
                    string name = c.Target is CelIdent ns && CelLibrary.Namespaces.Contains(ns.Name) && (variables is null || !variables.Contains(ns.Name))
                        ? ns.Name + "." + c.Function
                        : c.Function;
                    bool member = c.Target is not null && name == c.Function;
                    // Calls on a variable that only the cluster can answer (Kyverno's resource, http, ...) are undecided at run time, not compile errors.
                    bool clusterOnly = c.Target is CelIdent cv && UndecidedVariables.Contains(cv.Name) && (variables?.Contains(cv.Name) ?? true);
                    if (!clusterOnly && !(member ? CelLibrary.MemberFunctions.Contains(name) : CelLibrary.GlobalFunctions.Contains(name)))
                    {
                        throw new CelCompileException($"undeclared reference to function '{name}'", c.Pos);
                    }
                }
                if (c.Target is not null && !(c.Target is CelIdent ns2 && CelLibrary.Namespaces.Contains(ns2.Name)))
                {
                    Check(c.Target, variables, bound, depth + 1);
                }
                foreach (CelNode a in c.Args)
                {
                    Check(a, variables, bound, depth + 1);
                }
                break;
            case CelIndex i:
                Check(i.Operand, variables, bound, depth + 1);
                Check(i.Key, variables, bound, depth + 1);
                break;
            case CelList l:
                foreach (CelNode e in l.Items) Check(e, variables, bound, depth + 1);
                break;
            case CelMap m:
                foreach (var (k, v, _) in m.Entries)
                {
                    Check(k, variables, bound, depth + 1);
                    Check(v, variables, bound, depth + 1);
                }
                break;
            case CelComprehension c:
                Check(c.Range, variables, bound, depth + 1);
                var inner = new HashSet<string>(bound, StringComparer.Ordinal) { c.Var };
                if (c.Var2 is not null) inner.Add(c.Var2);
                if (c.Filter is not null) Check(c.Filter, variables, inner, depth + 1);
                Check(c.Body, variables, inner, depth + 1);
                break;
            case CelMessage msg:
                throw new CelCompileException($"message construction ({msg.Type}{{...}}) is not supported: Kubernetes policies have no message types", msg.Pos);
        }
    }

    /// <summary>
    /// The value (possibly a <see cref="CelError"/>). Throws <see cref="CelAbortException"/> when the cost budget is
    /// spent or the expression needs the authorizer.
    /// </summary>
    public object? Evaluate(IReadOnlyDictionary<string, object?> variables, long costLimit = DefaultCostLimit)
    {
        var context = new CelContext(variables, costLimit);
        return context.Eval(_root);
    }

    public override string ToString() => Source;
}

/// <summary>One evaluation: variables (with comprehension scopes) and the cost spent.</summary>
internal sealed class CelContext
{
    private readonly IReadOnlyDictionary<string, object?> _variables;
    private readonly List<(string Name, object? Value)> _scope = new();
    private readonly long _limit;
    private long _cost;

    public CelContext(IReadOnlyDictionary<string, object?> variables, long limit)
    {
        _variables = variables;
        _limit = limit;
    }

    public void Spend(long units)
    {
        _cost += units;
        if (_cost > _limit)
        {
            throw new CelAbortException("CostExceeded", $"the expression exceeded its cost budget of {_limit:N0} (the API server's per-expression limit)");
        }
    }

    private object? Lookup(CelIdent id)
    {
        for (int i = _scope.Count - 1; i >= 0; i--)
        {
            if (_scope[i].Name == id.Name)
            {
                return _scope[i].Value;
            }
        }
        if (_variables.TryGetValue(id.Name, out object? v))
        {
            return v;
        }
        return id.Name switch
        {
            "int" or "uint" or "double" or "bool" or "string" or "bytes" or "list" or "map" or "null_type" or "type" => new CelType(id.Name),
            _ => new CelError($"undeclared reference to '{id.Name}'"),
        };
    }

    public object? Eval(CelNode node)
    {
        Spend(1);
        switch (node)
        {
            case CelLiteral lit:
                return lit.Value;
            case CelIdent id:
                return Lookup(id);
            case CelSelect s:
                return Select(s);
            case CelIndex i:
                return Index(i);
            case CelList l:
                {
                    var items = new List<object?>(l.Items.Length);
                    for (int k = 0; k < l.Items.Length; k++)
                    {
                        object? v = Eval(l.Items[k]);
                        if (v is CelError) return v;
                        if (l.OptionalItems[k])
                        {
                            if (v is not CelOptional opt) return CelOps.NoOverload("optional list element", v);
                            if (opt.HasValue) items.Add(opt.Value);
                            continue;
                        }
                        items.Add(v);
                    }
                    return items;
                }
            case CelMap m:
                {
                    var map = new CelMapValue(m.Entries.Length);
                    foreach (var (kn, vn, optional) in m.Entries)
                    {
                        object? k = Eval(kn);
                        if (k is CelError) return k;
                        if (k is not (long or ulong or string or bool))
                        {
                            return new CelError($"unsupported key type: {CelOps.TypeName(k)}");
                        }
                        object? v = Eval(vn);
                        if (v is CelError) return v;
                        if (optional)
                        {
                            if (v is not CelOptional opt) return CelOps.NoOverload("optional map entry", v);
                            if (!opt.HasValue) continue;
                            v = opt.Value;
                        }
                        if (map.ContainsKey(k))
                        {
                            return new CelError($"Failed with repeated key: {CelOps.Format(k)}");
                        }
                        map[k] = v;
                    }
                    return map;
                }
            case CelComprehension c:
                return Comprehension(c);
            case CelCall call:
                return Call(call);
        }
        return new CelError($"unsupported expression {node.GetType().Name}");
    }

    private object? Select(CelSelect s)
    {
        // A qualified name that is a variable (request.userInfo), a namespace value, or a field.
        object? operand = Eval(s.Operand);
        if (operand is CelError)
        {
            return operand;
        }
        if (operand is CelOptional opt)
        {
            if (!opt.HasValue) return s.Test ? false : CelOptional.None;
            operand = opt.Value;
            return SelectField(operand, s.Field, s.Test, optional: true);
        }
        return SelectField(operand, s.Field, s.Test, s.Optional);
    }

    private static object? SelectField(object? operand, string field, bool test, bool optional)
    {
        switch (operand)
        {
            case CelMapValue map:
                bool present = map.TryGetValue(field, out object? v);
                if (test) return present;
                if (optional) return present ? CelOptional.Of(v) : CelOptional.None;
                return present ? v : new CelError($"no such key: {field}");
            case ICelFields fields:
                return fields.Field(field, test, optional);
            default:
                return test || !optional ? new CelError($"type '{CelOps.TypeName(operand)}' does not support field selection") : CelOptional.None;
        }
    }

    private object? Index(CelIndex i)
    {
        object? operand = Eval(i.Operand);
        if (operand is CelError) return operand;
        object? key = Eval(i.Key);
        if (key is CelError) return key;
        bool optional = i.Optional;
        if (operand is CelOptional opt)
        {
            if (!opt.HasValue) return CelOptional.None;
            operand = opt.Value;
            optional = true;
        }
        switch (operand)
        {
            case IList<object?> list:
                {
                    long? index = key switch
                    {
                        long l => l,
                        ulong u => u > long.MaxValue ? -1 : (long)u,
                        double d when d == Math.Floor(d) && !double.IsInfinity(d) => (long)d,
                        _ => null,
                    };
                    if (index is null) return CelOps.NoOverload("_[_]", operand, key);
                    if (index < 0 || index >= list.Count)
                    {
                        return optional ? CelOptional.None : new CelError($"index out of range: {index}");
                    }
                    return optional ? CelOptional.Of(list[(int)index]) : list[(int)index];
                }
            case CelMapValue map:
                {
                    if (key is not (long or ulong or double or string or bool))
                    {
                        return new CelError($"unsupported key type: {CelOps.TypeName(key)}");
                    }
                    bool present = map.TryGetValue(key!, out object? v);
                    if (optional) return present ? CelOptional.Of(v) : CelOptional.None;
                    return present ? v : new CelError($"no such key: {CelOps.Format(key)}");
                }
        }
        return CelOps.NoOverload("_[_]", operand, key);
    }

    private object? Comprehension(CelComprehension c)
    {
        object? range = Eval(c.Range);
        if (range is CelError) return range;
        IEnumerable<(object? First, object? Second)> items;
        int count;
        switch (range)
        {
            case IList<object?> list:
                items = c.Var2 is null ? list.Select(v => (v, (object?)null)) : list.Select((v, idx) => ((object?)(long)idx, v));
                count = list.Count;
                break;
            case CelMapValue map:
                items = c.Var2 is null ? map.Keys.Select(k => ((object?)k, (object?)null)) : map.Select(e => ((object?)e.Key, e.Value));
                count = map.Count;
                break;
            default:
                return CelOps.NoOverload(c.Macro, range);
        }
        Spend(count);
        CelError? error = null;
        var results = new List<object?>();
        var transformed = new CelMapValue();
        int trues = 0;
        int mark = _scope.Count;
        try
        {
            foreach (var (first, second) in items)
            {
                _scope.RemoveRange(mark, _scope.Count - mark);
                _scope.Add((c.Var, first));
                if (c.Var2 is not null) _scope.Add((c.Var2, second));
                switch (c.Macro)
                {
                    case "all":
                        {
                            object? v = Eval(c.Body);
                            if (v is false) return false;
                            if (v is not true) error ??= v as CelError ?? CelOps.NoOverload("all", v);
                            break;
                        }
                    case "exists":
                        {
                            object? v = Eval(c.Body);
                            if (v is true) return true;
                            if (v is not false) error ??= v as CelError ?? CelOps.NoOverload("exists", v);
                            break;
                        }
                    case "exists_one":
                        {
                            object? v = Eval(c.Body);
                            if (v is CelError e) return e;
                            if (v is true) trues++;
                            else if (v is not false) return CelOps.NoOverload("exists_one", v);
                            break;
                        }
                    case "filter":
                        {
                            object? v = Eval(c.Filter!);
                            if (v is CelError) return v;
                            if (v is true) results.Add(first);
                            else if (v is not false) return CelOps.NoOverload("filter", v);
                            break;
                        }
                    case "map" or "transformList" or "transformMap":
                        {
                            if (c.Filter is not null)
                            {
                                object? keep = Eval(c.Filter);
                                if (keep is CelError) return keep;
                                if (keep is false) break;
                                if (keep is not true) return CelOps.NoOverload(c.Macro, keep);
                            }
                            object? v = Eval(c.Body);
                            if (v is CelError) return v;
                            if (c.Macro == "transformMap") transformed[first!] = v;
                            else results.Add(v);
                            break;
                        }
                }
            }
        }
        finally
        {
            _scope.RemoveRange(mark, _scope.Count - mark);
        }
        return c.Macro switch
        {
            "all" => error ?? (object)true,
            "exists" => error ?? (object)false,
            "exists_one" => trues == 1,
            "transformMap" => transformed,
            _ => results,
        };
    }

    private object? Call(CelCall call)
    {
        switch (call.Function)
        {
            case "_&&_":
            case "_||_":
                {
                    bool and = call.Function == "_&&_";
                    object? left = Eval(call.Args[0]);
                    if (left is bool lb && lb != and) return lb; // false && _ , true || _
                    object? right = Eval(call.Args[1]);
                    if (right is bool rb && rb != and) return rb;
                    if (left is CelError) return left;
                    if (right is CelError) return right;
                    if (left is bool && right is bool) return and;
                    return CelOps.NoOverload(call.Function, left, right);
                }
            case "_?_:_":
                {
                    object? cond = Eval(call.Args[0]);
                    return cond switch
                    {
                        true => Eval(call.Args[1]),
                        false => Eval(call.Args[2]),
                        CelError => cond,
                        _ => CelOps.NoOverload("_?_:_", cond),
                    };
                }
        }
        // A namespaced function: optional.of(x), format.dns1123Label(), strings.quote(s), sets.contains(a, b), ...
        string name = call.Function;
        object? target = null;
        bool member = call.Target is not null;
        if (call.Target is CelIdent ns && CelLibrary.Namespaces.Contains(ns.Name) && Lookup(ns) is CelError)
        {
            name = ns.Name + "." + call.Function;
            member = false;
        }
        else if (call.Target is not null)
        {
            target = Eval(call.Target);
            if (target is CelError) return target;
        }
        var args = new object?[call.Args.Length];
        for (int k = 0; k < args.Length; k++)
        {
            args[k] = Eval(call.Args[k]);
            if (args[k] is CelError) return args[k];
        }
        return CelLibrary.Invoke(this, name, member, target, args);
    }
}

/// <summary>A library value with fields (selection on it).</summary>
internal interface ICelFields
{
    object? Field(string name, bool test, bool optional);
}
