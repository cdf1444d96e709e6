using System.Globalization;

namespace GitOpsSec.Manifests;

/// <summary>A YAML node with the 1-based line and column where it starts in its file.</summary>
public abstract class YNode
{
    protected YNode(int line, int column)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }
    public int Column { get; }

    /// <summary>Number of nodes below and including this one, counting aliases as expanded.</summary>
    public abstract long Size { get; }
}

/// <summary>A scalar: its text, whether it was plain (unquoted) and its explicit tag, if any.</summary>
public sealed class YScalar : YNode
{
    public YScalar(string value, bool isPlain, string? tag, int line, int column) : base(line, column)
    {
        Value = value;
        IsPlain = isPlain;
        Tag = tag;
    }

    public string Value { get; }
    public bool IsPlain { get; }
    public string? Tag { get; }
    public override long Size => 1;

    /// <summary>True when YAML (as the Kubernetes decoder resolves it) reads this scalar as null.</summary>
    public bool IsNull => ScalarResolver.Resolve(this) is null;

    /// <summary>The boolean this scalar resolves to, or null if it is not a boolean.</summary>
    public bool? AsBoolean() => ScalarResolver.Resolve(this) as bool?;

    /// <summary>The integer this scalar resolves to, or null if it is not an integer.</summary>
    public long? AsInteger() => ScalarResolver.Resolve(this) switch
    {
        long l => l,
        int i => i,
        _ => null,
    };

    public override string ToString() => Value;
}

/// <summary>A sequence of nodes.</summary>
public sealed class YSequence : YNode
{
    private readonly List<YNode> _items;
    private long _size = 1;

    public YSequence(int line, int column) : base(line, column) => _items = new();

    /// <summary>A sequence sized for <paramref name="capacity"/> items (a copy whose size is known).</summary>
    internal YSequence(int line, int column, int capacity) : base(line, column) => _items = new(capacity);

    public IReadOnlyList<YNode> Items => _items;
    public override long Size => _size;

    internal void Add(YNode node)
    {
        _items.Add(node);
        _size += node.Size;
    }
}

/// <summary>A mapping whose keys are scalars, in document order.</summary>
/// <remarks>
/// Most Kubernetes mappings have a handful of keys: up to <see cref="IndexFrom"/> entries they are found by
/// a linear scan, and only larger mappings get a hash index (a repository of 100,000 manifests keeps
/// millions of small mappings in memory for the repository-wide rules).
/// </remarks>
public sealed class YMapping : YNode
{
    private const int IndexFrom = 9;
    private readonly List<KeyValuePair<YScalar, YNode>> _entries;
    private Dictionary<string, int>? _index;
    private long _size = 1;

    public YMapping(int line, int column) : base(line, column) => _entries = new(4);

    /// <summary>A mapping sized for <paramref name="capacity"/> entries (a copy whose size is known).</summary>
    internal YMapping(int line, int column, int capacity) : base(line, column) => _entries = new(capacity);

    public IReadOnlyList<KeyValuePair<YScalar, YNode>> Entries => _entries;
    public override long Size => _size;

