using System.Globalization;
using System.Text;

namespace GitOpsSec.Cel;

/// <summary>A CEL syntax error, or a reference to a function CEL does not know: the position is a 0-based character offset.</summary>
public sealed class CelCompileException : Exception
{
    public CelCompileException(string message, int position) : base(message) => Position = position;

    public int Position { get; }
}

/// <summary>The parsed expression tree. Positions are character offsets into the source.</summary>
internal abstract record CelNode(int Pos);

internal sealed record CelLiteral(object? Value, int Pos) : CelNode(Pos);

internal sealed record CelIdent(string Name, int Pos) : CelNode(Pos);

/// <summary>operand.field; Test: inside has(); Optional: operand.?field.</summary>
internal sealed record CelSelect(CelNode Operand, string Field, bool Test, bool Optional, int Pos) : CelNode(Pos);

/// <summary>A function call, global (Target null) or receiver-style (target.f(args)); operators are calls too (_+_, _&amp;&amp;_, ...).</summary>
internal sealed record CelCall(CelNode? Target, string Function, CelNode[] Args, int Pos) : CelNode(Pos);

internal sealed record CelIndex(CelNode Operand, CelNode Key, bool Optional, int Pos) : CelNode(Pos);

internal sealed record CelList(CelNode[] Items, bool[] OptionalItems, int Pos) : CelNode(Pos);

internal sealed record CelMap((CelNode Key, CelNode Value, bool Optional)[] Entries, int Pos) : CelNode(Pos);

/// <summary>A macro over a list or map: all, exists, exists_one, map, filter, and the two-variable forms.</summary>
internal sealed record CelComprehension(string Macro, CelNode Range, string Var, string? Var2, CelNode? Filter, CelNode Body, int Pos) : CelNode(Pos);

/// <summary>A message construction (Type{field: value}): parsed so that the error can say what is not supported.</summary>
internal sealed record CelMessage(string Type, (string Field, CelNode Value)[] Fields, int Pos) : CelNode(Pos);

