using System.Text;

namespace GitOpsSec.Manifests;

/// <summary>
/// A parser for the plain shape nearly every Kubernetes manifest is written in, building the same tree as
/// <see cref="YamlDocumentReader"/>'s YamlDotNet path (values, styles, lines, columns, document offsets) at a
/// fraction of the cost and with no state shared between threads. It gives up, and the caller parses the text
/// with YamlDotNet, at anything outside that shape or anything YAML would report: tabs, carriage returns,
/// control characters, anchors, aliases, tags, directives, complex keys, merge keys, duplicate keys, multi-line
/// plain or quoted scalars, multi-line flow collections, block scalars with indentation indicators or more
/// indented folded lines, document end markers, and documents near the <see cref="LoadLimits"/>. So it never
/// reports an error itself: every problem is the YamlDotNet path's to report. Each line is scanned a bounded
/// number of times and nesting is bounded by the depth limit, so any input takes linear time.
/// </summary>
/// <remarks>
/// The test that holds it to YamlDotNet (YamlFastPathTests) parses every YAML file of the repository, seeded
/// random documents and seeded mutations of them both ways and compares the trees node by node.
/// </remarks>
internal sealed class YamlFastPath
{
    private readonly string _s;
    private readonly LoadLimits _limits;
    private int _pos;       // the cursor
    private int _ls;        // start of the cursor's line
    private int _line = 1;  // 1-based line of the cursor
    private int _depth;
    private long _nodes;
    private int _keyColon;  // where KeyAhead found the ':' of a plain key

    private YamlFastPath(string text, LoadLimits limits)
    {
        _s = text;
        _limits = limits;
    }

    private sealed class GiveUp : Exception
    {
        public static readonly GiveUp Instance = new();
    }

    /// <summary>The documents of <paramref name="text"/>, as <see cref="YamlDocumentReader.Read"/> yields them; false to use YamlDotNet instead.</summary>
    public static bool TryRead(string text, LoadLimits limits, out List<YamlDocument> documents)
    {
        documents = new List<YamlDocument>();
        if (!AllPlainCharacters(text))
        {
            return false;
        }
        try
        {
            new YamlFastPath(text, limits).ReadStream(documents);
            return true;
        }
        catch (GiveUp)
        {
            documents.Clear();
            return false;
        }
    }

    /// <summary>Only printable characters YamlDotNet reads without a special case: no tab, CR, control, BOM, surrogate or Unicode line break.</summary>
    private static bool AllPlainCharacters(string text)
    {
        foreach (char c in text)
        {
            if (c is (>= ' ' and <= '~') or '\n' or (>= '\u00A0' and <= '\u2027') or (>= '\u202A' and <= '\uD7FF') or (>= '\uE000' and <= '\uFFFD') && c != '\uFEFF')
            {
                continue;
            }
            return false;
        }
        return true;
    }

    private static void Fail() => throw GiveUp.Instance;

    private bool AtEnd => _pos >= _s.Length;
    private char At(int i) => i < _s.Length ? _s[i] : '\n';
    private static bool IsBlank(char c) => c is ' ' or '\n';
    private int Column(int index) => index - _ls + 1;

    private void ReadStream(List<YamlDocument> documents)
    {
        SkipToContent();
        if (!AtEnd && _s[_pos] == '%')
        {
            Fail(); // a directive
        }
        int index = 0;
        bool first = true;
        while (!AtEnd)
        {
            if (IsDocumentMarker("---"))
            {
                _pos += 3;
                SkipSpaces();
                if (!AtEnd && _s[_pos] != '\n' && _s[_pos] != '#')
                {
                    Fail(); // content on the marker's line
                }
                SkipToContent();
            }
            else if (!first)
            {
                Fail();
            }
            first = false;
            if (IsDocumentMarker("..."))
            {
                Fail();
            }
            YNode? root = null;
            int start = 0, end = 0;
            if (!AtEnd && !IsDocumentMarker("---"))
            {
                start = _pos;
                _depth = 0;
                _nodes = 0;
                root = BlockNode(-1, out int scalarEnd);
                // A block collection ends where the next token starts; a flow collection at its closing bracket.
                end = scalarEnd < 0 ? Math.Min(_pos, _s.Length) : root is YScalar ? scalarEnd : scalarEnd - 1;
                if (!AtEnd && !IsDocumentMarker("---"))
                {
                    Fail();
                }
            }
            if (index >= _limits.MaxDocumentsPerFile)
            {
                Fail();
            }
            if (root is not null and not YScalar { IsNull: true })
            {
                documents.Add(new YamlDocument(root, index, start, end));
            }
            index++;
        }
    }