    private int Find(string key)
    {
        if (_index is not null)
        {
            return _index.TryGetValue(key, out int i) ? i : -1;
        }
        for (int i = 0; i < _entries.Count; i++)
        {
            if (string.Equals(_entries[i].Key.Value, key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    public YNode? this[string key] => Find(key) is int i and >= 0 ? _entries[i].Value : null;

    public bool ContainsKey(string key) => Find(key) >= 0;

    /// <summary>The key node for <paramref name="key"/> (its line is where the field is written).</summary>
    public YScalar? KeyNode(string key) => Find(key) is int i and >= 0 ? _entries[i].Key : null;

    public YMapping? Map(string key) => this[key] as YMapping;
    public YSequence? Seq(string key) => this[key] as YSequence;
    public YScalar? Scalar(string key) => this[key] as YScalar;

    /// <summary>The scalar text at <paramref name="key"/>, or null when absent, null or not a scalar.</summary>
    public string? Text(string key) => this[key] is YScalar s && !s.IsNull ? s.Value : null;

    /// <summary>Adds or replaces a key; returns false when the key was already present (a duplicate).</summary>
    internal bool Set(YScalar key, YNode value)
    {
        int i = Find(key.Value);
        if (i >= 0)
        {
            _size -= _entries[i].Value.Size;
            _entries[i] = new KeyValuePair<YScalar, YNode>(key, value);
            _size += value.Size;
            return false;
        }
        _entries.Add(new KeyValuePair<YScalar, YNode>(key, value));
        if (_index is not null)
        {
            _index[key.Value] = _entries.Count - 1;
        }
        else if (_entries.Count >= IndexFrom)
        {
            _index = new Dictionary<string, int>(_entries.Count * 2, StringComparer.Ordinal);
            for (int k = 0; k < _entries.Count; k++)
            {
                _index[_entries[k].Key.Value] = k;
            }
        }
        _size += value.Size + 1;
        return true;
    }
}

/// <summary>Readings of YAML maps shared by the models (labels, annotations, data).</summary>
public static class YMappingExtensions
{
    /// <summary>The scalar entries of a map (labels, annotations, data) by key; empty when the map is absent.</summary>
    public static SortedDictionary<string, string> StringValues(this YMapping? map)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in map?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
        {
            if (entry.Value is YScalar s)
            {
                result[entry.Key.Value] = s.Value;
            }
        }
        return result;
    }
}

/// <summary>
/// Resolves plain scalars the way the Kubernetes YAML decoder (YAML 1.1 rules of go-yaml v2) does,
/// so that <c>privileged: yes</c> is read as true, as the API server would.
/// </summary>
public static class ScalarResolver
{
    private static readonly HashSet<string> Nulls = new(StringComparer.Ordinal) { "", "~", "null", "Null", "NULL" };
    private static readonly HashSet<string> Trues = new(StringComparer.Ordinal)
        { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y" };
    private static readonly HashSet<string> Falses = new(StringComparer.Ordinal)
        { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N" };

    /// <summary>The typed value: null, bool, long, double or string.</summary>
    public static object? Resolve(YScalar scalar)
    {
        string v = scalar.Value;
        switch (scalar.Tag)
        {
            case "tag:yaml.org,2002:str":
                return v;
            case "tag:yaml.org,2002:null":
                return null;
            case "tag:yaml.org,2002:bool":
                return Trues.Contains(v) ? true : Falses.Contains(v) ? false : v;
            case "tag:yaml.org,2002:int":
                return TryInteger(v, out long tagged) ? tagged : v;
            case "tag:yaml.org,2002:float":
                return TryFloat(v, out double taggedFloat) ? taggedFloat : v;
        }
        if (!scalar.IsPlain)
        {
            return v;
        }
        if (Nulls.Contains(v))
        {
            return null;
        }
        if (Trues.Contains(v))
        {
            return true;
        }
        if (Falses.Contains(v))
        {
            return false;
        }
        if (v.Length > 0 && (char.IsDigit(v[0]) || v[0] is '-' or '+' or '.'))
        {
            if (TryInteger(v, out long l))
            {
                return l;
            }
            if (TryFloat(v, out double d))
            {
                return d;
            }
        }
        return v;
    }

    private static bool TryInteger(string v, out long value)
    {
        string s = v.Replace("_", string.Empty, StringComparison.Ordinal);
        bool negative = s.StartsWith('-');
        string body = s.TrimStart('-', '+');
        bool ok;
        value = 0;
        if (body.StartsWith("0x", StringComparison.Ordinal))
        {
            ok = long.TryParse(body.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (body.StartsWith("0o", StringComparison.Ordinal))
        {
            ok = TryRadix(body[2..], 8, out value);
        }
        else if (body.StartsWith("0b", StringComparison.Ordinal))
        {
            ok = TryRadix(body[2..], 2, out value);
        }
        else if (body.Length > 1 && body[0] == '0' && body.All(c => c is >= '0' and <= '7'))
        {
            ok = TryRadix(body[1..], 8, out value);
        }
        else
        {
            ok = body.Length > 0 && body.All(char.IsAsciiDigit) &&
                 long.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            if (!ok)
            {
                value = 0;
            }
        }
        if (ok && negative)
        {
            value = -value;
        }
        return ok;
    }

    private static bool TryRadix(string digits, int radix, out long value)
    {
        value = 0;
        if (digits.Length == 0)
        {
            return false;
        }
        try
        {
            value = Convert.ToInt64(digits, radix);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    private static bool TryFloat(string v, out double value)
    {
        switch (v)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                value = double.PositiveInfinity;
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                value = double.NegativeInfinity;
                return true;
            case ".nan" or ".NaN" or ".NAN":
                value = double.NaN;
                return true;
        }
        bool hasDigit = v.Any(char.IsAsciiDigit);
        bool shapeOk = v.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '-' or '+' or '_');
        return double.TryParse(v.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float,
                   CultureInfo.InvariantCulture, out value) && hasDigit && shapeOk;
    }
}
