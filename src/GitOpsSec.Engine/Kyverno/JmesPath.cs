using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Kyverno;

/// <summary>A JMESPath expression GitOpsSec cannot evaluate: a syntax error, an unknown function or a feature outside the subset.</summary>
public sealed class JmesPathException : Exception
{
    public JmesPathException(string message) : base(message) { }
}

/// <summary>
/// The JMESPath language (https://jmespath.org/specification.html) as Kyverno uses it in variables:
/// fields, quoted fields, sub-expressions, indexes, slices, list and object projections (<c>[*]</c>,
/// <c>*</c>), flatten (<c>[]</c>), filters (<c>[?a == 'b']</c>), pipes, <c>||</c>, <c>&amp;&amp;</c>, <c>!</c>,
/// comparisons, literals, raw strings, multi-select lists and hashes, and the common functions (JMESPath's
/// built-ins and Kyverno's string helpers). Values are the JSON model: null, bool, double, string,
/// <see cref="List{T}"/> and <see cref="Dictionary{TKey,TValue}"/>.
/// </summary>
public static class JmesPath
{
    public static object? Evaluate(string expression, object? data) => new Parser(expression).ParseAll().Eval(data);

    /// <summary>A YAML node as a JSON value (numbers as double).</summary>
    public static object? FromYaml(YNode? node) => node switch
    {
        null => null,
        YMapping m => m.Entries.ToDictionary(e => e.Key.Value, e => FromYaml(e.Value), StringComparer.Ordinal),
        YSequence s => s.Items.Select(FromYaml).ToList(),
        YScalar sc => ScalarResolver.Resolve(sc) switch { long l => (double)l, object o => o, null => null },
        _ => null,
    };

