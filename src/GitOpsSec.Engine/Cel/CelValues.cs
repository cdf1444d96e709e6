using System.Globalization;
using System.Text;

namespace GitOpsSec.Cel;

/// <summary>A CEL bytes value (compared by content).</summary>
public sealed class CelBytes : IEquatable<CelBytes>
{
    public CelBytes(byte[] data) => Data = data;

    public byte[] Data { get; }

    public bool Equals(CelBytes? other) => other is not null && Data.AsSpan().SequenceEqual(other.Data);

    public override bool Equals(object? obj) => Equals(obj as CelBytes);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(Data);
        return h.ToHashCode();
    }

    public override string ToString() => "b\"" + Encoding.UTF8.GetString(Data) + "\"";
}

/// <summary>A CEL type value (int, string, list, google.protobuf.Duration, ...).</summary>
public sealed record CelType(string Name)
{
    public override string ToString() => Name;
}

/// <summary>An optional value (optional.of / optional.none, .? selection).</summary>
public sealed class CelOptional
{
    public static readonly CelOptional None = new(false, null);

    private CelOptional(bool hasValue, object? value)
    {
        HasValue = hasValue;
        Value = value;
    }

    public bool HasValue { get; }
    public object? Value { get; }

    public static CelOptional Of(object? value) => new(true, value);

    public override string ToString() => HasValue ? $"optional.of({Value})" : "optional.none()";
}

/// <summary>An evaluation error as a value: CEL's &amp;&amp; and || absorb it when the other side decides.</summary>
public sealed class CelError
{
    public CelError(string message) => Message = message;

    public string Message { get; }

    public override string ToString() => Message;
}

/// <summary>Thrown when an expression exceeds its cost budget, or needs what an offline evaluation cannot know (the authorizer).</summary>
public sealed class CelAbortException : Exception
{
    public CelAbortException(string id, string message) : base(message) => Id = id;

    /// <summary>CostExceeded or Undecided.</summary>
    public string Id { get; }
}

/// <summary>A CEL map: keys compare as CEL does (int, uint and double keys that are numerically equal are one key).</summary>
public sealed class CelMapValue : Dictionary<object, object?>
{
    public CelMapValue() : base(CelKeyComparer.Instance) { }

    public CelMapValue(int capacity) : base(capacity, CelKeyComparer.Instance) { }
}

internal sealed class CelKeyComparer : IEqualityComparer<object>
{
    public static readonly CelKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => CelOps.Equal(x, y) is true;

    public int GetHashCode(object obj) => obj switch
    {
        long l => ((double)l).GetHashCode(),
        ulong u => ((double)u).GetHashCode(),
        double d => d.GetHashCode(),
        _ => obj.GetHashCode(),
    };
}

/// <summary>Equality, ordering, arithmetic and conversions with CEL's semantics (heterogeneous numeric equality, overflow errors).</summary>
internal static class CelOps
{
    public static CelError NoOverload(string op, params object?[] args) =>
        new($"no such overload: {op}({string.Join(", ", args.Select(TypeName))})");

    public static string TypeName(object? v) => v switch
    {
        null => "null_type",
        bool => "bool",
        long => "int",
        ulong => "uint",
        double => "double",
        string => "string",
        CelBytes => "bytes",
        IList<object?> => "list",
        CelMapValue => "map",
        CelType => "type",
        CelOptional => "optional_type",
        TimeSpan => "google.protobuf.Duration",
        DateTimeOffset => "google.protobuf.Timestamp",
        CelError => "error",
        ICelObject o => o.TypeName,
        _ => v.GetType().Name,
    };

    public static CelType TypeOf(object? v) => new(TypeName(v) switch { "optional_type" => "optional_type", var n => n });

    /// <summary>== : true, false, or an error when either side is one.</summary>
    public static object Equal(object? a, object? b)
    {
        if (a is CelError) return a;
        if (b is CelError) return b;
        return EqualValues(a, b);
    }

