using System.Collections;
using System.Globalization;
using System.Text;

namespace GitOpsSec.Applications;

/// <summary>A template uses something the offline renderer does not implement; the chart is listed as not rendered.</summary>
internal sealed class TemplateNotSupportedException : Exception
{
    public TemplateNotSupportedException(string message) : base(message) { }
}

/// <summary>
/// The part of Go's text/template and Helm's functions that app-of-apps charts use, so that the Applications such a
/// chart makes are known offline: actions with trim markers, pipelines, variables, if/else, range, with, comments, and
/// the functions quote, squote, default, printf, toYaml, nindent, indent, upper, lower, trim, replace, required,
/// toString, eq, ne, not, and, or, empty, hasKey, len, index, print, list, dict and get. Anything else (define,
/// include, tpl, lookup, other functions) raises <see cref="TemplateNotSupportedException"/>: the chart is not
/// guessed at. Output and loops are bounded, so a hostile chart cannot make it run long or grow without end.
/// </summary>
internal static class GoTemplate
{
    private const int MaxOutput = 4 * 1024 * 1024;
    private const int MaxSteps = 1_000_000;

    public static string Render(string template, object? data)
    {
        var nodes = Parse(Lex(template));
        var state = new State(data);
        var sb = new StringBuilder();
        Execute(nodes, data, state, sb);
        return sb.ToString();
    }

    // ---- lexing: text and actions, with {{- and -}} trimming ----------------------------------------------

    private abstract record Piece;
    private sealed record TextPiece(string Text) : Piece;
    private sealed record ActionPiece(string Code) : Piece;