    public static bool IsTruthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static bool DeepEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (double x, double y) => x == y,
        (string x, string y) => x == y,
        (bool x, bool y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => DeepEquals(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
            x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out object? o) && DeepEquals(kv.Value, o)),
        _ => false,
    };

    /// <summary>The value as JSON text (strings unquoted), the way Kyverno writes a variable into a larger string.</summary>
    public static string ToText(object? v) => v switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(ToPlain(v)),
    };

    private static object? ToPlain(object? v) => v switch
    {
        List<object?> l => l.Select(ToPlain).ToList(),
        Dictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)),
        _ => v,
    };

    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    // ---- AST ----------------------------------------------------------------------------------

    private abstract class Node
    {
        public abstract object? Eval(object? v);
    }

    private sealed class Identity : Node
    {
        public static readonly Identity Instance = new();

        public override object? Eval(object? v) => v;
    }

    private sealed class Literal(object? value) : Node
    {
        public override object? Eval(object? v) => value;
    }

    private sealed class Field(string name) : Node
    {
        public string Name => name;

        public override object? Eval(object? v) => v is Dictionary<string, object?> d && d.TryGetValue(name, out object? o) ? o : null;
    }

    private sealed class Sub(Node left, Node right) : Node
    {
        public override object? Eval(object? v) => right.Eval(left.Eval(v));
    }

    private sealed class Index(int index) : Node
    {
        public override object? Eval(object? v)
        {
            if (v is not List<object?> l)
            {
                return null;
            }
            int i = index < 0 ? l.Count + index : index;
            return i >= 0 && i < l.Count ? l[i] : null;
        }
    }

    private sealed class Slice(int? start, int? stop, int? step) : Node
    {
        public override object? Eval(object? v)
        {
            if (v is not List<object?> l)
            {
                return null;
            }
            int s = step ?? 1;
            if (s == 0)
            {
                throw new JmesPathException("a slice step cannot be 0");
            }
            int Clamp(int? x, int dflt)
            {
                if (x is not int i)
                {
                    return dflt;
                }
                if (i < 0)
                {
                    i += l.Count;
                    return i < 0 ? (s < 0 ? -1 : 0) : i;
                }
                return i >= l.Count ? (s < 0 ? l.Count - 1 : l.Count) : i;
            }
            int a = Clamp(start, s < 0 ? l.Count - 1 : 0), b = Clamp(stop, s < 0 ? -1 : l.Count);
            var result = new List<object?>();
            for (int i = a; s > 0 ? i < b : i > b; i += s)
            {
                result.Add(l[i]);
            }
            return result;
        }
    }

    private sealed class Projection(Node left, Node right) : Node
    {
        public override object? Eval(object? v) => left.Eval(v) is List<object?> l ? Project(l, right) : null;
    }

    private sealed class ValueProjection(Node left, Node right) : Node
    {
        public override object? Eval(object? v) => left.Eval(v) is Dictionary<string, object?> d ? Project(d.Values, right) : null;
    }

    private sealed class FilterProjection(Node left, Node condition, Node right) : Node
    {
        public override object? Eval(object? v) =>
            left.Eval(v) is List<object?> l ? Project(l.Where(e => IsTruthy(condition.Eval(e))), right) : null;
    }

    private static List<object?> Project(IEnumerable<object?> items, Node right)
    {
        var result = new List<object?>();
        foreach (object? item in items)
        {
            if (right.Eval(item) is object o)
            {
                result.Add(o);
            }
        }
        return result;
    }

    private sealed class Flatten(Node child) : Node
    {
        public override object? Eval(object? v)
        {
            if (child.Eval(v) is not List<object?> l)
            {
                return null;
            }
            var result = new List<object?>();
            foreach (object? item in l)
            {
                if (item is List<object?> inner)
                {
                    result.AddRange(inner);
                }
                else
                {
                    result.Add(item);
                }
            }
            return result;
        }
    }

    private sealed class Compare(string op, Node left, Node right) : Node
    {
        public override object? Eval(object? v)
        {
            object? a = left.Eval(v), b = right.Eval(v);
            return op switch
            {
                "==" => DeepEquals(a, b),
                "!=" => !DeepEquals(a, b),
                _ when a is double x && b is double y => op switch { "<" => x < y, "<=" => x <= y, ">" => x > y, _ => x >= y },
                _ => null,
            };
        }
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override object? Eval(object? v) => left.Eval(v) is var l && IsTruthy(l) ? l : right.Eval(v);
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override object? Eval(object? v) => left.Eval(v) is var l && !IsTruthy(l) ? l : right.Eval(v);
    }

    private sealed class Not(Node child) : Node
    {
        public override object? Eval(object? v) => !IsTruthy(child.Eval(v));
    }

    private sealed class Pipe(Node left, Node right) : Node
    {
        public override object? Eval(object? v) => right.Eval(left.Eval(v));
    }

    private sealed class MultiList(List<Node> items) : Node
    {
        public override object? Eval(object? v) => v is null ? null : items.Select(i => i.Eval(v)).ToList();
    }

    private sealed class MultiHash(List<(string Key, Node Value)> items) : Node
    {
        public override object? Eval(object? v) =>
            v is null ? null : items.ToDictionary(i => i.Key, i => i.Value.Eval(v), StringComparer.Ordinal);
    }

    private sealed class Call(string name, List<Node> args) : Node
    {
        public override object? Eval(object? v) => Functions.Invoke(name, args.Select(a => a.Eval(v)).ToList());
    }

    // ---- functions ----------------------------------------------------------------------------

    private static class Functions
    {
        public static object? Invoke(string name, List<object?> a)
        {
            switch (name, a.Count)
            {
                case ("length", 1):
                    return a[0] switch
                    {
                        string s => (double)new StringInfo(s).LengthInTextElements,
                        List<object?> l => (double)l.Count,
                        Dictionary<string, object?> d => (double)d.Count,
                        _ => throw Type(name),
                    };
                case ("contains", 2):
                    return a[0] switch
                    {
                        string s when a[1] is string sub => s.Contains(sub, StringComparison.Ordinal),
                        List<object?> l => l.Any(x => DeepEquals(x, a[1])),
                        _ => throw Type(name),
                    };
                case ("starts_with", 2):
                    return Str(a[0], name).StartsWith(Str(a[1], name), StringComparison.Ordinal);
                case ("ends_with", 2):
                    return Str(a[0], name).EndsWith(Str(a[1], name), StringComparison.Ordinal);
                case ("to_string", 1):
                    return a[0] is string s1 ? s1 : ToText(a[0]);
                case ("to_number", 1):
                    return a[0] switch
                    {
                        double d => d,
                        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) => n,
                        _ => null,
                    };
                case ("type", 1):
                    return a[0] switch
                    {
                        null => "null",
                        bool => "boolean",
                        double => "number",
                        string => "string",
                        List<object?> => "array",
                        _ => "object",
                    };
                case ("keys", 1):
                    return Obj(a[0], name).Keys.Select(k => (object?)k).ToList();
                case ("values", 1):
                    return Obj(a[0], name).Values.ToList();
                case ("join", 2):
                    return string.Join(Str(a[0], name), List(a[1], name).Select(x => Str(x, name)));
                case ("not_null", _) when a.Count > 0:
                    return a.FirstOrDefault(x => x is not null);
                case ("sort", 1):
                    {
                        var l = List(a[0], name);
                        return l.All(x => x is double) ? l.OrderBy(x => (double)x!).ToList()
                            : l.All(x => x is string) ? l.OrderBy(x => (string)x!, StringComparer.Ordinal).ToList() : throw Type(name);
                    }
                case ("max", 1):
                case ("min", 1):
                    {
                        var l = List(a[0], name);
                        if (l.Count == 0)
                        {
                            return null;
                        }
                        if (l.All(x => x is double))
                        {
                            return name == "max" ? l.Max(x => (double)x!) : l.Min(x => (double)x!);
                        }
                        var strings = l.Select(x => Str(x, name)).OrderBy(x => x, StringComparer.Ordinal);
                        return name == "max" ? strings.Last() : strings.First();
                    }
                case ("abs", 1):
                    return Math.Abs(Num(a[0], name));
                case ("floor", 1):
                    return Math.Floor(Num(a[0], name));
                case ("ceil", 1):
                    return Math.Ceiling(Num(a[0], name));
                case ("sum", 1):
                    return List(a[0], name).Sum(x => Num(x, name));
                case ("reverse", 1):
                    return a[0] is string rs ? new string(rs.Reverse().ToArray()) : Enumerable.Reverse(List(a[0], name)).ToList();
                case ("merge", _):
                    {
                        var merged = new Dictionary<string, object?>(StringComparer.Ordinal);
                        foreach (object? o in a)
                        {
                            foreach (var kv in Obj(o, name))
                            {
                                merged[kv.Key] = kv.Value;
                            }
                        }
                        return merged;
                    }
                case ("to_array", 1):
                    return a[0] is List<object?> ta ? ta : new List<object?> { a[0] };
                // Kyverno's string helpers
                case ("to_upper", 1):
                    return Str(a[0], name).ToUpperInvariant();
                case ("to_lower", 1):
                    return Str(a[0], name).ToLowerInvariant();
                case ("trim", 2):
                    return Str(a[0], name).Trim(Str(a[1], name).ToCharArray());
                case ("split", 2):
                    return Str(a[0], name).Split(Str(a[1], name)).Select(x => (object?)x).ToList();
                case ("replace_all", 3):
                    return Str(a[0], name).Replace(Str(a[1], name), Str(a[2], name), StringComparison.Ordinal);
                case ("truncate", 2):
                    {
                        string s = Str(a[0], name);
                        int n = (int)Num(a[1], name);
                        return s.Length <= n ? s : s[..n];
                    }
                case ("regex_match", 2):
                    try
                    {
                        return BoundedPattern.Cached(Str(a[0], name)).IsMatch(ToText(a[1]));
                    }
                    catch (ArgumentException e)
                    {
                        throw new JmesPathException($"regex_match: '{Str(a[0], name)}' is not a valid regular expression: {e.Message}");
                    }
                    catch (RegexMatchTimeoutException)
                    {
                        throw new JmesPathException($"regex_match: '{Str(a[0], name)}' took longer than {BoundedPattern.MatchTimeout.TotalSeconds:0} s on its input; the rule is undecided.");
                    }
                case ("pattern_match", 2):
                    return Wildcard(Str(a[0], name), ToText(a[1]));
                case ("label_match", 2):
                    {
                        var selector = Obj(a[0], name);
                        var labels = Obj(a[1], name);
                        return selector.All(kv => labels.TryGetValue(kv.Key, out object? lv) && DeepEquals(lv, kv.Value));
                    }
                default:
                    throw new JmesPathException($"the function {name}() with {a.Count} argument(s) is not supported by GitOpsSec");
            }
        }

        private static JmesPathException Type(string name) => new($"invalid type of argument for {name}()");

        private static string Str(object? v, string name) => v as string ?? throw Type(name);

        private static double Num(object? v, string name) => v is double d ? d : throw Type(name);

        private static List<object?> List(object? v, string name) => v as List<object?> ?? throw Type(name);

        private static Dictionary<string, object?> Obj(object? v, string name) => v as Dictionary<string, object?> ?? throw Type(name);
    }

    /// <summary>Kyverno's wildcard matching: * any run of characters, ? any one character.</summary>
    public static bool Wildcard(string pattern, string value) => BoundedPattern.Wildcard(pattern, value);

    // ---- lexer and parser (Pratt, after the specification's binding powers) --------------------

    private enum T
    {
        Eof, Identifier, Quoted, Literal, Number, Dot, Star, Flatten, LBracket, RBracket, Filter, LBrace, RBrace,
        LParen, RParen, Comma, Colon, Pipe, Or, And, Not, Compare, Current, Expref,
    }

    private readonly record struct Token(T Type, string Text, object? Value, int Position);

    private sealed class Parser
    {
        private readonly string _text;
        private readonly List<Token> _tokens;
        private int _i;

        public Parser(string text)
        {
            _text = text;
            _tokens = Lex(text);
        }

        public Node ParseAll()
        {
            Node n = Expression(0);
            if (Peek.Type != T.Eof)
            {
                throw Error($"unexpected '{Peek.Text}'");
            }
            return n;
        }

        private Token Peek => _tokens[_i];

        private T PeekAt(int k) => _tokens[Math.Min(_i + k, _tokens.Count - 1)].Type;

        private Token Next()
        {
            Token t = _tokens[_i];
            if (_i < _tokens.Count - 1)
            {
                _i++;
            }
            return t;
        }

        private void Expect(T type)
        {
            if (Peek.Type != type)
            {
                throw Error($"expected {type}, found '{Peek.Text}'");
            }
            _i++;
        }

        private JmesPathException Error(string what) => new($"invalid JMESPath '{_text}': {what}");

        private static int Power(T t) => t switch
        {
            T.Pipe => 1,
            T.Or => 2,
            T.And => 3,
            T.Compare => 5,
            T.Flatten => 9,
            T.Star => 20,
            T.Filter => 21,
            T.Dot => 40,
            T.Not => 45,
            T.LBrace => 50,
            T.LBracket => 55,
            T.LParen => 60,
            _ => 0,
        };

        private Node Expression(int rbp)
        {
            Node left = Nud(Next());
            while (rbp < Power(Peek.Type))
            {
                left = Led(Next(), left);
            }
            return left;
        }

        private Node Nud(Token t)
        {
            switch (t.Type)
            {
                case T.Literal:
                    return new Literal(t.Value);
                case T.Identifier:
                case T.Quoted:
                    return new Field(t.Text);
                case T.Star:
                    return new ValueProjection(Identity.Instance, ProjectionRhs(Power(T.Star)));
                case T.Filter:
                    return FilterFrom(Identity.Instance);
                case T.LBrace:
                    return Hash();
                case T.LParen:
                    {
                        Node inner = Expression(0);
                        Expect(T.RParen);
                        return inner;
                    }
                case T.Flatten:
                    return new Projection(new Flatten(Identity.Instance), ProjectionRhs(Power(T.Flatten)));
                case T.Not:
                    return new Not(Expression(Power(T.Not)));
                case T.LBracket:
                    if (Peek.Type is T.Number or T.Colon)
                    {
                        return IndexOrSlice(Identity.Instance);
                    }
                    if (Peek.Type == T.Star && PeekAt(1) == T.RBracket)
                    {
                        _i += 2;
                        return new Projection(Identity.Instance, ProjectionRhs(Power(T.Star)));
                    }
                    return List();
                case T.Current:
                    return Identity.Instance;
                case T.Expref:
                    throw Error("expression references (&) are not supported");
                default:
                    throw Error(t.Type == T.Eof ? "unexpected end" : $"unexpected '{t.Text}'");
            }
        }

        private Node Led(Token t, Node left)
        {
            switch (t.Type)
            {
                case T.Dot:
                    if (Peek.Type == T.Star)
                    {
                        _i++;
                        return new ValueProjection(left, ProjectionRhs(Power(T.Dot)));
                    }
                    return new Sub(left, DotRhs(Power(T.Dot)));
                case T.Pipe:
                    return new Pipe(left, Expression(Power(T.Pipe)));
                case T.Or:
                    return new Or(left, Expression(Power(T.Or)));
                case T.And:
                    return new And(left, Expression(Power(T.And)));
                case T.Compare:
                    return new Compare(t.Text, left, Expression(Power(T.Compare)));
                case T.Flatten:
                    return new Projection(new Flatten(left), ProjectionRhs(Power(T.Flatten)));
                case T.Filter:
                    return FilterFrom(left);
                case T.LBracket:
                    if (Peek.Type is T.Number or T.Colon)
                    {
                        return IndexOrSlice(left);
                    }
                    Expect(T.Star);
                    Expect(T.RBracket);
                    return new Projection(left, ProjectionRhs(Power(T.Star)));
                case T.LParen:
                    {
                        if (left is not Field f)
                        {
                            throw Error("a function name must be an identifier");
                        }
                        var args = new List<Node>();
                        while (Peek.Type != T.RParen)
                        {
                            args.Add(Expression(0));
                            if (Peek.Type == T.Comma)
                            {
                                _i++;
                            }
                            else if (Peek.Type != T.RParen)
                            {
                                throw Error($"expected ',' or ')', found '{Peek.Text}'");
                            }
                        }
                        _i++;
                        return new Call(f.Name, args);
                    }
                default:
                    throw Error($"unexpected '{t.Text}'");
            }
        }

        private Node FilterFrom(Node left)
        {
            Node condition = Expression(0);
            Expect(T.RBracket);
            return new FilterProjection(left, condition, ProjectionRhs(Power(T.Filter)));
        }

        private Node IndexOrSlice(Node left)
        {
            var parts = new int?[3];
            int part = 0;
            bool slice = false;
            while (Peek.Type != T.RBracket)
            {
                if (Peek.Type == T.Colon)
                {
                    slice = true;
                    if (++part > 2)
                    {
                        throw Error("too many colons in a slice");
                    }
                    _i++;
                }
                else if (Peek.Type == T.Number)
                {
                    parts[part] = (int)(double)Next().Value!;
                }
                else
                {
                    throw Error($"unexpected '{Peek.Text}' in an index");
                }
            }
            _i++;
            if (!slice)
            {
                return new Sub(left, new Index(parts[0]!.Value));
            }
            return new Projection(new Sub(left, new Slice(parts[0], parts[1], parts[2])), ProjectionRhs(Power(T.Star)));
        }

        private Node ProjectionRhs(int rbp)
        {
            if (Power(Peek.Type) < 10)
            {
                return Identity.Instance;
            }
            switch (Peek.Type)
            {
                case T.LBracket:
                case T.Filter:
                    return Expression(rbp);
                case T.Dot:
                    _i++;
                    return DotRhs(rbp);
                default:
                    throw Error($"unexpected '{Peek.Text}' after a projection");
            }
        }

        private Node DotRhs(int rbp)
        {
            switch (Peek.Type)
            {
                case T.Identifier:
                case T.Quoted:
                case T.Star:
                    return Expression(rbp);
                case T.LBracket:
                    _i++;
                    return List();
                case T.LBrace:
                    _i++;
                    return Hash();
                default:
                    throw Error($"unexpected '{Peek.Text}' after '.'");
            }
        }

        private Node List()
        {
            var items = new List<Node>();
            while (true)
            {
                items.Add(Expression(0));
                if (Peek.Type == T.RBracket)
                {
                    _i++;
                    return new MultiList(items);
                }
                Expect(T.Comma);
            }
        }

        private Node Hash()
        {
            var items = new List<(string, Node)>();
            while (true)
            {
                Token key = Next();
                if (key.Type is not (T.Identifier or T.Quoted))
                {
                    throw Error("expected a key in a multi-select hash");
                }
                Expect(T.Colon);
                items.Add((key.Text, Expression(0)));
                if (Peek.Type == T.RBrace)
                {
                    _i++;
                    return new MultiHash(items);
                }
                Expect(T.Comma);
            }
        }

        private static List<Token> Lex(string s)
        {
            var tokens = new List<Token>();
            int i = 0;
            while (i < s.Length)
            {
                char c = s[i];
                int start = i;
                if (char.IsWhiteSpace(c))
                {
                    i++;
                    continue;
                }
                if (char.IsAsciiLetter(c) || c == '_')
                {
                    while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'))
                    {
                        i++;
                    }
                    tokens.Add(new Token(T.Identifier, s[start..i], null, start));
                    continue;
                }
                if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
                {
                    i++;
                    while (i < s.Length && char.IsAsciiDigit(s[i]))
                    {
                        i++;
                    }
                    tokens.Add(new Token(T.Number, s[start..i], double.Parse(s[start..i], CultureInfo.InvariantCulture), start));
                    continue;
                }
                string two = i + 1 < s.Length ? s.Substring(i, 2) : string.Empty;
                switch (two)
                {
                    case "[]": tokens.Add(new Token(T.Flatten, two, null, i)); i += 2; continue;
                    case "[?": tokens.Add(new Token(T.Filter, two, null, i)); i += 2; continue;
                    case "||": tokens.Add(new Token(T.Or, two, null, i)); i += 2; continue;
                    case "&&": tokens.Add(new Token(T.And, two, null, i)); i += 2; continue;
                    case "==" or "!=" or "<=" or ">=": tokens.Add(new Token(T.Compare, two, null, i)); i += 2; continue;
                }
                switch (c)
                {
                    case '.': tokens.Add(new Token(T.Dot, ".", null, i++)); continue;
                    case '*': tokens.Add(new Token(T.Star, "*", null, i++)); continue;
                    case '[': tokens.Add(new Token(T.LBracket, "[", null, i++)); continue;
                    case ']': tokens.Add(new Token(T.RBracket, "]", null, i++)); continue;
                    case '{': tokens.Add(new Token(T.LBrace, "{", null, i++)); continue;
                    case '}': tokens.Add(new Token(T.RBrace, "}", null, i++)); continue;
                    case '(': tokens.Add(new Token(T.LParen, "(", null, i++)); continue;
                    case ')': tokens.Add(new Token(T.RParen, ")", null, i++)); continue;
                    case ',': tokens.Add(new Token(T.Comma, ",", null, i++)); continue;
                    case ':': tokens.Add(new Token(T.Colon, ":", null, i++)); continue;
                    case '|': tokens.Add(new Token(T.Pipe, "|", null, i++)); continue;
                    case '!': tokens.Add(new Token(T.Not, "!", null, i++)); continue;
                    case '@': tokens.Add(new Token(T.Current, "@", null, i++)); continue;
                    case '&': tokens.Add(new Token(T.Expref, "&", null, i++)); continue;
                    case '<' or '>': tokens.Add(new Token(T.Compare, c.ToString(), null, i++)); continue;
                    case '"':
                        {
                            string json = Delimited(s, ref i, '"');
                            string name;
                            try
                            {
                                name = JsonSerializer.Deserialize<string>("\"" + json + "\"")!;
                            }
                            catch (JsonException)
                            {
                                throw new JmesPathException($"invalid JMESPath '{s}': bad escape in a quoted name");
                            }
                            tokens.Add(new Token(T.Quoted, name, null, start));
                            continue;
                        }
                    case '\'':
                        {
                            string raw = Delimited(s, ref i, '\'').Replace("\\'", "'", StringComparison.Ordinal);
                            tokens.Add(new Token(T.Literal, raw, raw, start));
                            continue;
                        }
                    case '`':
                        {
                            string json = Delimited(s, ref i, '`').Replace("\\`", "`", StringComparison.Ordinal);
                            object? value;
                            try
                            {
                                using var doc = JsonDocument.Parse(json);
                                value = FromJson(doc.RootElement);
                            }
                            catch (JsonException)
                            {
                                value = json.Trim(); // the legacy form: an unquoted string literal
                            }
                            tokens.Add(new Token(T.Literal, json, value, start));
                            continue;
                        }
                }
                throw new JmesPathException($"invalid JMESPath '{s}': unexpected character '{c}' at {i}");
            }
            tokens.Add(new Token(T.Eof, "end", null, s.Length));
            return tokens;
        }

        private static string Delimited(string s, ref int i, char quote)
        {
            var sb = new StringBuilder();
            i++;
            while (i < s.Length && s[i] != quote)
            {
                if (s[i] == '\\' && i + 1 < s.Length)
                {
                    sb.Append(s[i]).Append(s[i + 1]);
                    i += 2;
                    continue;
                }
                sb.Append(s[i++]);
            }
            if (i >= s.Length)
            {
                throw new JmesPathException($"invalid JMESPath '{s}': unterminated {quote}");
            }
            i++;
            return sb.ToString();
        }
    }
}