    private bool IsDocumentMarker(string marker) =>
        _pos == _ls && _pos + 3 <= _s.Length && string.CompareOrdinal(_s, _pos, marker, 0, 3) == 0 && IsBlank(At(_pos + 3));

    private void SkipSpaces()
    {
        while (_pos < _s.Length && _s[_pos] == ' ')
        {
            _pos++;
        }
    }

    /// <summary>From the cursor past spaces, a comment, and blank or comment lines, to the next content or the end.</summary>
    private void SkipToContent()
    {
        while (true)
        {
            SkipSpaces();
            if (AtEnd)
            {
                return;
            }
            char c = _s[_pos];
            if (c == '#')
            {
                if (_pos > _ls && _s[_pos - 1] != ' ')
                {
                    Fail();
                }
                int nl = _s.IndexOf('\n', _pos);
                _pos = nl < 0 ? _s.Length : nl;
                continue;
            }
            if (c != '\n')
            {
                return;
            }
            _pos++;
            _ls = _pos;
            _line++;
        }
    }

    /// <summary>Past the rest of a line that must hold nothing but spaces and a comment, then to the next content.</summary>
    private void EndOfLine()
    {
        SkipSpaces();
        if (!AtEnd && _s[_pos] != '\n' && !(_s[_pos] == '#' && _pos > _ls && _s[_pos - 1] == ' '))
        {
            Fail();
        }
        SkipToContent();
    }

    private int Indent => _pos - _ls;

    /// <summary>Whether the next content is indented deeper than a collection at <paramref name="column"/> (a document marker never is).</summary>
    private bool Deeper(int column) => !AtEnd && Indent > column;

    private void Enter()
    {
        if (++_depth > _limits.MaxDepth - 2)
        {
            Fail();
        }
    }

    private void Count()
    {
        if (++_nodes > _limits.MaxNodesPerDocument - 2)
        {
            Fail();
        }
    }

    /// <summary>
    /// A node in block context at the cursor. <paramref name="parent"/> is the column (0-based) of the innermost
    /// block collection, -1 at the root. <paramref name="scalarEnd"/> is where an inline scalar or flow
    /// collection ends, -1 for a block collection (whose end is the next content).
    /// </summary>
    private YNode BlockNode(int parent, out int scalarEnd)
    {
        scalarEnd = -1;
        char c = _s[_pos];
        int column = Indent;
        if (c == '-' && IsBlank(At(_pos + 1)))
        {
            return BlockSequence(column);
        }
        if (KeyAhead())
        {
            return BlockMapping(column);
        }
        if (parent < 0 && c is '|' or '>')
        {
            Fail(); // a block scalar at the root
        }
        return InlineValue(parent, out scalarEnd);
    }

    /// <summary>Whether the cursor's line holds a simple key: a plain or single-line quoted scalar, then ':' and a blank.</summary>
    private bool KeyAhead()
    {
        int i = _pos;
        char c = _s[i];
        if (c is '"' or '\'')
        {
            i = QuotedEnd(i);
            if (i < 0)
            {
                return false;
            }
            while (At(i) == ' ')
            {
                i++;
            }
            return At(i) == ':' && IsBlank(At(i + 1));
        }
        if (!PlainStart(i, flow: false))
        {
            return false;
        }
        for (; i < _s.Length; i++)
        {
            c = _s[i];
            if (c == '\n' || c == '#' && _s[i - 1] == ' ')
            {
                return false;
            }
            if (c is '*' or '&' or '!' && _s[i - 1] == ' ')
            {
                Fail(); // YamlDotNet reads "a *b: c" as one scalar
            }
            if (c == ':' && IsBlank(At(i + 1)))
            {
                if (i - _pos > 1000)
                {
                    Fail(); // longer than a simple key may be
                }
                _keyColon = i;
                return true;
            }
        }
        return false;
    }