    private static bool EqualValues(object? a, object? b)
    {
        switch (a)
        {
            case null:
                return b is null;
            case long or ulong or double when b is long or ulong or double:
                return CompareNumbers(a, b) == 0;
            case IList<object?> la when b is IList<object?> lb:
                if (la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++)
                {
                    if (!EqualValues(la[i], lb[i])) return false;
                }
                return true;
            case CelMapValue ma when b is CelMapValue mb:
                if (ma.Count != mb.Count) return false;
                foreach (var (k, v) in ma)
                {
                    if (!mb.TryGetValue(k, out object? other) || !EqualValues(v, other)) return false;
                }
                return true;
            case CelOptional oa when b is CelOptional ob:
                return oa.HasValue == ob.HasValue && (!oa.HasValue || EqualValues(oa.Value, ob.Value));
            default:
                return a.Equals(b);
        }
    }

    /// <summary>Numeric comparison across int, uint and double; NaN compares as unordered (int.MinValue).</summary>
    public static int? CompareNumbers(object a, object b)
    {
        switch (a, b)
        {
            case (long x, long y): return x.CompareTo(y);
            case (ulong x, ulong y): return x.CompareTo(y);
            case (long x, ulong y): return x < 0 ? -1 : ((ulong)x).CompareTo(y);
            case (ulong x, long y): return y < 0 ? 1 : x.CompareTo((ulong)y);
        }
        double da = ToDouble(a), db = ToDouble(b);
        if (double.IsNaN(da) || double.IsNaN(db)) return null;
        // Exact comparison of a double with an int: compare in the integer domain when the double is integral and in range.
        int c = da.CompareTo(db);
        if (c == 0 && a is long la2 && b is double) return CompareLongDouble(la2, db);
        if (c == 0 && b is long lb2 && a is double) return -CompareLongDouble(lb2, da);
        return c;
    }

    private static int CompareLongDouble(long l, double d)
    {
        if (d >= 9.2233720368547758E18) return -1;
        if (d < -9.2233720368547758E18) return 1;
        long t = (long)Math.Truncate(d);
        int c = l.CompareTo(t);
        return c != 0 ? c : (d > t ? -1 : d < t ? 1 : 0);
    }

    public static double ToDouble(object v) => v switch { long l => l, ulong u => u, double d => d, _ => double.NaN };

    /// <summary>&lt; &lt;= &gt; &gt;=: the comparison, or an error for types without an order.</summary>
    public static object Compare(string op, object? a, object? b)
    {
        if (a is CelError) return a;
        if (b is CelError) return b;
        int? c = (a, b) switch
        {
            (long or ulong or double, long or ulong or double) => CompareNumbers(a!, b!),
            (string x, string y) => string.CompareOrdinal(x, y) switch { < 0 => -1, > 0 => 1, _ => 0 },
            (bool x, bool y) => x.CompareTo(y),
            (CelBytes x, CelBytes y) => x.Data.AsSpan().SequenceCompareTo(y.Data),
            (TimeSpan x, TimeSpan y) => x.CompareTo(y),
            (DateTimeOffset x, DateTimeOffset y) => x.CompareTo(y),
            _ => int.MinValue,
        };
        if (c == int.MinValue)
        {
            return NoOverload($"_{op}_", a, b);
        }
        if (c is null)
        {
            return false; // NaN
        }
        return op switch
        {
            "<" => c < 0,
            "<=" => c <= 0,
            ">" => c > 0,
            _ => c >= 0,
        };
    }

    public static object Add(object? a, object? b)
    {
        try
        {
            return (a, b) switch
            {
                (long x, long y) => checked(x + y),
                (ulong x, ulong y) => checked(x + y),
                (double x, double y) => x + y,
                (string x, string y) => x + y,
                (CelBytes x, CelBytes y) => new CelBytes(x.Data.Concat(y.Data).ToArray()),
                (IList<object?> x, IList<object?> y) => x.Concat(y).ToList(),
                (TimeSpan x, TimeSpan y) => CheckDuration(x + y),
                (DateTimeOffset x, TimeSpan y) => CheckTimestamp(x + y),
                (TimeSpan x, DateTimeOffset y) => CheckTimestamp(y + x),
                _ => NoOverload("_+_", a, b),
            };
        }
        catch (OverflowException)
        {
            return new CelError("return error for overflow");
        }
        catch (ArgumentOutOfRangeException)
        {
            return new CelError("return error for overflow");
        }
    }