    private static List<Piece> Lex(string text)
    {
        var pieces = new List<Piece>();
        int i = 0;
        bool trimNext = false;
        while (i < text.Length)
        {
            int open = text.IndexOf("{{", i, StringComparison.Ordinal);
            string chunk = open < 0 ? text[i..] : text[i..open];
            if (trimNext)
            {
                chunk = chunk.TrimStart(' ', '\t', '\r', '\n');
            }
            if (open < 0)
            {
                pieces.Add(new TextPiece(chunk));
                break;
            }
            int close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new TemplateNotSupportedException("an action is not closed");
            }
            string code = text[(open + 2)..close];
            if (code.StartsWith("- ", StringComparison.Ordinal) || code == "-" || code.StartsWith("-\n", StringComparison.Ordinal) || code.StartsWith("-\t", StringComparison.Ordinal))
            {
                chunk = chunk.TrimEnd(' ', '\t', '\r', '\n');
                code = code[1..];
            }
            trimNext = code.EndsWith(" -", StringComparison.Ordinal) || code.EndsWith("\n-", StringComparison.Ordinal) || code.EndsWith("\t-", StringComparison.Ordinal);
            if (trimNext)
            {
                code = code[..^1];
            }
            pieces.Add(new TextPiece(chunk));
            code = code.Trim();
            if (!(code.StartsWith("/*", StringComparison.Ordinal) && code.EndsWith("*/", StringComparison.Ordinal)))
            {
                pieces.Add(new ActionPiece(code));
            }
            i = close + 2;
        }
        return pieces;
    }

    // ---- parsing into a tree -------------------------------------------------------------------------------

    private abstract record Node;
    private sealed record Text(string Value) : Node;
    private sealed record Output(Pipeline Pipe) : Node;
    private sealed record Branch(string Kind, Pipeline Pipe, List<Node> Then, List<Node> Else, string[] Vars) : Node;

    /// <summary>A pipeline: optional variable declaration (:=) or assignment (=), then commands joined by |.</summary>
    private sealed record Pipeline(string? Variable, bool Declare, List<List<Token>> Commands);

    private static List<Node> Parse(List<Piece> pieces)
    {
        int i = 0;
        var nodes = ParseList(pieces, ref i, out string? end);
        if (end is not null)
        {
            throw new TemplateNotSupportedException($"unexpected {{{{{end}}}}}");
        }
        return nodes;
    }

    private static List<Node> ParseList(List<Piece> pieces, ref int i, out string? terminator)
    {
        var nodes = new List<Node>();
        while (i < pieces.Count)
        {
            Piece piece = pieces[i++];
            if (piece is TextPiece t)
            {
                nodes.Add(new Text(t.Text));
                continue;
            }
            string code = ((ActionPiece)piece).Code;
            string word = code.Split(new[] { ' ', '\t', '\n' }, 2)[0];
            switch (word)
            {
                case "end":
                    terminator = "end";
                    return nodes;
                case "else":
                    terminator = code;
                    return nodes;
                case "if":
                case "with":
                case "range":
                    nodes.Add(ParseBranch(word, code[word.Length..].Trim(), pieces, ref i));
                    break;
                case "define":
                case "template":
                case "block":
                case "break":
                case "continue":
                    throw new TemplateNotSupportedException($"'{word}' is not rendered offline");
                default:
                    nodes.Add(new Output(ParsePipeline(code)));
                    break;
            }
        }
        terminator = null;
        return nodes;
    }

    private static Branch ParseBranch(string kind, string rest, List<Piece> pieces, ref int i)
    {
        string[] vars = Array.Empty<string>();
        if (kind == "range" && rest.Contains(":=", StringComparison.Ordinal))
        {
            int at = rest.IndexOf(":=", StringComparison.Ordinal);
            vars = rest[..at].Split(',').Select(v => v.Trim()).ToArray();
            rest = rest[(at + 2)..].Trim();
        }
        Pipeline pipe = ParsePipeline(rest);
        List<Node> then = ParseList(pieces, ref i, out string? terminator);
        List<Node> otherwise = new();
        if (terminator is not null && terminator.StartsWith("else", StringComparison.Ordinal))
        {
            string elseRest = terminator[4..].Trim();
            if (elseRest.StartsWith("if ", StringComparison.Ordinal) || elseRest.StartsWith("with ", StringComparison.Ordinal))
            {
                string nested = elseRest.Split(' ', 2)[0];
                // else if / else with: the nested branch ends at the same {{end}}.
                otherwise.Add(ParseBranch(nested, elseRest[nested.Length..].Trim(), pieces, ref i));
                return new Branch(kind, pipe, then, otherwise, vars);
            }
            otherwise = ParseList(pieces, ref i, out terminator);
        }
        if (terminator != "end")
        {
            throw new TemplateNotSupportedException($"{{{{{kind}}}}} without {{{{end}}}}");
        }
        return new Branch(kind, pipe, then, otherwise, vars);
    }

    private sealed record Token(string Kind, string Value);

    private static Pipeline ParsePipeline(string code)
    {
        var tokens = Tokenize(code);
        string? variable = null;
        bool declare = false;
        if (tokens.Count >= 2 && tokens[0].Kind == "var" && tokens[1].Kind is ":=" or "=")
        {
            variable = tokens[0].Value;
            declare = tokens[1].Kind == ":=";
            tokens = tokens.Skip(2).ToList();
        }
        var commands = new List<List<Token>> { new() };
        int depth = 0;
        foreach (Token t in tokens)
        {
            depth += t.Kind == "(" ? 1 : t.Kind == ")" ? -1 : 0;
            if (t.Kind == "|" && depth == 0)
            {
                commands.Add(new List<Token>());
            }
            else
            {
                commands[^1].Add(t);
            }
        }
        if (commands.Any(c => c.Count == 0))
        {
            throw new TemplateNotSupportedException($"empty command in '{code}'");
        }
        return new Pipeline(variable, declare, commands);
    }

    private static List<Token> Tokenize(string code)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < code.Length)
        {
            char c = code[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < code.Length && code[i] != '"')
                {
                    if (code[i] == '\\' && i + 1 < code.Length)
                    {
                        i++;
                        sb.Append(code[i] switch { 'n' => '\n', 't' => '\t', _ => code[i] });
                    }
                    else
                    {
                        sb.Append(code[i]);
                    }
                    i++;
                }
                i++;
                tokens.Add(new Token("string", sb.ToString()));
            }
            else if (c == '`')
            {
                int end = code.IndexOf('`', i + 1);
                if (end < 0)
                {
                    throw new TemplateNotSupportedException("unterminated raw string");
                }
                tokens.Add(new Token("string", code[(i + 1)..end]));
                i = end + 1;
            }
            else if (c is '(' or ')' or '|')
            {
                tokens.Add(new Token(c.ToString(), c.ToString()));
                i++;
            }
            else if (c == ':' && i + 1 < code.Length && code[i + 1] == '=')
            {
                tokens.Add(new Token(":=", ":="));
                i += 2;
            }
            else if (c == '=')
            {
                tokens.Add(new Token("=", "="));
                i++;
            }
            else
            {
                int start = i;
                while (i < code.Length && !char.IsWhiteSpace(code[i]) && code[i] is not ('(' or ')' or '|' or '"'))
                {
                    if (code[i] == ':' && i + 1 < code.Length && code[i + 1] == '=')
                    {
                        break;
                    }
                    i++;
                }
                string word = code[start..i];
                tokens.Add(new Token(word[0] == '$' ? "var" : word[0] == '.' ? "field" : char.IsDigit(word[0]) || word[0] == '-' ? "number" : "ident", word));
            }
        }
        return tokens;
    }

    // ---- evaluation ----------------------------------------------------------------------------------------

    private sealed class State
    {
        public State(object? root)
        {
            Variables.Add(new Dictionary<string, object?> { ["$"] = root });
        }

        public List<Dictionary<string, object?>> Variables { get; } = new();
        public int Steps;

        public object? Get(string name)
        {
            for (int i = Variables.Count - 1; i >= 0; i--)
            {
                if (Variables[i].TryGetValue(name, out object? value))
                {
                    return value;
                }
            }
            throw new TemplateNotSupportedException($"undefined variable {name}");
        }

        public void Set(string name, object? value)
        {
            for (int i = Variables.Count - 1; i >= 0; i--)
            {
                if (Variables[i].ContainsKey(name))
                {
                    Variables[i][name] = value;
                    return;
                }
            }
            throw new TemplateNotSupportedException($"undefined variable {name}");
        }
    }

    private static void Execute(List<Node> nodes, object? dot, State state, StringBuilder sb)
    {
        foreach (Node node in nodes)
        {
            if (++state.Steps > MaxSteps || sb.Length > MaxOutput)
            {
                throw new TemplateNotSupportedException("the template runs too long or writes too much");
            }
            switch (node)
            {
                case Text t:
                    sb.Append(t.Value);
                    break;
                case Output o:
                    object? value = Run(o.Pipe, dot, state);
                    if (o.Pipe.Variable is null)
                    {
                        sb.Append(Format(value));
                    }
                    break;
                case Branch b:
                    ExecuteBranch(b, dot, state, sb);
                    break;
            }
        }
    }

    private static void ExecuteBranch(Branch b, object? dot, State state, StringBuilder sb)
    {
        object? value = Run(b.Pipe, dot, state);
        state.Variables.Add(new Dictionary<string, object?>());
        try
        {
            if (b.Kind == "range")
            {
                var items = new List<(object? Key, object? Value)>();
                if (value is IDictionary map)
                {
                    foreach (object key in map.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal))
                    {
                        items.Add((key, map[key]));
                    }
                }
                else if (value is IList list)
                {
                    for (int i = 0; i < list.Count; i++)
                    {
                        items.Add((i, list[i]));
                    }
                }
                else if (value is long n)
                {
                    for (long i = 0; i < Math.Min(n, MaxSteps); i++)
                    {
                        items.Add((i, i));
                    }
                }
                else if (value is not null)
                {
                    throw new TemplateNotSupportedException("range over a value that is not a list or map");
                }
                foreach (var (key, item) in items)
                {
                    if (b.Vars.Length == 1)
                    {
                        state.Variables[^1][b.Vars[0]] = item;
                    }
                    else if (b.Vars.Length == 2)
                    {
                        state.Variables[^1][b.Vars[0]] = key;
                        state.Variables[^1][b.Vars[1]] = item;
                    }
                    Execute(b.Then, item, state, sb);
                }
                if (items.Count == 0)
                {
                    Execute(b.Else, dot, state, sb);
                }
            }
            else if (Truthy(value))
            {
                Execute(b.Then, b.Kind == "with" ? value : dot, state, sb);
            }
            else
            {
                Execute(b.Else, dot, state, sb);
            }
        }
        finally
        {
            state.Variables.RemoveAt(state.Variables.Count - 1);
        }
    }

    private static object? Run(Pipeline pipe, object? dot, State state)
    {
        object? value = null;
        bool first = true;
        foreach (List<Token> command in pipe.Commands)
        {
            value = RunCommand(command, dot, state, first ? null : new[] { value }, first);
            first = false;
        }
        if (pipe.Variable is not null)
        {
            if (pipe.Declare)
            {
                state.Variables[^1][pipe.Variable] = value;
            }
            else
            {
                state.Set(pipe.Variable, value);
            }
        }
        return value;
    }

    private static object? RunCommand(List<Token> tokens, object? dot, State state, object?[]? piped, bool first)
    {
        int i = 0;
        var operands = new List<object?>();
        string? function = tokens[0].Kind == "ident" && tokens[0].Value is not ("true" or "false" or "nil") ? tokens[0].Value : null;
        if (function is not null)
        {
            i = 1;
        }
        while (i < tokens.Count)
        {
            operands.Add(Operand(tokens, ref i, dot, state));
        }
        if (function is null)
        {
            if (operands.Count != 1 || !first)
            {
                throw new TemplateNotSupportedException("a value cannot take arguments");
            }
            return operands[0];
        }
        if (piped is not null)
        {
            operands.AddRange(piped);
        }
        return Call(function, operands);
    }

    private static object? Operand(List<Token> tokens, ref int i, object? dot, State state)
    {
        Token t = tokens[i++];
        switch (t.Kind)
        {
            case "string":
                return t.Value;
            case "number":
                if (long.TryParse(t.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n))
                {
                    return n;
                }
                return double.TryParse(t.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d
                    : throw new TemplateNotSupportedException($"not a number: {t.Value}");
            case "ident" when t.Value is "true" or "false":
                return t.Value == "true";
            case "ident" when t.Value == "nil":
                return null;
            case "field":
                return Walk(dot, t.Value);
            case "var":
                int dotAt = t.Value.IndexOf('.');
                object? root = state.Get(dotAt < 0 ? t.Value : t.Value[..dotAt]);
                return dotAt < 0 ? root : Walk(root, t.Value[dotAt..]);
            case "(":
                int depth = 1, start = i;
                while (i < tokens.Count && depth > 0)
                {
                    depth += tokens[i].Kind == "(" ? 1 : tokens[i].Kind == ")" ? -1 : 0;
                    i++;
                }
                var inner = tokens.GetRange(start, i - start - 1);
                object? value = null;
                bool first = true;
                foreach (var command in Split(inner))
                {
                    value = RunCommand(command, dot, state, first ? null : new[] { value }, first);
                    first = false;
                }
                // (pipeline).field
                if (i < tokens.Count && tokens[i].Kind == "field" && tokens[i - 1].Kind == ")")
                {
                    value = Walk(value, tokens[i++].Value);
                }
                return value;
            default:
                throw new TemplateNotSupportedException($"unexpected '{t.Value}'");
        }
    }

    private static IEnumerable<List<Token>> Split(List<Token> tokens)
    {
        var current = new List<Token>();
        int depth = 0;
        foreach (Token t in tokens)
        {
            depth += t.Kind == "(" ? 1 : t.Kind == ")" ? -1 : 0;
            if (t.Kind == "|" && depth == 0)
            {
                yield return current;
                current = new List<Token>();
            }
            else
            {
                current.Add(t);
            }
        }
        yield return current;
    }

    /// <summary>.a.b on maps; a missing key is nil (Helm renders it as nothing).</summary>
    private static object? Walk(object? value, string path)
    {
        foreach (string part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            value = value is IDictionary map && map.Contains(part) ? map[part] : null;
        }
        return value;
    }

    private static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        long n => n != 0,
        double d => d != 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    private static string Format(object? v) => v switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        double d => d.ToString(CultureInfo.InvariantCulture),
        long n => n.ToString(CultureInfo.InvariantCulture),
        IDictionary or IList => "map[...]",
        _ => v.ToString() ?? string.Empty,
    };

    private static object? Call(string name, List<object?> a)
    {
        string S(int i) => i < a.Count ? Format(a[i]) : string.Empty;
        switch (name)
        {
            case "quote":
                return string.Join(' ', a.Select(x => "\"" + Format(x).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""));
            case "squote":
                return string.Join(' ', a.Select(x => "'" + Format(x) + "'"));
            case "default":
                return a.Count < 2 || !Truthy(a[1]) ? a.Count > 0 ? a[0] : null : a[1];
            case "required":
                return a.Count >= 2 && a[1] is not null ? a[1] : throw new TemplateNotSupportedException($"required value missing: {S(0)}");
            case "printf":
                return Printf(S(0), a.Skip(1).ToList());
            case "print":
                return string.Concat(a.Select(Format));
            case "toString":
                return S(0);
            case "upper":
                return S(0).ToUpperInvariant();
            case "lower":
                return S(0).ToLowerInvariant();
            case "trim":
                return S(0).Trim();
            case "replace":
                return S(2).Replace(S(0), S(1), StringComparison.Ordinal);
            case "indent":
            case "nindent":
                int width = a.Count > 0 && a[0] is long w ? (int)Math.Clamp(w, 0, 256) : a.Count > 0 && a[0] is double dw ? (int)Math.Clamp(dw, 0, 256) : 0;
                string pad = new(' ', width);
                string indented = string.Join('\n', S(1).Split('\n').Select(l => pad + l));
                return name == "nindent" ? "\n" + indented : indented;
            case "toYaml":
                return ToYaml(a.Count > 0 ? a[0] : null, 0).TrimEnd('\n');
            case "eq":
                return a.Count >= 2 && a.Skip(1).Any(x => Format(x) == Format(a[0]) && (x is null) == (a[0] is null));
            case "ne":
                return !(a.Count >= 2 && Format(a[0]) == Format(a[1]));
            case "not":
                return !Truthy(a.Count > 0 ? a[0] : null);
            case "and":
                return a.FirstOrDefault(x => !Truthy(x)) ?? (a.Count > 0 ? a[^1] : null);
            case "or":
                return a.FirstOrDefault(Truthy) ?? (a.Count > 0 ? a[^1] : null);
            case "empty":
                return !Truthy(a.Count > 0 ? a[0] : null);
            case "hasKey":
                return a.Count >= 2 && a[0] is IDictionary m && m.Contains(S(1));
            case "get":
                return a.Count >= 2 && a[0] is IDictionary g && g.Contains(S(1)) ? g[S(1)] : string.Empty;
            case "len":
                return a.Count > 0 && a[0] is ICollection c ? (long)c.Count : (long)S(0).Length;
            case "index":
                object? v = a.Count > 0 ? a[0] : null;
                foreach (object? key in a.Skip(1))
                {
                    v = v is IList l && key is long k && k >= 0 && k < l.Count ? l[(int)k] : v is IDictionary d && key is not null && d.Contains(Format(key)) ? d[Format(key)] : null;
                }
                return v;
            case "list":
                return a.ToList();
            case "dict":
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (int i = 0; i + 1 < a.Count; i += 2)
                {
                    dict[S(i)] = a[i + 1];
                }
                return dict;
            default:
                throw new TemplateNotSupportedException($"the function '{name}' is not rendered offline");
        }
    }

    private static string Printf(string format, List<object?> args)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            char verb = format[++i];
            if (verb == '%')
            {
                sb.Append('%');
                continue;
            }
            object? arg = next < args.Count ? args[next++] : null;
            sb.Append(verb == 'q' ? "\"" + Format(arg) + "\"" : Format(arg));
        }
        return sb.ToString();
    }

    /// <summary>YAML for plain values, keys sorted as Go's yaml writes them; strings quoted when they could read as something else.</summary>
    private static string ToYaml(object? value, int indent)
    {
        string pad = new(' ', indent);
        var sb = new StringBuilder();
        switch (value)
        {
            case IDictionary map:
                foreach (object key in map.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal))
                {
                    object? item = map[key];
                    if (item is IDictionary { Count: > 0 } or IList { Count: > 0 })
                    {
                        sb.Append(pad).Append(Scalar(key.ToString())).Append(":\n").Append(ToYaml(item, indent + 2));
                    }
                    else
                    {
                        sb.Append(pad).Append(Scalar(key.ToString())).Append(": ").Append(Scalar(item)).Append('\n');
                    }
                }
                break;
            case IList list:
                foreach (object? item in list)
                {
                    if (item is IDictionary or IList)
                    {
                        string inner = ToYaml(item, indent + 2);
                        sb.Append(pad).Append("- ").Append(inner.TrimStart()).Append(inner.EndsWith('\n') ? string.Empty : "\n");
                    }
                    else
                    {
                        sb.Append(pad).Append("- ").Append(Scalar(item)).Append('\n');
                    }
                }
                break;
            default:
                sb.Append(pad).Append(Scalar(value)).Append('\n');
                break;
        }
        return sb.ToString();
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long or double => Format(value),
        IDictionary => "{}",
        IList => "[]",
        _ => Plain(Format(value)) ? Format(value) : System.Text.Json.JsonSerializer.Serialize(Format(value)),
    };

    private static bool Plain(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/') && !char.IsDigit(s[0]) && s[0] != '-' &&
        s is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off" or "y" or "n" or "~");
}