    /// <summary>The index past the closing quote of a quoted scalar starting at <paramref name="i"/> on the same line; -1 when it does not close there.</summary>
    private int QuotedEnd(int i)
    {
        char q = _s[i];
        for (i++; i < _s.Length; i++)
        {
            char c = _s[i];
            if (c == '\n')
            {
                return -1;
            }
            if (q == '\'' && c == '\'')
            {
                if (At(i + 1) == '\'')
                {
                    i++;
                    continue;
                }
                return i + 1;
            }
            if (q == '"')
            {
                if (c == '\\')
                {
                    if (At(i + 1) == '\n')
                    {
                        return -1; // an escaped line break continues the scalar on the next line
                    }
                    i++;
                    continue;
                }
                if (c == '"')
                {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    /// <summary>Whether a plain scalar may start at <paramref name="i"/>.</summary>
    private bool PlainStart(int i, bool flow)
    {
        char c = At(i);
        switch (c)
        {
            case '[' or ']' or '{' or '}' or ',' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`' or ' ' or '\n':
                return false;
            case '-' or '?' or ':':
                char next = At(i + 1);
                return c == '-' && !IsBlank(next) && !(flow && next is ',' or '[' or ']' or '{' or '}');
            default:
                return true;
        }
    }

    private YMapping BlockMapping(int column)
    {
        Enter();
        Count();
        var map = new YMapping(_line, column + 1);
        while (true)
        {
            YScalar key = Key();
            if (key.IsPlain && key.Value == "<<")
            {
                Fail();
            }
            _pos++; // ':'
            int emptyLine = _line, emptyColumn = Column(_pos);
            SkipSpaces();
            YNode value;
            if (AtEnd || _s[_pos] == '\n' || _s[_pos] == '#')
            {
                EndOfLine();
                if (Deeper(column))
                {
                    value = BlockNode(column, out _);
                }
                else if (!AtEnd && Indent == column && _s[_pos] == '-' && IsBlank(At(_pos + 1)) && !IsDocumentMarker("---"))
                {
                    value = BlockSequence(column);
                }
                else
                {
                    value = Empty(emptyLine, emptyColumn);
                }
            }
            else
            {
                value = InlineValue(column, out _);
            }
            if (!map.Set(key, value))
            {
                Fail(); // YamlDotNet's path reports the duplicate
            }
            if (AtEnd || IsDocumentMarker("---") || Indent < column)
            {
                break;
            }
            if (Indent > column || IsDocumentMarker("...") || !KeyAhead())
            {
                Fail();
            }
        }
        _depth--;
        return map;
    }

    private YScalar Empty(int line, int column)
    {
        Count();
        return new YScalar(StringPool.Share(string.Empty), true, null, line, column);
    }

    /// <summary>The key <see cref="KeyAhead"/> found, the cursor left on its ':'.</summary>
    private YScalar Key()
    {
        int start = _pos;
        if (_s[start] is '"' or '\'')
        {
            YScalar quoted = Quoted();
            SkipSpaces();
            return quoted;
        }
        Count();
        int last = _keyColon;
        while (_s[last - 1] == ' ')
        {
            last--;
        }
        _pos = _keyColon;
        return new YScalar(StringPool.Share(_s.AsSpan(start, last - start)), true, null, _line, Column(start));
    }

    /// <summary>A single- or double-quoted scalar at the cursor that closes on its line; the cursor moves past it.</summary>
    private YScalar Quoted()
    {
        Count();
        int start = _pos, close = QuotedEnd(_pos);
        if (close < 0)
        {
            Fail();
        }
        _pos = close;
        return new YScalar(StringPool.Share(Unquote(start, close)), false, null, _line, Column(start));
    }

    private YSequence BlockSequence(int column)
    {
        Enter();
        Count();
        var seq = new YSequence(_line, column + 1);
        while (true)
        {
            _pos++; // '-'
            int dashLine = _line, dashColumn = Column(_pos);
            SkipSpaces();
            YNode item;
            if (AtEnd || _s[_pos] == '\n' || _s[_pos] == '#')
            {
                EndOfLine();
                item = Deeper(column) ? BlockNode(column, out _) : Empty(dashLine, dashColumn);
            }
            else
            {
                item = BlockNode(column, out _);
            }
            seq.Add(item);
            if (AtEnd || IsDocumentMarker("---") || Indent < column)
            {
                break;
            }
            if (Indent > column || IsDocumentMarker("..."))
            {
                Fail();
            }
            if (!(_s[_pos] == '-' && IsBlank(At(_pos + 1))))
            {
                break; // an indentless sequence ends at its mapping's next key; the mapping checks it is one
            }
        }
        _depth--;
        return seq;
    }

    /// <summary>A scalar, flow collection or block scalar on the cursor's line, then on to the next content.</summary>
    private YNode InlineValue(int parent, out int end)
    {
        char c = _s[_pos];
        int start = _pos, line = _line, column = Column(_pos);
        YNode node;
        switch (c)
        {
            case '|' or '>':
                return BlockScalar(parent, out end);
            case '"' or '\'':
                node = Quoted();
                break;
            case '[' or '{':
                node = Flow();
                break;
            default:
            {
                if (!PlainStart(_pos, flow: false))
                {
                    Fail();
                }
                Count();
                int i = _pos, last = _pos;
                for (; i < _s.Length; i++)
                {
                    char x = _s[i];
                    if (x == '\n' || x == '#' && _s[i - 1] == ' ')
                    {
                        break;
                    }
                    if (x == ':' && IsBlank(At(i + 1)) || x is '*' or '&' or '!' && _s[i - 1] == ' ')
                    {
                        Fail(); // a mapping where only a scalar may be, or what YamlDotNet reads as one scalar
                    }
                    if (x != ' ')
                    {
                        last = i + 1;
                    }
                }
                node = new YScalar(StringPool.Share(_s.AsSpan(start, last - start)), true, null, line, column);
                _pos = last;
                break;
            }
        }
        end = _pos;
        EndOfLine();
        return node;
    }

    private string Unquote(int start, int end)
    {
        if (_s[start] == '\'')
        {
            string inner = _s.Substring(start + 1, end - start - 2);
            return inner.Contains("''", StringComparison.Ordinal) ? inner.Replace("''", "'", StringComparison.Ordinal) : inner;
        }
        int from = start + 1, to = end - 1;
        int slash = _s.IndexOf('\\', from, to - from);
        if (slash < 0)
        {
            return _s.Substring(from, to - from);
        }
        var sb = new StringBuilder(to - from);
        for (int i = from; i < to; i++)
        {
            char c = _s[i];
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            char e = _s[++i];
            switch (e)
            {
                case '0': sb.Append('\0'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'v': sb.Append('\v'); break;
                case 'f': sb.Append('\f'); break;
                case 'r': sb.Append('\r'); break;
                case 'e': sb.Append('\x1B'); break;
                case ' ': sb.Append(' '); break;
                case '"': sb.Append('"'); break;
                case '/': sb.Append('/'); break;
                case '\\': sb.Append('\\'); break;
                case 'N': sb.Append('\u0085'); break;
                case '_': sb.Append('\u00A0'); break;
                case 'L': sb.Append('\u2028'); break;
                case 'P': sb.Append('\u2029'); break;
                case 'x': sb.Append(Hex(ref i, 2)); break;
                case 'u': sb.Append(Hex(ref i, 4)); break;
                case 'U': sb.Append(Hex(ref i, 8)); break;
                default: Fail(); break;
            }
        }
        return sb.ToString();
    }

    private string Hex(ref int i, int digits)
    {
        int code = 0;
        for (int k = 1; k <= digits; k++)
        {
            char h = At(i + k);
            int v = h is >= '0' and <= '9' ? h - '0' : h is >= 'a' and <= 'f' ? h - 'a' + 10 : h is >= 'A' and <= 'F' ? h - 'A' + 10 : -1;
            if (v < 0 || code > 0x10FFFF)
            {
                Fail();
            }
            code = code * 16 + v;
        }
        i += digits;
        if (code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
        {
            Fail();
        }
        return char.ConvertFromUtf32(code);
    }

    /// <summary>A flow sequence or mapping that opens and closes on the cursor's line.</summary>
    private YNode Flow()
    {
        Enter();
        Count();
        bool mapping = _s[_pos] == '{';
        char close = mapping ? '}' : ']';
        YNode node = mapping ? new YMapping(_line, Column(_pos)) : new YSequence(_line, Column(_pos));
        _pos++;
        SkipSpaces();
        if (At(_pos) == close)
        {
            _pos++;
            _depth--;
            return node;
        }
        while (true)
        {
            YNode item = FlowItem();
            SkipSpaces();
            if (mapping)
            {
                if (item is not YScalar key || At(_pos) != ':' || key.IsPlain && key.Value == "<<")
                {
                    Fail();
                }
                _pos++;
                char after = At(_pos);
                if (!(after == ' ' || !((YScalar)item).IsPlain && after is not ',' and not '}' and not '\n'))
                {
                    Fail(); // "a:b" or an empty value
                }
                SkipSpaces();
                YNode value = FlowItem();
                if (!((YMapping)node).Set((YScalar)item, value))
                {
                    Fail();
                }
                SkipSpaces();
            }
            else
            {
                if (At(_pos) == ':')
                {
                    Fail(); // a single-pair mapping inside a sequence
                }
                ((YSequence)node).Add(item);
            }
            char c = At(_pos);
            if (c == close)
            {
                _pos++;
                _depth--;
                return node;
            }
            if (c != ',')
            {
                Fail();
            }
            _pos++;
            SkipSpaces();
            if (At(_pos) == close)
            {
                Fail(); // a trailing comma
            }
        }
    }

    private YNode FlowItem()
    {
        char c = At(_pos);
        if (c is '[' or '{')
        {
            return Flow();
        }
        if (c is '"' or '\'')
        {
            return Quoted();
        }
        int start = _pos;
        Count();
        if (!PlainStart(_pos, flow: true))
        {
            Fail();
        }
        int i = _pos, last = _pos;
        for (; i < _s.Length; i++)
        {
            char x = _s[i];
            if (x is ',' or ']' or '}' or '\n' || x == '#' && _s[i - 1] == ' ' || x == ':' && At(i + 1) is ' ' or ',' or ']' or '}' or '\n')
            {
                break;
            }
            if (x is '[' or '{' or ':' or '#' || x is '*' or '&' or '!' && _s[i - 1] == ' ')
            {
                Fail();
            }
            if (x != ' ')
            {
                last = i + 1;
            }
        }
        _pos = last;
        return new YScalar(StringPool.Share(_s.AsSpan(start, last - start)), true, null, _line, Column(start));
    }

    /// <summary>A literal (|) or folded (>) block scalar with an optional chomping indicator.</summary>
    private YScalar BlockScalar(int parent, out int end)
    {
        Count();
        int line = _line, column = Column(_pos);
        bool literal = _s[_pos] == '|';
        _pos++;
        char chomp = At(_pos) is '-' or '+' ? _s[_pos++] : ' ';
        if (At(_pos) is >= '0' and <= '9' or '-' or '+')
        {
            Fail(); // an indentation indicator
        }
        int before = _pos;
        SkipSpaces();
        if (!AtEnd && _s[_pos] != '\n' && !(_s[_pos] == '#' && _pos > before))
        {
            Fail();
        }
        int nl = _s.IndexOf('\n', _pos);
        if (nl < 0)
        {
            Fail(); // nothing after the header
        }

        // Lines of the scalar: leading empty lines, then lines indented at least as the first non-empty one.
        int p = nl + 1, lineNo = _line + 1;
        var lines = new List<(int From, int To)>();
        int indent = -1;
        int lastLineStart = p, lastLineNo = lineNo;
        while (p < _s.Length)
        {
            int e = _s.IndexOf('\n', p);
            if (e < 0)
            {
                e = _s.Length;
            }
            int spaces = 0;
            while (p + spaces < e && _s[p + spaces] == ' ')
            {
                spaces++;
            }
            bool empty = p + spaces == e;
            if (indent < 0)
            {
                if (empty)
                {
                    if (spaces > 0)
                    {
                        Fail(); // YamlDotNet has rules of its own for spaces before the first line of content
                    }
                    lines.Add((e, e));
                }
                else
                {
                    if (spaces <= parent)
                    {
                        break; // no content
                    }
                    indent = spaces;
                    lines.Add((p + indent, e));
                }
            }
            else if (empty)
            {
                if (spaces > indent)
                {
                    Fail(); // a line of spaces beyond the indentation is content
                }
                lines.Add((e, e));
            }
            else if (spaces < indent)
            {
                break;
            }
            else
            {
                lines.Add((p + indent, e));
            }
            p = e + 1;
            lineNo++;
            lastLineStart = p;
            lastLineNo = lineNo;
        }
        if (indent < 0)
        {
            Fail(); // an empty block scalar
        }

        int content = lines.Count;
        while (content > 0 && lines[content - 1].From == lines[content - 1].To)
        {
            content--;
        }
        var sb = new StringBuilder();
        bool previousEmpty = false, seenText = false;
        for (int k = 0; k < content; k++)
        {
            var (from, to) = lines[k];
            bool isEmpty = from == to;
            if (literal)
            {
                if (k > 0)
                {
                    sb.Append('\n');
                }
                sb.Append(_s, from, to - from);
                continue;
            }
            if (!isEmpty && _s[from] == ' ')
            {
                Fail(); // a more indented line of a folded scalar
            }
            if (isEmpty)
            {
                if (!seenText)
                {
                    Fail(); // leading empty lines of a folded scalar
                }
                sb.Append('\n');
                previousEmpty = true;
                continue;
            }
            if (seenText && !previousEmpty)
            {
                sb.Append(' ');
            }
            sb.Append(_s, from, to - from);
            seenText = true;
            previousEmpty = false;
        }
        // The last line's break is the scalar's only when the text has one (a file may end without it).
        if (content > 0 && chomp != '-' && lines[content - 1].To < _s.Length)
        {
            sb.Append('\n');
        }
        if (chomp == '+')
        {
            sb.Append('\n', lines.Count - content);
        }

        // The cursor moves to the first line after the scalar.
        _pos = Math.Min(lastLineStart, _s.Length);
        _ls = _pos;
        _line = lastLineNo;
        end = _pos;
        SkipToContent();
        return new YScalar(StringPool.Share(sb.ToString()), false, null, line, column);
    }
}