    public static object Subtract(object? a, object? b)
    {
        try
        {
            return (a, b) switch
            {
                (long x, long y) => checked(x - y),
                (ulong x, ulong y) => checked(x - y),
                (double x, double y) => x - y,
                (TimeSpan x, TimeSpan y) => CheckDuration(x - y),
                (DateTimeOffset x, TimeSpan y) => CheckTimestamp(x - y),
                (DateTimeOffset x, DateTimeOffset y) => CheckDuration(x - y),
                _ => NoOverload("_-_", a, b),
            };
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            return new CelError("return error for overflow");
        }
    }

    public static object Multiply(object? a, object? b)
    {
        try
        {
            return (a, b) switch
            {
                (long x, long y) => checked(x * y),
                (ulong x, ulong y) => checked(x * y),
                (double x, double y) => x * y,
                _ => NoOverload("_*_", a, b),
            };
        }
        catch (OverflowException)
        {
            return new CelError("return error for overflow");
        }
    }

    public static object Divide(object? a, object? b) => (a, b) switch
    {
        (long, 0L) => new CelError("divide by zero"),
        (long x, long y) => x == long.MinValue && y == -1 ? new CelError("return error for overflow") : x / y,
        (ulong, 0UL) => new CelError("divide by zero"),
        (ulong x, ulong y) => x / y,
        (double x, double y) => x / y,
        _ => NoOverload("_/_", a, b),
    };

    public static object Modulo(object? a, object? b) => (a, b) switch
    {
        (long, 0L) => new CelError("modulus by zero"),
        (long x, long y) => x == long.MinValue && y == -1 ? new CelError("return error for overflow") : x % y,
        (ulong, 0UL) => new CelError("modulus by zero"),
        (ulong x, ulong y) => x % y,
        _ => NoOverload("_%_", a, b),
    };

    public static object Negate(object? a) => a switch
    {
        long.MinValue => new CelError("return error for overflow"),
        long x => -x,
        double d => -d,
        TimeSpan t => -t,
        _ => NoOverload("-_", a),
    };

    // google.protobuf.Duration and Timestamp ranges.
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(315576000000);

    public static TimeSpan CheckDuration(TimeSpan d) =>
        d > MaxDuration || d < -MaxDuration ? throw new OverflowException() : d;

    public static DateTimeOffset CheckTimestamp(DateTimeOffset t) =>
        t.Year < 1 || t.Year > 9999 ? throw new OverflowException() : t;

    /// <summary>The string form CEL's string() conversion gives.</summary>
    public static string Format(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        string s => s,
        CelBytes b => Encoding.UTF8.GetString(b.Data),
        TimeSpan t => FormatDuration(t),
        DateTimeOffset t => t.UtcDateTime.ToString(t.Millisecond == 0 && t.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        IList<object?> l => "[" + string.Join(", ", l.Select(Format)) + "]",
        CelMapValue m => "{" + string.Join(", ", m.Select(e => $"{Format(e.Key)}: {Format(e.Value)}")) + "}",
        _ => v.ToString() ?? string.Empty,
    };

    public static string FormatDouble(double d)
    {
        if (double.IsPositiveInfinity(d)) return "+Inf";
        if (double.IsNegativeInfinity(d)) return "-Inf";
        if (double.IsNaN(d)) return "NaN";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        if (r.Contains('E'))
        {
            // Go's strconv 'g' style exponent: 1e+06 rather than 1E+06.
            string[] parts = r.Split('E');
            int exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return $"{parts[0]}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        return r;
    }

    public static string FormatDuration(TimeSpan t)
    {
        decimal seconds = t.Ticks / (decimal)TimeSpan.TicksPerSecond;
        return seconds.ToString("0.#########", CultureInfo.InvariantCulture) + "s";
    }
}

/// <summary>A Kubernetes CEL library value (Quantity, IP, CIDR, URL): its type name, equality and string form.</summary>
internal interface ICelObject
{
    string TypeName { get; }
}