/// <summary>
/// The CEL grammar (cel-spec langdef.md): conditional, ||, &amp;&amp;, relations (including in), + -, * / %, unary ! -,
/// member selection, optional selection (.? and [?]), calls, indexing, list and map literals, and the literal
/// syntax (decimal and hex ints, u-suffixed uints, doubles, quoted, raw, triple-quoted and bytes strings with
/// C escapes). Macros (has, all, exists, exists_one, map, filter) become comprehension nodes. Nesting is
/// bounded (deeply nested input is a compile error, never a stack overflow).
/// </summary>
internal sealed class CelParser
{
    private const int MaxDepth = 250;

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    };

    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _i;
    private int _depth;

    private CelParser(string text)
    {
        _text = text;
        _tokens = Lex(text);
    }

    public static CelNode Parse(string text)
    {
        var parser = new CelParser(text);
        CelNode node = parser.Expr();
        if (parser.Peek.Kind != TK.Eof)
        {
            throw new CelCompileException($"unexpected '{parser.Peek.Text}'", parser.Peek.Pos);
        }
        return node;
    }

    // ---- lexer -------------------------------------------------------------------------------

    private enum TK { Eof, Ident, Int, Uint, Double, String, Bytes, Punct }

    private readonly record struct Token(TK Kind, string Text, object? Value, int Pos);

    private Token Peek => _tokens[_i];

    private Token Next() => _tokens[_i++];

    private bool Accept(string punct)
    {
        if (Peek.Kind == TK.Punct && Peek.Text == punct)
        {
            _i++;
            return true;
        }
        return false;
    }

    private Token Expect(string punct)
    {
        if (!Accept(punct))
        {
            throw new CelCompileException($"expected '{punct}' but found '{(Peek.Kind == TK.Eof ? "end of expression" : Peek.Text)}'", Peek.Pos);
        }
        return _tokens[_i - 1];
    }

    private static readonly string[] Puncts =
        { "&&", "||", "==", "!=", "<=", ">=", ".?", "[?", "<", ">", "+", "-", "*", "/", "%", "!", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}" };

    private static List<Token> Lex(string s)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (true)
        {
            while (i < s.Length)
            {
                if (char.IsWhiteSpace(s[i]))
                {
                    i++;
                }
                else if (s[i] == '/' && i + 1 < s.Length && s[i + 1] == '/')
                {
                    while (i < s.Length && s[i] != '\n')
                    {
                        i++;
                    }
                }
                else
                {
                    break;
                }
            }
            if (i >= s.Length)
            {
                tokens.Add(new Token(TK.Eof, string.Empty, null, i));
                return tokens;
            }
            int start = i;
            char c = s[i];
            // String and bytes literals, with r/b prefixes in either order.
            int p = i;
            bool raw = false, bytes = false;
            while (p < s.Length && p - i < 2 && (s[p] is 'r' or 'R' or 'b' or 'B'))
            {
                if (s[p] is 'r' or 'R') raw = true; else bytes = true;
                p++;
            }
            if (p < s.Length && (s[p] == '"' || s[p] == '\'') && (p == i || IsPrefix(s[i..p])))
            {
                var (text, end) = ReadString(s, p, raw, bytes);
                tokens.Add(bytes ? new Token(TK.Bytes, s[start..end], text, start) : new Token(TK.String, s[start..end], text, start));
                i = end;
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
            {
                i = ReadNumber(s, i, tokens);
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }
                tokens.Add(new Token(TK.Ident, s[start..i], null, start));
                continue;
            }
            string? punct = Puncts.FirstOrDefault(pu => string.CompareOrdinal(s, i, pu, 0, pu.Length) == 0);
            if (punct is null)
            {
                throw new CelCompileException($"unexpected character '{c}'", i);
            }
            tokens.Add(new Token(TK.Punct, punct, null, i));
            i += punct.Length;
        }
    }

    private static bool IsPrefix(string p) => p.ToLowerInvariant() is "r" or "b" or "rb" or "br";

    private static int ReadNumber(string s, int i, List<Token> tokens)
    {
        int start = i;
        if (s[i] == '0' && i + 1 < s.Length && (s[i + 1] is 'x' or 'X'))
        {
            i += 2;
            while (i < s.Length && char.IsAsciiHexDigit(s[i]))
            {
                i++;
            }
            string hex = s[(start + 2)..i];
            bool unsigned = i < s.Length && (s[i] is 'u' or 'U');
            if (hex.Length == 0 || !ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hv))
            {
                throw new CelCompileException($"invalid hex literal '{s[start..i]}'", start);
            }
            if (unsigned)
            {
                tokens.Add(new Token(TK.Uint, s[start..(i + 1)], hv, start));
                return i + 1;
            }
            tokens.Add(new Token(TK.Int, s[start..i], hv, start));
            return i;
        }
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }
        bool isDouble = false;
        if (i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }
        if (i < s.Length && (s[i] is 'e' or 'E'))
        {
            int e = i + 1;
            if (e < s.Length && (s[e] is '+' or '-'))
            {
                e++;
            }
            if (e < s.Length && char.IsAsciiDigit(s[e]))
            {
                isDouble = true;
                i = e;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
            }
        }
        string text = s[start..i];
        if (isDouble)
        {
            tokens.Add(new Token(TK.Double, text, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), start));
            return i;
        }
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v))
        {
            throw new CelCompileException($"integer literal '{text}' is out of range", start);
        }
        if (i < s.Length && (s[i] is 'u' or 'U'))
        {
            tokens.Add(new Token(TK.Uint, text + s[i], v, start));
            return i + 1;
        }
        tokens.Add(new Token(TK.Int, text, v, start));
        return i;
    }

    /// <summary>A quoted literal starting at <paramref name="q"/>: its value (string, or byte[] for bytes) and the end offset.</summary>
    private static (object Value, int End) ReadString(string s, int q, bool raw, bool bytes)
    {
        char quote = s[q];
        bool triple = q + 2 < s.Length && s[q + 1] == quote && s[q + 2] == quote;
        int i = q + (triple ? 3 : 1);
        var chars = new StringBuilder();
        var octets = new List<byte>();
        void AddChar(int codePoint)
        {
            if (bytes)
            {
                octets.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(codePoint)));
            }
            else
            {
                chars.Append(char.ConvertFromUtf32(codePoint));
            }
        }
        while (true)
        {
            if (i >= s.Length)
            {
                throw new CelCompileException("unterminated string literal", q);
            }
            if (triple ? (s[i] == quote && i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote) : s[i] == quote)
            {
                i += triple ? 3 : 1;
                break;
            }
            if (!triple && (s[i] == '\n' || s[i] == '\r'))
            {
                throw new CelCompileException("newline in a single-quoted string literal", i);
            }
            if (s[i] == '\\' && !raw)
            {
                if (i + 1 >= s.Length)
                {
                    throw new CelCompileException("unterminated escape", i);
                }
                char e = s[i + 1];
                i += 2;
                switch (e)
                {
                    case 'a': AddChar(7); break;
                    case 'b': AddChar(8); break;
                    case 'f': AddChar(12); break;
                    case 'n': AddChar(10); break;
                    case 'r': AddChar(13); break;
                    case 't': AddChar(9); break;
                    case 'v': AddChar(11); break;
                    case '\\': AddChar('\\'); break;
                    case '\'': AddChar('\''); break;
                    case '"': AddChar('"'); break;
                    case '`': AddChar('`'); break;
                    case '?': AddChar('?'); break;
                    case 'x' or 'X':
                        {
                            int v = Hex(s, i, 2);
                            if (bytes) octets.Add((byte)v); else AddChar(v);
                            i += 2;
                            break;
                        }
                    case 'u' or 'U':
                        {
                            if (bytes)
                            {
                                throw new CelCompileException("\\u escapes are not allowed in bytes literals", i - 2);
                            }
                            int n = e == 'u' ? 4 : 8;
                            int v = Hex(s, i, n);
                            if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                            {
                                throw new CelCompileException("invalid unicode escape", i - 2);
                            }
                            AddChar(v);
                            i += n;
                            break;
                        }
                    case >= '0' and <= '3':
                        {
                            if (i + 1 >= s.Length || s[i] is < '0' or > '7' || s[i + 1] is < '0' or > '7')
                            {
                                throw new CelCompileException("invalid octal escape", i - 2);
                            }
                            int v = ((e - '0') * 64) + ((s[i] - '0') * 8) + (s[i + 1] - '0');
                            if (bytes) octets.Add((byte)v); else AddChar(v);
                            i += 2;
                            break;
                        }
                    default:
                        throw new CelCompileException($"invalid escape '\\{e}'", i - 2);
                }
                continue;
            }
            int cp = char.ConvertToUtf32(s, i);
            AddChar(cp);
            i += char.IsSurrogatePair(s, i) ? 2 : 1;
        }
        return (bytes ? octets.ToArray() : chars.ToString(), i);
    }

    private static int Hex(string s, int i, int n)
    {
        if (i + n > s.Length || !int.TryParse(s.AsSpan(i, n), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
        {
            throw new CelCompileException("invalid hex escape", i);
        }
        return v;
    }

    // ---- grammar -----------------------------------------------------------------------------

    private CelNode Expr()
    {
        if (++_depth > MaxDepth)
        {
            throw new CelCompileException("expression nested too deeply", Peek.Pos);
        }
        try
        {
            CelNode cond = Or();
            if (Accept("?"))
            {
                CelNode t = Or();
                Expect(":");
                CelNode f = Expr();
                return new CelCall(null, "_?_:_", new[] { cond, t, f }, cond.Pos);
            }
            return cond;
        }
        finally
        {
            _depth--;
        }
    }

    private CelNode Or()
    {
        CelNode left = And();
        while (Peek.Kind == TK.Punct && Peek.Text == "||")
        {
            int pos = Next().Pos;
            left = new CelCall(null, "_||_", new[] { left, And() }, pos);
        }
        return left;
    }

    private CelNode And()
    {
        CelNode left = Relation();
        while (Peek.Kind == TK.Punct && Peek.Text == "&&")
        {
            int pos = Next().Pos;
            left = new CelCall(null, "_&&_", new[] { left, Relation() }, pos);
        }
        return left;
    }

    private CelNode Relation()
    {
        CelNode left = Addition();
        while (true)
        {
            string? op = Peek.Kind == TK.Punct && Peek.Text is "<" or "<=" or ">" or ">=" or "==" or "!=" ? Peek.Text
                : Peek.Kind == TK.Ident && Peek.Text == "in" ? "in" : null;
            if (op is null)
            {
                return left;
            }
            int pos = Next().Pos;
            left = new CelCall(null, op == "in" ? "@in" : $"_{op}_", new[] { left, Addition() }, pos);
        }
    }

    private CelNode Addition()
    {
        CelNode left = Multiplication();
        while (Peek.Kind == TK.Punct && Peek.Text is "+" or "-")
        {
            Token op = Next();
            left = new CelCall(null, $"_{op.Text}_", new[] { left, Multiplication() }, op.Pos);
        }
        return left;
    }

    private CelNode Multiplication()
    {
        CelNode left = Unary();
        while (Peek.Kind == TK.Punct && Peek.Text is "*" or "/" or "%")
        {
            Token op = Next();
            left = new CelCall(null, $"_{op.Text}_", new[] { left, Unary() }, op.Pos);
        }
        return left;
    }

    private CelNode Unary()
    {
        if (Peek.Kind == TK.Punct && Peek.Text == "!")
        {
            int pos = Next().Pos;
            return new CelCall(null, "!_", new[] { Unary() }, pos);
        }
        if (Peek.Kind == TK.Punct && Peek.Text == "-")
        {
            int pos = Next().Pos;
            // -9223372036854775808 is an int literal, not the negation of an out-of-range one.
            if (Peek.Kind == TK.Int && _tokens[_i + 1] is var after && !(after.Kind == TK.Punct && after.Text is "." or "[" or ".?" or "[?"))
            {
                Token lit = Next();
                ulong magnitude = (ulong)lit.Value!;
                if (magnitude > 9223372036854775808UL)
                {
                    throw new CelCompileException($"integer literal '-{lit.Text}' is out of range", pos);
                }
                return Member(new CelLiteral(magnitude == 9223372036854775808UL ? long.MinValue : -(long)magnitude, pos));
            }
            return new CelCall(null, "-_", new[] { Unary() }, pos);
        }
        return Member(Primary());
    }

    private CelNode Member(CelNode operand)
    {
        while (true)
        {
            if (Peek.Kind == TK.Punct && Peek.Text is "." or ".?")
            {
                bool optional = Next().Text == ".?";
                Token name = Next();
                if (name.Kind != TK.Ident)
                {
                    throw new CelCompileException($"expected a field name after '.', found '{name.Text}'", name.Pos);
                }
                if (!optional && Accept("("))
                {
                    CelNode[] args = Args(")");
                    operand = Macro(operand, name.Text, args, name.Pos) ?? new CelCall(operand, name.Text, args, name.Pos);
                }
                else
                {
                    operand = new CelSelect(operand, name.Text, false, optional, name.Pos);
                }
            }
            else if (Peek.Kind == TK.Punct && Peek.Text is "[" or "[?")
            {
                Token open = Next();
                CelNode key = Expr();
                Expect("]");
                operand = new CelIndex(operand, key, open.Text == "[?", open.Pos);
            }
            else
            {
                return operand;
            }
        }
    }

    private CelNode[] Args(string close)
    {
        var args = new List<CelNode>();
        if (!Accept(close))
        {
            do
            {
                args.Add(Expr());
            }
            while (Accept(","));
            Expect(close);
        }
        return args.ToArray();
    }

    private CelNode Primary()
    {
        Token t = Next();
        switch (t.Kind)
        {
            case TK.Int:
                {
                    ulong v = (ulong)t.Value!;
                    if (v > long.MaxValue)
                    {
                        throw new CelCompileException($"integer literal '{t.Text}' is out of range", t.Pos);
                    }
                    return new CelLiteral((long)v, t.Pos);
                }
            case TK.Uint:
                return new CelLiteral((ulong)t.Value!, t.Pos);
            case TK.Double:
                return new CelLiteral((double)t.Value!, t.Pos);
            case TK.String:
                return new CelLiteral((string)t.Value!, t.Pos);
            case TK.Bytes:
                return new CelLiteral(new CelBytes((byte[])t.Value!), t.Pos);
            case TK.Ident:
                return Identifier(t);
            case TK.Punct:
                switch (t.Text)
                {
                    case "(":
                        {
                            CelNode inner = Expr();
                            Expect(")");
                            return inner;
                        }
                    case "[":
                        return ListLiteral(t.Pos);
                    case "[?":
                        _i--; // a list literal whose first element is optional: "[" then "?"
                        _tokens[_i] = new Token(TK.Punct, "?", null, t.Pos + 1);
                        return ListLiteral(t.Pos);
                    case "{":
                        return MapLiteral(t.Pos);
                    case ".":
                        {
                            Token name = Next();
                            if (name.Kind != TK.Ident)
                            {
                                throw new CelCompileException("expected an identifier after a leading '.'", name.Pos);
                            }
                            return Identifier(name);
                        }
                }
                break;
        }
        throw new CelCompileException(t.Kind == TK.Eof ? "unexpected end of expression" : $"unexpected '{t.Text}'", t.Pos);
    }

    private CelNode Identifier(Token t)
    {
        switch (t.Text)
        {
            case "true": return new CelLiteral(true, t.Pos);
            case "false": return new CelLiteral(false, t.Pos);
            case "null": return new CelLiteral(null, t.Pos);
        }
        if (Reserved.Contains(t.Text) || t.Text == "in")
        {
            throw new CelCompileException($"'{t.Text}' is a reserved word", t.Pos);
        }
        if (Accept("("))
        {
            CelNode[] args = Args(")");
            if (t.Text == "has")
            {
                if (args.Length != 1 || args[0] is not CelSelect { Optional: false } select)
                {
                    throw new CelCompileException("has() takes one field selection, such as has(object.spec.x)", t.Pos);
                }
                return select with { Test = true };
            }
            return new CelCall(null, t.Text, args, t.Pos);
        }
        // A message construction: Name{field: value} (qualified names arrive as selections and are not constructible here).
        if (Peek.Kind == TK.Punct && Peek.Text == "{" && char.IsUpper(t.Text[0]))
        {
            Next();
            var fields = new List<(string, CelNode)>();
            if (!Accept("}"))
            {
                do
                {
                    if (Peek.Kind == TK.Punct && Peek.Text == "}")
                    {
                        break;
                    }
                    Token field = Next();
                    Expect(":");
                    fields.Add((field.Text, Expr()));
                }
                while (Accept(","));
                Expect("}");
            }
            return new CelMessage(t.Text, fields.ToArray(), t.Pos);
        }
        return new CelIdent(t.Text, t.Pos);
    }

    private CelNode ListLiteral(int pos)
    {
        var items = new List<CelNode>();
        var optional = new List<bool>();
        while (!Accept("]"))
        {
            bool opt = Accept("?");
            items.Add(Expr());
            optional.Add(opt);
            if (!Accept(","))
            {
                Expect("]");
                break;
            }
        }
        return new CelList(items.ToArray(), optional.ToArray(), pos);
    }

    private CelNode MapLiteral(int pos)
    {
        var entries = new List<(CelNode, CelNode, bool)>();
        while (!Accept("}"))
        {
            bool opt = Accept("?");
            CelNode key = Expr();
            Expect(":");
            entries.Add((key, Expr(), opt));
            if (!Accept(","))
            {
                Expect("}");
                break;
            }
        }
        return new CelMap(entries.ToArray(), pos);
    }

    /// <summary>The receiver-style macros; null when the call is an ordinary function.</summary>
    private static CelNode? Macro(CelNode target, string name, CelNode[] args, int pos)
    {
        string Var(CelNode n) => n is CelIdent id ? id.Name
            : throw new CelCompileException($"{name}() needs a variable name as its first argument", n.Pos);
        switch (name)
        {
            case "all" or "exists" or "exists_one" or "existsOne" when args.Length == 2:
                return new CelComprehension(name == "existsOne" ? "exists_one" : name, target, Var(args[0]), null, null, args[1], pos);
            case "all" or "exists" or "exists_one" or "existsOne" when args.Length == 3:
                return new CelComprehension(name == "existsOne" ? "exists_one" : name, target, Var(args[0]), Var(args[1]), null, args[2], pos);
            case "map" when args.Length == 2:
                return new CelComprehension("map", target, Var(args[0]), null, null, args[1], pos);
            case "map" when args.Length == 3:
                return new CelComprehension("map", target, Var(args[0]), null, args[1], args[2], pos);
            case "filter" when args.Length == 2:
                return new CelComprehension("filter", target, Var(args[0]), null, args[1], args[0], pos);
            case "transformList" when args.Length == 3:
                return new CelComprehension("transformList", target, Var(args[0]), Var(args[1]), null, args[2], pos);
            case "transformList" when args.Length == 4:
                return new CelComprehension("transformList", target, Var(args[0]), Var(args[1]), args[2], args[3], pos);
            case "transformMap" when args.Length == 3:
                return new CelComprehension("transformMap", target, Var(args[0]), Var(args[1]), null, args[2], pos);
            case "transformMap" when args.Length == 4:
                return new CelComprehension("transformMap", target, Var(args[0]), Var(args[1]), args[2], args[3], pos);
            case "all" or "exists" or "exists_one" or "map" or "filter":
                throw new CelCompileException($"{name}() takes a variable and an expression", pos);
        }
        return null;
    }
}
