using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;

namespace GitOpsSec.Cel;

/// <summary>
/// The functions of CEL's standard definitions and of the Kubernetes CEL environment
/// (k8s.io/apiserver/pkg/cel/library and the cel-go extensions it enables): strings, lists, regex, URLs,
/// quantity, IP and CIDR, named formats, sets, optional types and base64. Regular expressions run on .NET's
/// linear-time engine (RE2 is linear too); every call spends cost in proportion to the data it touches.
/// </summary>
internal static class CelLibrary
{
    public static readonly HashSet<string> Namespaces = new(StringComparer.Ordinal) { "optional", "format", "sets", "strings", "base64", "math", "ip", "jsonpatch" };

    public static readonly HashSet<string> GlobalFunctions = new(StringComparer.Ordinal)
    {
        "size", "int", "uint", "double", "string", "bytes", "bool", "dyn", "type", "duration", "timestamp", "matches",
        "quantity", "isQuantity", "url", "isURL", "ip", "isIP", "ip.isCanonical", "cidr", "isCIDR",
        "optional.of", "optional.none", "optional.ofNonZeroValue",
        "sets.contains", "sets.equivalent", "sets.intersects", "strings.quote", "base64.encode", "base64.decode",
        "math.greatest", "math.least", "math.abs", "math.ceil", "math.floor", "math.round", "math.sign", "math.isNaN", "math.isInf",
        "format.named", "format.dns1123Label", "format.dns1123Subdomain", "format.dns1035Label", "format.qualifiedName",
        "format.dns1123LabelPrefix", "format.dns1123SubdomainPrefix", "format.dns1035LabelPrefix", "format.labelValue",
        "format.uri", "format.uuid", "format.byte", "format.date", "format.datetime",
        "semver", "isSemver", "jsonpatch.escapeKey",
    };

    public static readonly HashSet<string> MemberFunctions = new(StringComparer.Ordinal)
    {
        "size", "contains", "startsWith", "endsWith", "matches",
        "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
        // cel-go ext strings
        "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split", "substring", "trim", "join", "reverse", "format",
        // Kubernetes lists and regex
        "isSorted", "sum", "min", "max", "find", "findAll", "distinct", "flatten", "slice", "sort",
        // optional
        "hasValue", "value", "orValue", "or",
        // semver
        "major", "minor", "patch",
        // quantity
        "sign", "isGreaterThan", "isLessThan", "compareTo", "add", "sub", "isInteger", "asInteger", "asApproximateFloat",
        // url
        "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath", "getQuery",
        // ip and cidr
        "family", "isUnspecified", "isLoopback", "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast",
        "containsIP", "containsCIDR", "ip", "masked", "prefixLength",
        // format
        "validate",
        // authorizer (undecided offline)
        "group", "resource", "subresource", "namespace", "name", "check", "allowed", "reason", "errored", "error", "path", "serviceAccount",
    };

    public static object? Invoke(CelContext cx, string name, bool member, object? target, object?[] a)
    {
        if (target is CelAuthorizer || a.Any(x => x is CelAuthorizer))
        {
            throw new CelAbortException("Undecided", "the expression asks the authorizer, whose answer only the API server has");
        }
        if (member)
        {
            return Member(cx, name, target, a);
        }
        switch (name)
        {
            case "_==_": return CelOps.Equal(a[0], a[1]);
            case "_!=_": return CelOps.Equal(a[0], a[1]) is bool eq ? !eq : CelOps.Equal(a[0], a[1]);
            case "_<_": return CelOps.Compare("<", a[0], a[1]);
            case "_<=_": return CelOps.Compare("<=", a[0], a[1]);
            case "_>_": return CelOps.Compare(">", a[0], a[1]);
            case "_>=_": return CelOps.Compare(">=", a[0], a[1]);
            case "_+_":
                if (a[0] is string s1 && a[1] is string s2) cx.Spend((s1.Length + s2.Length) / 16);
                if (a[0] is IList<object?> l1a && a[1] is IList<object?> l2a) cx.Spend((l1a.Count + l2a.Count) / 8);
                return CelOps.Add(a[0], a[1]);
            case "_-_": return CelOps.Subtract(a[0], a[1]);
            case "_*_": return CelOps.Multiply(a[0], a[1]);
            case "_/_": return CelOps.Divide(a[0], a[1]);
            case "_%_": return CelOps.Modulo(a[0], a[1]);
            case "-_": return CelOps.Negate(a[0]);
            case "!_": return a[0] is bool b ? !b : CelOps.NoOverload("!_", a[0]);
            case "@in":
                switch (a[1])
                {
                    case IList<object?> list:
                        cx.Spend(1 + list.Count / 8);
                        return list.Any(x => CelOps.Equal(a[0], x) is true);
                    case CelMapValue map:
                        return a[0] is long or ulong or double or string or bool && map.ContainsKey(a[0]!);
                }
                return CelOps.NoOverload("@in", a[0], a[1]);
        }
        switch (name, a.Length)
        {
            case ("size", 1): return Size(cx, a[0]);
            case ("matches", 2): return Matches(cx, a[0], a[1]);
            case ("int", 1): return ToInt(a[0]);
            case ("uint", 1): return ToUint(a[0]);
            case ("double", 1): return ToDouble(a[0]);
            case ("string", 1): return ToCelString(a[0]);
            case ("bytes", 1): return a[0] switch { string s => new CelBytes(Encoding.UTF8.GetBytes(s)), CelBytes b => b, _ => CelOps.NoOverload("bytes", a[0]) };
            case ("bool", 1):
                return a[0] switch
                {
                    bool b => b,
                    string s => s switch
                    {
                        "1" or "t" or "true" or "TRUE" or "True" => true,
                        "0" or "f" or "false" or "FALSE" or "False" => false,
                        _ => new CelError($"type conversion error from 'string' to 'bool': {s}"),
                    },
                    _ => CelOps.NoOverload("bool", a[0]),
                };
            case ("dyn", 1): return a[0];
            case ("type", 1): return CelOps.TypeOf(a[0]);
            case ("duration", 1): return a[0] switch { string s => ParseDuration(s), TimeSpan t => t, _ => CelOps.NoOverload("duration", a[0]) };
            case ("timestamp", 1):
                return a[0] switch
                {
                    string s => DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) && s.Contains('T')
                        ? t : new CelError($"type conversion error: invalid timestamp '{s}'"),
                    long l => l >= -62135596800L && l <= 253402300799L ? DateTimeOffset.FromUnixTimeSeconds(l) : new CelError("timestamp out of range"),
                    DateTimeOffset t => t,
                    _ => CelOps.NoOverload("timestamp", a[0]),
                };
            case ("quantity", 1): return a[0] is string q ? CelQuantity.Parse(q) is CelQuantity cq ? cq : new CelError($"invalid quantity '{q}'") : CelOps.NoOverload("quantity", a[0]);
            case ("isQuantity", 1): return a[0] is string q2 ? CelQuantity.Parse(q2) is not null : CelOps.NoOverload("isQuantity", a[0]);
            case ("url", 1): return a[0] is string us ? CelUrl.Parse(us) is CelUrl cu ? cu : new CelError($"URL parse error during conversion from string: {us}") : CelOps.NoOverload("url", a[0]);
            case ("isURL", 1): return a[0] is string u2 ? CelUrl.Parse(u2) is not null : CelOps.NoOverload("isURL", a[0]);
            case ("ip", 1): return a[0] is string ips ? CelIp.Parse(ips) is CelIp ip ? ip : new CelError($"IP Address '{ips}' parse error during conversion from string") : CelOps.NoOverload("ip", a[0]);
            case ("isIP", 1): return a[0] is string ips2 ? CelIp.Parse(ips2) is not null : CelOps.NoOverload("isIP", a[0]);
            case ("ip.isCanonical", 1): return a[0] is string ips3 ? CelIp.Parse(ips3) is CelIp ip3 ? ip3.ToString() == ips3 : new CelError($"IP Address '{ips3}' parse error") : CelOps.NoOverload("ip.isCanonical", a[0]);
            case ("cidr", 1): return a[0] is string cs ? CelCidr.Parse(cs) is CelCidr c ? c : new CelError($"network address parse error during conversion from string: {cs}") : CelOps.NoOverload("cidr", a[0]);
            case ("isCIDR", 1): return a[0] is string cs2 ? CelCidr.Parse(cs2) is not null : CelOps.NoOverload("isCIDR", a[0]);
            case ("optional.of", 1): return CelOptional.Of(a[0]);
            case ("optional.none", 0): return CelOptional.None;
            case ("optional.ofNonZeroValue", 1): return IsZero(a[0]) ? CelOptional.None : CelOptional.Of(a[0]);
            case ("sets.contains", 2) when a[0] is IList<object?> l1 && a[1] is IList<object?> l2:
                cx.Spend(l1.Count * (long)l2.Count / 8 + 1);
                return l2.All(x => l1.Any(y => CelOps.Equal(x, y) is true));
            case ("sets.equivalent", 2) when a[0] is IList<object?> e1 && a[1] is IList<object?> e2:
                cx.Spend(e1.Count * (long)e2.Count / 8 + 1);
                return e2.All(x => e1.Any(y => CelOps.Equal(x, y) is true)) && e1.All(x => e2.Any(y => CelOps.Equal(x, y) is true));
            case ("sets.intersects", 2) when a[0] is IList<object?> i1 && a[1] is IList<object?> i2:
                cx.Spend(i1.Count * (long)i2.Count / 8 + 1);
                return i2.Any(x => i1.Any(y => CelOps.Equal(x, y) is true));
            case ("strings.quote", 1) when a[0] is string sq: return Quote(sq);
            case ("base64.encode", 1) when a[0] is CelBytes b64: return Convert.ToBase64String(b64.Data);
            case ("base64.decode", 1) when a[0] is string s64:
                try
                {
                    string padded = s64.Length % 4 == 0 ? s64 : s64 + new string('=', 4 - (s64.Length % 4));
                    return new CelBytes(Convert.FromBase64String(padded));
                }
                catch (FormatException)
                {
                    return new CelError("base64.decode: illegal base64 data");
                }
            case ("math.greatest", >= 1): return Extreme(a.Length == 1 && a[0] is IList<object?> gl ? gl : a, greatest: true);
            case ("math.least", >= 1): return Extreme(a.Length == 1 && a[0] is IList<object?> ll ? ll : a, greatest: false);
            case ("math.abs", 1): return a[0] switch { long.MinValue => new CelError("overflow"), long l => Math.Abs(l), ulong ua => ua, double d => Math.Abs(d), _ => CelOps.NoOverload("math.abs", a[0]) };
            case ("math.ceil", 1) when a[0] is double d1: return Math.Ceiling(d1);
            case ("math.floor", 1) when a[0] is double d2: return Math.Floor(d2);
            case ("math.round", 1) when a[0] is double d3: return Math.Round(d3, MidpointRounding.AwayFromZero);
            case ("math.sign", 1): return a[0] switch { long l => (long)Math.Sign(l), ulong us2 => us2 == 0 ? 0UL : 1UL, double d => double.IsNaN(d) ? d : Math.Sign(d), _ => CelOps.NoOverload("math.sign", a[0]) };
            case ("math.isNaN", 1) when a[0] is double d4: return double.IsNaN(d4);
            case ("math.isInf", 1) when a[0] is double d5: return double.IsInfinity(d5);
            case ("semver", 1 or 2) when a[0] is string sv:
                return CelSemver.Parse(sv, a.Length == 2 && a[1] is true) is CelSemver parsed ? parsed : new CelError($"invalid semver '{sv}': No Major.Minor.Patch elements found");
            case ("isSemver", 1 or 2) when a[0] is string sv2:
                return CelSemver.Parse(sv2, a.Length == 2 && a[1] is true) is not null;
            case ("jsonpatch.escapeKey", 1) when a[0] is string key:
                return key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
            case ("format.named", 1) when a[0] is string fname:
                return CelFormat.Named(fname) is CelFormat f ? CelOptional.Of(f) : CelOptional.None;
        }
        if (name.StartsWith("format.", StringComparison.Ordinal) && a.Length == 0 && CelFormat.Named(name["format.".Length..]) is CelFormat format)
        {
            return format;
        }
        return CelOps.NoOverload(name, a);
    }

    private static object? Member(CelContext cx, string name, object? t, object?[] a)
    {
        switch (t)
        {
            case string s:
                cx.Spend(1 + s.Length / 16);
                return StringMember(cx, name, s, a);
            case IList<object?> list:
                cx.Spend(1 + list.Count / 8);
                return ListMember(cx, name, list, a);
            case CelMapValue map when name == "size" && a.Length == 0:
                return (long)map.Count;
            case CelBytes b when name == "size" && a.Length == 0:
                return (long)b.Data.Length;
            case CelOptional opt:
                switch (name, a.Length)
                {
                    case ("hasValue", 0): return opt.HasValue;
                    case ("value", 0): return opt.HasValue ? opt.Value : new CelError("optional.none() dereference");
                    case ("orValue", 1): return opt.HasValue ? opt.Value : a[0];
                    case ("or", 1) when a[0] is CelOptional other: return opt.HasValue ? opt : other;
                }
                break;
            case DateTimeOffset ts:
                return TimestampMember(name, ts, a);
            case TimeSpan d:
                switch (name)
                {
                    case "getHours": return (long)d.TotalHours;
                    case "getMinutes": return (long)d.TotalMinutes;
                    case "getSeconds": return (long)d.TotalSeconds;
                    case "getMilliseconds": return (long)d.Milliseconds;
                }
                break;
            case CelQuantity q:
                return q.Member(name, a);
            case CelSemver v:
                return v.Member(name, a);
            case CelUrl u:
                return u.Member(name, a);
            case CelIp ip:
                return ip.Member(name, a);
            case CelCidr c:
                return c.Member(name, a);
            case CelFormat f when name == "validate" && a.Length == 1 && a[0] is string value:
                return f.Validate(value);
        }
        return CelOps.NoOverload(name, Prepend(t, a));
    }

    private static object?[] Prepend(object? t, object?[] a) => new[] { t }.Concat(a).ToArray();

    private static object? StringMember(CelContext cx, string name, string s, object?[] a)
    {
        switch (name, a.Length)
        {
            case ("size", 0): return (long)CodePoints(s).Length;
            case ("contains", 1) when a[0] is string x: return s.Contains(x, StringComparison.Ordinal);
            case ("startsWith", 1) when a[0] is string x: return s.StartsWith(x, StringComparison.Ordinal);
            case ("endsWith", 1) when a[0] is string x: return s.EndsWith(x, StringComparison.Ordinal);
            case ("matches", 1): return Matches(cx, s, a[0]);
            case ("charAt", 1) when a[0] is long i:
                {
                    int[] cps = CodePoints(s);
                    return i < 0 || i > cps.Length ? new CelError($"index out of range: {i}") : i == cps.Length ? string.Empty : char.ConvertFromUtf32(cps[i]);
                }
            case ("indexOf", 1 or 2) when a[0] is string x:
                {
                    int[] cps = CodePoints(s);
                    long from = a.Length == 2 ? a[1] as long? ?? -1 : 0;
                    if (from < 0 || from > cps.Length) return new CelError($"index out of range: {from}");
                    int[] sub = CodePoints(x);
                    for (long k = from; k + sub.Length <= cps.Length; k++)
                    {
                        if (cps.AsSpan((int)k, sub.Length).SequenceEqual(sub)) return k;
                    }
                    return -1L;
                }
            case ("lastIndexOf", 1 or 2) when a[0] is string x:
                {
                    int[] cps = CodePoints(s);
                    int[] sub = CodePoints(x);
                    long from = a.Length == 2 ? a[1] as long? ?? -1 : cps.Length;
                    if (from < 0 || from > cps.Length) return new CelError($"index out of range: {from}");
                    for (long k = Math.Min(from, cps.Length - sub.Length); k >= 0; k--)
                    {
                        if (cps.AsSpan((int)k, sub.Length).SequenceEqual(sub)) return k;
                    }
                    return -1L;
                }
            case ("lowerAscii", 0): return string.Concat(s.Select(c => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c));
            case ("upperAscii", 0): return string.Concat(s.Select(c => c is >= 'a' and <= 'z' ? (char)(c - 32) : c));
            case ("replace", 2 or 3) when a[0] is string from && a[1] is string to:
                {
                    long n = a.Length == 3 ? a[2] as long? ?? -1 : -1;
                    if (n < 0) return from.Length == 0 ? string.Join(to, CodePoints(s).Select(char.ConvertFromUtf32).Prepend(string.Empty).Append(string.Empty)) : s.Replace(from, to, StringComparison.Ordinal);
                    var sb = new StringBuilder();
                    int at = 0;
                    for (long k = 0; k < n; k++)
                    {
                        int found = s.IndexOf(from, at, StringComparison.Ordinal);
                        if (found < 0 || from.Length == 0) break;
                        sb.Append(s, at, found - at).Append(to);
                        at = found + from.Length;
                    }
                    return sb.Append(s, at, s.Length - at).ToString();
                }
            case ("split", 1 or 2) when a[0] is string sep:
                {
                    long n = a.Length == 2 ? a[1] as long? ?? -1 : -1;
                    if (n == 0) return new List<object?>();
                    if (sep.Length == 0)
                    {
                        var chars = CodePoints(s).Select(char.ConvertFromUtf32).Cast<object?>().ToList();
                        if (n > 0 && chars.Count > n)
                        {
                            string rest = string.Concat(chars.Skip((int)n - 1));
                            chars = chars.Take((int)n - 1).Append(rest).ToList();
                        }
                        return chars;
                    }
                    return (n > 0 ? s.Split(sep, (int)Math.Min(n, int.MaxValue)) : s.Split(sep)).Cast<object?>().ToList();
                }
            case ("substring", 1 or 2) when a[0] is long start:
                {
                    int[] cps = CodePoints(s);
                    long end = a.Length == 2 ? a[1] as long? ?? -1 : cps.Length;
                    if (start < 0 || start > cps.Length || end < start || end > cps.Length)
                    {
                        return new CelError($"index out of range: {(start < 0 || start > cps.Length ? start : end)}");
                    }
                    return string.Concat(cps.Skip((int)start).Take((int)(end - start)).Select(char.ConvertFromUtf32));
                }
            case ("trim", 0): return s.Trim();
            case ("reverse", 0): return string.Concat(Enumerable.Reverse(CodePoints(s)).Select(char.ConvertFromUtf32));
            case ("format", 1) when a[0] is IList<object?> args: return StringFormat(s, args);
            case ("find", 1) when a[0] is string re:
                {
                    Regex r = Compile(re, out CelError? err);
                    if (err is not null) return err;
                    Match m = r.Match(s);
                    return m.Success ? m.Value : string.Empty;
                }
            case ("findAll", 1 or 2) when a[0] is string re:
                {
                    Regex r = Compile(re, out CelError? err);
                    if (err is not null) return err;
                    long n = a.Length == 2 ? a[1] as long? ?? -1 : -1;
                    var all = r.Matches(s).Select(m => (object?)m.Value);
                    return (n >= 0 ? all.Take((int)Math.Min(n, int.MaxValue)) : all).ToList();
                }
        }
        return CelOps.NoOverload(name, Prepend(s, a));
    }

    private static object? ListMember(CelContext cx, string name, IList<object?> list, object?[] a)
    {
        switch (name, a.Length)
        {
            case ("size", 0): return (long)list.Count;
            case ("join", 0 or 1):
                {
                    string sep = a.Length == 1 ? a[0] as string ?? string.Empty : string.Empty;
                    if (list.Any(x => x is not string)) return CelOps.NoOverload("join", list);
                    return string.Join(sep, list.Cast<string>());
                }
            case ("isSorted", 0):
                for (int i = 1; i < list.Count; i++)
                {
                    object c = CelOps.Compare("<=", list[i - 1], list[i]);
                    if (c is CelError) return c;
                    if (c is false) return false;
                }
                return true;
            case ("sum", 0):
                {
                    if (list.Count == 0) return 0L;
                    object? total = list[0] is long or ulong or double or TimeSpan ? list[0] : CelOps.NoOverload("sum", list[0]);
                    for (int i = 1; i < list.Count && total is not CelError; i++)
                    {
                        total = CelOps.Add(total, list[i]);
                    }
                    return total;
                }
            case ("min" or "max", 0):
                return list.Count == 0 ? new CelError($"{name} called on empty list") : Extreme(list, name == "max");
            case ("indexOf", 1):
                for (int i = 0; i < list.Count; i++)
                {
                    if (CelOps.Equal(list[i], a[0]) is true) return (long)i;
                }
                return -1L;
            case ("lastIndexOf", 1):
                for (int i = list.Count - 1; i >= 0; i--)
                {
                    if (CelOps.Equal(list[i], a[0]) is true) return (long)i;
                }
                return -1L;
            case ("distinct", 0):
                {
                    var result = new List<object?>();
                    foreach (object? x in list)
                    {
                        if (!result.Any(y => CelOps.Equal(x, y) is true)) result.Add(x);
                    }
                    return result;
                }
            case ("flatten", 0 or 1):
                {
                    long depth = a.Length == 1 ? a[0] as long? ?? 1 : 1;
                    if (depth < 0) return new CelError("level must be non-negative");
                    IEnumerable<object?> Flat(IEnumerable<object?> items, long d) =>
                        items.SelectMany(x => d > 0 && x is IList<object?> inner ? Flat(inner, d - 1) : new[] { x });
                    return Flat(list, depth).ToList();
                }
            case ("slice", 2) when a[0] is long from && a[1] is long to:
                return from < 0 || to < from || to > list.Count ? new CelError($"cannot slice({from}, {to})") : list.Skip((int)from).Take((int)(to - from)).ToList();
            case ("reverse", 0):
                return Enumerable.Reverse(list).ToList();
            case ("sort", 0):
                {
                    var sorted = list.ToList();
                    CelError? err = null;
                    sorted.Sort((x, y) =>
                    {
                        if (CelOps.Compare("<", x, y) is true) return -1;
                        if (CelOps.Compare("<", y, x) is true) return 1;
                        if (CelOps.Compare("<", x, y) is CelError e) err ??= e;
                        return 0;
                    });
                    return err ?? (object)sorted;
                }
        }
        return CelOps.NoOverload(name, Prepend(list, a));
    }

    private static object? Extreme(IEnumerable<object?> items, bool greatest)
    {
        object? best = null;
        bool first = true;
        foreach (object? x in items)
        {
            if (first)
            {
                if (x is not (long or ulong or double or string or TimeSpan or DateTimeOffset or bool)) return CelOps.NoOverload(greatest ? "max" : "min", x);
                best = x;
                first = false;
                continue;
            }
            object c = CelOps.Compare(greatest ? ">" : "<", x, best);
            if (c is CelError) return c;
            if (c is true) best = x;
        }
        return first ? new CelError("no arguments") : best;
    }

    private static object TimestampMember(string name, DateTimeOffset ts, object?[] a)
    {
        DateTimeOffset t = ts;
        if (a.Length == 1 && a[0] is string zone)
        {
            if (TryOffset(zone, out TimeSpan offset))
            {
                t = ts.ToOffset(offset);
            }
            else
            {
                try
                {
                    t = TimeZoneInfo.ConvertTime(ts, TimeZoneInfo.FindSystemTimeZoneById(zone));
                }
                catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
                {
                    return new CelError($"unknown time zone '{zone}'");
                }
            }
        }
        return name switch
        {
            "getFullYear" => (long)t.Year,
            "getMonth" => (long)t.Month - 1,
            "getDate" => (long)t.Day,
            "getDayOfMonth" => (long)t.Day - 1,
            "getDayOfWeek" => (long)t.DayOfWeek,
            "getDayOfYear" => (long)t.DayOfYear - 1,
            "getHours" => (long)t.Hour,
            "getMinutes" => (long)t.Minute,
            "getSeconds" => (long)t.Second,
            "getMilliseconds" => (long)t.Millisecond,
            _ => CelOps.NoOverload(name, ts),
        };
    }

    private static bool TryOffset(string zone, out TimeSpan offset)
    {
        offset = default;
        var m = Regex.Match(zone, "^([+-])?([0-9]{2}):([0-9]{2})$");
        if (!m.Success) return false;
        offset = new TimeSpan(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), 0);
        if (m.Groups[1].Value == "-") offset = -offset;
        return true;
    }

    private static int[] CodePoints(string s)
    {
        var list = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(char.ConvertToUtf32(s[i], s[i + 1]));
                i++;
            }
            else
            {
                list.Add(s[i]);
            }
        }
        return list.ToArray();
    }

    private static object Size(CelContext cx, object? v) => v switch
    {
        string s => (long)CodePoints(s).Length,
        CelBytes b => (long)b.Data.Length,
        IList<object?> l => (long)l.Count,
        CelMapValue m => (long)m.Count,
        _ => CelOps.NoOverload("size", v),
    };

    /// <summary>RE2 syntax on .NET's NonBacktracking engine; (?P&lt;name&gt;) is accepted as RE2 writes named groups.</summary>
    private static Regex Compile(string pattern, out CelError? error)
    {
        error = null;
        try
        {
            return BoundedPattern.Cached(pattern.Replace("(?P<", "(?<", StringComparison.Ordinal));
        }
        catch (ArgumentException e)
        {
            error = new CelError($"invalid regular expression '{pattern}': {e.Message}");
            return null!;
        }
    }

    private static object Matches(CelContext cx, object? s, object? re)
    {
        if (s is not string text || re is not string pattern)
        {
            return CelOps.NoOverload("matches", s, re);
        }
        cx.Spend(1 + text.Length / 8);
        Regex r = Compile(pattern, out CelError? err);
        if (err is not null) return err;
        try
        {
            return r.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new CelAbortException("CostExceeded", $"the regular expression '{pattern}' is too costly to evaluate");
        }
    }

    private static object ToInt(object? v)
    {
        switch (v)
        {
            case long l: return l;
            case ulong u: return u > long.MaxValue ? new CelError("range error converting uint to int") : (long)u;
            case double d:
                if (double.IsNaN(d) || double.IsInfinity(d) || d >= 9.2233720368547758E18 || d <= -9.2233720368547758E18)
                {
                    return new CelError("range error converting double to int");
                }
                return (long)Math.Truncate(d);
            case string s: return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long p) ? p : new CelError($"type conversion error from 'string' to 'int': {s}");
            case DateTimeOffset t: return t.ToUnixTimeSeconds();
            case bool b: return b ? 1L : 0L;
        }
        return CelOps.NoOverload("int", v);
    }

    private static object ToUint(object? v)
    {
        switch (v)
        {
            case ulong u: return u;
            case long l: return l < 0 ? new CelError("range error converting int to uint") : (ulong)l;
            case double d:
                if (double.IsNaN(d) || d < 0 || d >= 1.8446744073709552E19 || double.IsInfinity(d))
                {
                    return new CelError("range error converting double to uint");
                }
                return (ulong)Math.Truncate(d);
            case string s: return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong p) ? p : new CelError($"type conversion error from 'string' to 'uint': {s}");
            case bool b: return b ? 1UL : 0UL;
        }
        return CelOps.NoOverload("uint", v);
    }

    private static object ToDouble(object? v) => v switch
    {
        double d => d,
        long l => (double)l,
        ulong u => (double)u,
        string s => s switch
        {
            "NaN" => double.NaN,
            "Infinity" or "+Infinity" or "inf" or "+inf" => double.PositiveInfinity,
            "-Infinity" or "-inf" => double.NegativeInfinity,
            _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) ? p : new CelError($"type conversion error from 'string' to 'double': {s}"),
        },
        _ => CelOps.NoOverload("double", v),
    };

    private static object ToCelString(object? v)
    {
        switch (v)
        {
            case string or bool or long or ulong or double or TimeSpan or DateTimeOffset:
                return CelOps.Format(v);
            case CelBytes b:
                try
                {
                    return new UTF8Encoding(false, true).GetString(b.Data);
                }
                catch (DecoderFallbackException)
                {
                    return new CelError("invalid UTF-8 in bytes, cannot convert to string");
                }
            case ICelObject o:
                return o.ToString()!;
        }
        return CelOps.NoOverload("string", v);
    }

    private static object ParseDuration(string s)
    {
        // Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+
        var m = Regex.Match(s, @"^([-+]?)((?:[0-9]*(?:\.[0-9]*)?(?:ns|us|µs|ms|s|m|h))+)$");
        if (!m.Success || s is "" or "-" or "+")
        {
            return s == "0" ? TimeSpan.Zero : new CelError($"invalid duration '{s}'");
        }
        decimal totalNs = 0;
        foreach (Match part in Regex.Matches(m.Groups[2].Value, @"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)"))
        {
            if (!decimal.TryParse(part.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal n))
            {
                return new CelError($"invalid duration '{s}'");
            }
            totalNs += n * part.Groups[2].Value switch { "ns" => 1m, "us" or "µs" => 1e3m, "ms" => 1e6m, "s" => 1e9m, "m" => 60e9m, _ => 3600e9m };
        }
        if (m.Groups[1].Value == "-") totalNs = -totalNs;
        try
        {
            return CelOps.CheckDuration(TimeSpan.FromTicks((long)(totalNs / 100)));
        }
        catch (OverflowException)
        {
            return new CelError("duration out of range");
        }
    }

    private static bool IsZero(object? v) => v switch
    {
        null => true,
        false => true,
        0L => true,
        0UL => true,
        double d => d == 0,
        string s => s.Length == 0,
        CelBytes b => b.Data.Length == 0,
        IList<object?> l => l.Count == 0,
        CelMapValue m => m.Count == 0,
        TimeSpan t => t == TimeSpan.Zero,
        _ => false,
    };

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '\a' => "\\a",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\v' => "\\v",
                '\\' => "\\\\",
                '"' => "\\\"",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    /// <summary>cel-go's string.format: %s %d %f %e %x %X %o %b and %%, with an optional precision for %f and %e.</summary>
    private static object StringFormat(string format, IList<object?> args)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                sb.Append(format[i]);
                continue;
            }
            if (++i >= format.Length) return new CelError("unexpected end of format string");
            if (format[i] == '%')
            {
                sb.Append('%');
                continue;
            }
            int? precision = null;
            if (format[i] == '.')
            {
                int start = ++i;
                while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
                precision = int.Parse(format.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            }
            if (i >= format.Length) return new CelError("unexpected end of format string");
            if (next >= args.Count) return new CelError($"index {next} out of range");
            object? arg = args[next++];
            switch (format[i])
            {
                case 's':
                    sb.Append(arg is string str ? str : CelOps.Format(arg));
                    break;
                case 'd':
                    if (arg is not (long or ulong)) return new CelError($"error during formatting: decimal clause can only be used on integers, was given {CelOps.TypeName(arg)}");
                    sb.Append(CelOps.Format(arg));
                    break;
                case 'f' or 'e':
                    if (arg is not (double or long or ulong)) return new CelError($"error during formatting: fixed-point clause can only be used on doubles, was given {CelOps.TypeName(arg)}");
                    double dv = CelOps.ToDouble(arg);
                    if (double.IsNaN(dv) || double.IsInfinity(dv))
                    {
                        sb.Append(double.IsNaN(dv) ? "NaN" : dv > 0 ? "Infinity" : "-Infinity");
                    }
                    else if (format[i] == 'f')
                    {
                        sb.Append(dv.ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        string e = dv.ToString((precision ?? 6) == 0 ? "0e+00" : "0." + new string('0', precision ?? 6) + "e+00", CultureInfo.InvariantCulture);
                        sb.Append(e);
                    }
                    break;
                case 'x' or 'X' or 'o' or 'b':
                    {
                        string digits;
                        switch (arg)
                        {
                            case long l:
                                digits = format[i] switch
                                {
                                    'o' => Convert.ToString(Math.Abs(l), 8),
                                    'b' => Convert.ToString(Math.Abs(l), 2),
                                    _ => Math.Abs(l).ToString("x", CultureInfo.InvariantCulture),
                                };
                                if (l < 0) digits = "-" + digits;
                                break;
                            case ulong u:
                                digits = format[i] switch { 'o' => Convert.ToString((long)u, 8), 'b' => Convert.ToString((long)u, 2), _ => u.ToString("x", CultureInfo.InvariantCulture) };
                                break;
                            case string hexText when format[i] is 'x' or 'X':
                                digits = Convert.ToHexString(Encoding.UTF8.GetBytes(hexText)).ToLowerInvariant();
                                break;
                            case CelBytes by when format[i] is 'x' or 'X':
                                digits = Convert.ToHexString(by.Data).ToLowerInvariant();
                                break;
                            default:
                                return new CelError($"error during formatting: only integers, byte buffers, and strings can be formatted as hex, was given {CelOps.TypeName(arg)}");
                        }
                        sb.Append(format[i] == 'X' ? digits.ToUpperInvariant() : digits);
                        break;
                    }
                default:
                    return new CelError($"could not parse formatting clause: unrecognized formatting clause \"{format[i]}\"");
            }
        }
        return sb.ToString();
    }
}

/// <summary>The authorizer variable: any use is undecided offline (an Error result, never a Pass).</summary>
internal sealed class CelAuthorizer : ICelFields
{
    public static readonly CelAuthorizer Instance = new();

    public object? Field(string name, bool test, bool optional) =>
        throw new CelAbortException("Undecided", "the expression asks the authorizer, whose answer only the API server has");
}

/// <summary>A Kubernetes resource.Quantity (k8s.io/apiserver/pkg/cel/library/quantity.go).</summary>
internal sealed class CelQuantity : ICelObject, IEquatable<CelQuantity>
{
    private readonly decimal _value;
    private readonly string _text;

    private CelQuantity(decimal value, string text)
    {
        _value = value;
        _text = text;
    }

    public string TypeName => "kubernetes.Quantity";

    public static CelQuantity? Parse(string s)
    {
        var m = Regex.Match(s, @"^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$");
        if (!m.Success || !decimal.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal n))
        {
            return null;
        }
        string suffix = m.Groups[2].Value;
        decimal factor;
        if (suffix.Length > 1 && (suffix[0] is 'e' or 'E'))
        {
            if (!int.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int exp) || exp > 18 || exp < -9) return null;
            factor = (decimal)Math.Pow(10, exp);
        }
        else
        {
            factor = suffix switch
            {
                "" => 1m, "n" => 1e-9m, "u" => 1e-6m, "m" => 1e-3m, "k" => 1e3m, "M" => 1e6m, "G" => 1e9m, "T" => 1e12m, "P" => 1e15m, "E" => 1e18m,
                "Ki" => 1024m, "Mi" => 1048576m, "Gi" => 1073741824m, "Ti" => 1099511627776m, "Pi" => 1125899906842624m, "Ei" => 1152921504606846976m,
                _ => 1m,
            };
        }
        try
        {
            return new CelQuantity(n * factor, s);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    public object? Member(string name, object?[] a)
    {
        switch (name, a.Length)
        {
            case ("sign", 0): return (long)Math.Sign(_value);
            case ("isInteger", 0): return _value == Math.Truncate(_value) && _value <= long.MaxValue && _value >= long.MinValue;
            case ("asInteger", 0): return _value == Math.Truncate(_value) && _value <= long.MaxValue && _value >= long.MinValue ? (long)_value : new CelError("cannot convert value to integer");
            case ("asApproximateFloat", 0): return (double)_value;
            case ("isGreaterThan", 1) when a[0] is CelQuantity q: return _value > q._value;
            case ("isLessThan", 1) when a[0] is CelQuantity q: return _value < q._value;
            case ("compareTo", 1) when a[0] is CelQuantity q: return (long)_value.CompareTo(q._value);
            case ("add", 1): return a[0] switch { CelQuantity q => new CelQuantity(_value + q._value, (_value + q._value).ToString(CultureInfo.InvariantCulture)), long l => new CelQuantity(_value + l, (_value + l).ToString(CultureInfo.InvariantCulture)), _ => CelOps.NoOverload("add", this, a[0]) };
            case ("sub", 1): return a[0] switch { CelQuantity q => new CelQuantity(_value - q._value, (_value - q._value).ToString(CultureInfo.InvariantCulture)), long l => new CelQuantity(_value - l, (_value - l).ToString(CultureInfo.InvariantCulture)), _ => CelOps.NoOverload("sub", this, a[0]) };
        }
        return CelOps.NoOverload(name, this);
    }

    public bool Equals(CelQuantity? other) => other is not null && other._value == _value;

    public override bool Equals(object? obj) => Equals(obj as CelQuantity);

    public override int GetHashCode() => _value.GetHashCode();

    public override string ToString() => _text;
}

/// <summary>A URL (library/urls.go): scheme, host, port, escaped path and query of an absolute URI or an absolute path.</summary>
internal sealed class CelUrl : ICelObject, IEquatable<CelUrl>
{
    private readonly Uri? _uri;
    private readonly string _text;

    private CelUrl(Uri? uri, string text)
    {
        _uri = uri;
        _text = text;
    }

    public string TypeName => "kubernetes.URL";

    public static CelUrl? Parse(string s)
    {
        if (s.StartsWith('/'))
        {
            return Uri.TryCreate("http://placeholder" + s, UriKind.Absolute, out Uri? rel) ? new CelUrl(new Uri("http://placeholder" + s), s) : null;
        }
        return Uri.TryCreate(s, UriKind.Absolute, out Uri? u) && s.Contains("://", StringComparison.Ordinal) ? new CelUrl(u, s) : null;
    }

    private bool Relative => _text.StartsWith('/');

    public object? Member(string name, object?[] a)
    {
        if (a.Length != 0 || _uri is null) return CelOps.NoOverload(name, this);
        return name switch
        {
            "getScheme" => Relative ? string.Empty : _uri.Scheme,
            "getHost" => Relative ? string.Empty : _uri.HostNameType == UriHostNameType.IPv6 ? $"[{_uri.Host.Trim('[', ']')}]" + (_uri.IsDefaultPort && !HasExplicitPort ? string.Empty : ":" + _uri.Port) : _uri.Host + (HasExplicitPort ? ":" + _uri.Port : string.Empty),
            "getHostname" => Relative ? string.Empty : _uri.Host.Trim('[', ']'),
            "getPort" => Relative || !HasExplicitPort ? string.Empty : _uri.Port.ToString(CultureInfo.InvariantCulture),
            "getEscapedPath" => _uri.AbsolutePath,
            "getQuery" => Query(),
            _ => CelOps.NoOverload(name, this),
        };
    }

    private bool HasExplicitPort => Regex.IsMatch(_text, @"^[a-zA-Z][a-zA-Z0-9+.\-]*://(\[[^\]]*\]|[^/:?#]*):[0-9]+");

    private CelMapValue Query()
    {
        var map = new CelMapValue();
        foreach (string pair in _uri!.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0].Replace('+', ' '));
            string value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : string.Empty;
            if (!map.TryGetValue(key, out object? list)) map[key] = list = new List<object?>();
            ((List<object?>)list!).Add(value);
        }
        return map;
    }

    public bool Equals(CelUrl? other) => other is not null && other._text == _text;

    public override bool Equals(object? obj) => Equals(obj as CelUrl);

    public override int GetHashCode() => _text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => _text;
}

/// <summary>An IP address (library/ip.go): IPv4 or IPv6, no zones, no IPv4-mapped IPv6.</summary>
internal sealed class CelIp : ICelObject, IEquatable<CelIp>
{
    public CelIp(IPAddress address) => Address = address;

    public IPAddress Address { get; }

    public string TypeName => "net.IP";

    public static CelIp? Parse(string s)
    {
        if (s.Contains('%') || !IPAddress.TryParse(s, out IPAddress? a) || (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && s.Count(c => c == '.') != 3) || a.IsIPv4MappedToIPv6)
        {
            return null;
        }
        if (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && s.Split('.').Any(p => p.Length > 1 && p[0] == '0'))
        {
            return null; // leading zeros are rejected, as netip.ParseAddr does
        }
        return new CelIp(a);
    }

    public object? Member(string name, object?[] a)
    {
        byte[] b = Address.GetAddressBytes();
        bool v4 = b.Length == 4;
        return (name, a.Length) switch
        {
            ("family", 0) => v4 ? 4L : 6L,
            ("isUnspecified", 0) => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any),
            ("isLoopback", 0) => IPAddress.IsLoopback(Address),
            ("isLinkLocalMulticast", 0) => v4 ? b[0] == 224 && b[1] == 0 && b[2] == 0 : b[0] == 0xff && (b[1] & 0x0f) == 0x02,
            ("isLinkLocalUnicast", 0) => v4 ? b[0] == 169 && b[1] == 254 : Address.IsIPv6LinkLocal,
            ("isGlobalUnicast", 0) => !(Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(Address) ||
                (v4 ? b[0] >= 224 || (b[0] == 169 && b[1] == 254) || Address.Equals(IPAddress.Broadcast) : b[0] == 0xff || Address.IsIPv6LinkLocal)),
            _ => CelOps.NoOverload(name, this),
        };
    }

    public bool Equals(CelIp? other) => other is not null && other.Address.Equals(Address);

    public override bool Equals(object? obj) => Equals(obj as CelIp);

    public override int GetHashCode() => Address.GetHashCode();

    public override string ToString() => Address.ToString();
}

/// <summary>A CIDR (library/cidr.go).</summary>
internal sealed class CelCidr : ICelObject, IEquatable<CelCidr>
{
    private readonly CelIp _ip;
    private readonly int _prefix;

    private CelCidr(CelIp ip, int prefix)
    {
        _ip = ip;
        _prefix = prefix;
    }

    public string TypeName => "net.IPPrefix";

    public static CelCidr? Parse(string s)
    {
        int slash = s.IndexOf('/');
        if (slash < 0 || CelIp.Parse(s[..slash]) is not CelIp ip || !int.TryParse(s.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix))
        {
            return null;
        }
        int bits = ip.Address.GetAddressBytes().Length * 8;
        return prefix > bits || s[(slash + 1)..].StartsWith('0') && prefix != 0 ? null : new CelCidr(ip, prefix);
    }

    private static byte[] Mask(byte[] b, int prefix)
    {
        var r = (byte[])b.Clone();
        for (int i = 0; i < r.Length; i++)
        {
            int keep = Math.Clamp(prefix - (i * 8), 0, 8);
            r[i] &= (byte)(0xff << (8 - keep));
        }
        return r;
    }

    private bool ContainsAddress(IPAddress a)
    {
        byte[] mine = _ip.Address.GetAddressBytes(), other = a.GetAddressBytes();
        return mine.Length == other.Length && Mask(mine, _prefix).AsSpan().SequenceEqual(Mask(other, _prefix));
    }

    public object? Member(string name, object?[] a)
    {
        switch (name, a.Length)
        {
            case ("containsIP", 1):
                {
                    CelIp? ip = a[0] as CelIp ?? (a[0] is string s ? CelIp.Parse(s) : null);
                    return ip is null ? new CelError("containsIP: not an IP address") : ContainsAddress(ip.Address);
                }
            case ("containsCIDR", 1):
                {
                    CelCidr? c = a[0] as CelCidr ?? (a[0] is string s ? Parse(s) : null);
                    return c is null ? new CelError("containsCIDR: not a CIDR") : c._prefix >= _prefix && ContainsAddress(c._ip.Address);
                }
            case ("ip", 0): return _ip;
            case ("masked", 0): return new CelCidr(new CelIp(new IPAddress(Mask(_ip.Address.GetAddressBytes(), _prefix))), _prefix);
            case ("prefixLength", 0): return (long)_prefix;
        }
        return CelOps.NoOverload(name, this);
    }

    public bool Equals(CelCidr? other) => other is not null && other._prefix == _prefix && other._ip.Equals(_ip);

    public override bool Equals(object? obj) => Equals(obj as CelCidr);

    public override int GetHashCode() => HashCode.Combine(_ip, _prefix);

    public override string ToString() => $"{_ip}/{_prefix}";
}

/// <summary>A named format (library/format.go): validate(value) is optional.none() when valid, else optional.of(errors).</summary>
internal sealed class CelFormat : ICelObject
{
    private readonly string _name;
    private readonly Func<string, string[]> _validate;

    private CelFormat(string name, Func<string, string[]> validate)
    {
        _name = name;
        _validate = validate;
    }

    public string TypeName => "kubernetes.NamedFormat";

    private static string[] Check(string value, int max, string pattern, string what) =>
        new[]
        {
            value.Length > max ? $"must be no more than {max} characters" : null,
            Regex.IsMatch(value, pattern) ? null : what,
        }.OfType<string>().ToArray();

    private const string Label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

    public static CelFormat? Named(string name) => name switch
    {
        "dns1123Label" => new(name, v => Check(v, 63, $"^{Label}$", "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character")),
        "dns1123Subdomain" => new(name, v => Check(v, 253, $"^{Label}(\\.{Label})*$", "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")),
        "dns1035Label" => new(name, v => Check(v, 63, "^[a-z]([-a-z0-9]*[a-z0-9])?$", "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character")),
        "dns1123LabelPrefix" => new(name, v => Check(v, 63, "^[a-z0-9]([-a-z0-9]*)?$", "a lowercase RFC 1123 label prefix must consist of lower case alphanumeric characters or '-', and must start with an alphanumeric character")),
        "dns1123SubdomainPrefix" => new(name, v => Check(v, 253, $"^({Label}\\.)*[a-z0-9]([-a-z0-9]*)?$", "a lowercase RFC 1123 subdomain prefix must consist of lower case alphanumeric characters, '-' or '.'")),
        "dns1035LabelPrefix" => new(name, v => Check(v, 63, "^[a-z]([-a-z0-9]*)?$", "a DNS-1035 label prefix must consist of lower case alphanumeric characters or '-', and must start with an alphabetic character")),
        "qualifiedName" => new(name, v => Check(v.Contains('/') ? v[(v.IndexOf('/') + 1)..] : v, 63, "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$", "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")),
        "labelValue" => new(name, v => v.Length == 0 ? Array.Empty<string>() : Check(v, 63, "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")),
        "uri" => new(name, v => Uri.TryCreate(v, UriKind.RelativeOrAbsolute, out _) ? Array.Empty<string>() : new[] { "invalid URI" }),
        "uuid" => new(name, v => Regex.IsMatch(v, "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$") ? Array.Empty<string>() : new[] { "does not match the UUID format" }),
        "byte" => new(name, v => { try { Convert.FromBase64String(v); return Array.Empty<string>(); } catch (FormatException) { return new[] { "invalid base64" }; } }),
        "date" => new(name, v => DateTime.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? Array.Empty<string>() : new[] { "invalid date" }),
        "datetime" => new(name, v => DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) && v.Contains('T') ? Array.Empty<string>() : new[] { "invalid datetime" }),
        _ => null,
    };

    public object Validate(string value)
    {
        string[] errors = _validate(value);
        return errors.Length == 0 ? CelOptional.None : CelOptional.Of(errors.Cast<object?>().ToList());
    }

    public override string ToString() => $"format.{_name}";
}

/// <summary>A semantic version (library/semverlib.go, blang/semver): strict SemVer 2.0, or normalized (a leading v, missing minor or patch, leading zeros).</summary>
internal sealed class CelSemver : ICelObject, IEquatable<CelSemver>
{
    private static readonly Regex Strict = new(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    private readonly ulong _major, _minor, _patch;
    private readonly string[] _pre;
    private readonly string _text;

    private CelSemver(ulong major, ulong minor, ulong patch, string[] pre, string text)
    {
        (_major, _minor, _patch, _pre, _text) = (major, minor, patch, pre, text);
    }

    public string TypeName => "kubernetes.Semver";

    public static CelSemver? Parse(string s, bool normalize)
    {
        string text = s;
        if (normalize)
        {
            if (text.StartsWith('v')) text = text[1..];
            var m = Regex.Match(text, @"^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?([-+].*)?$");
            if (!m.Success) return null;
            string Num(Group g) => g.Success ? g.Value.TrimStart('0') is { Length: > 0 } t ? t : "0" : "0";
            text = $"{Num(m.Groups[1])}.{Num(m.Groups[2])}.{Num(m.Groups[3])}{m.Groups[4].Value}";
        }
        Match strict = Strict.Match(text);
        if (!strict.Success || !ulong.TryParse(strict.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong major) ||
            !ulong.TryParse(strict.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong minor) ||
            !ulong.TryParse(strict.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong patch))
        {
            return null;
        }
        return new CelSemver(major, minor, patch, strict.Groups[4].Success ? strict.Groups[4].Value.Split('.') : Array.Empty<string>(), text);
    }

    private int CompareTo(CelSemver o)
    {
        int c = _major.CompareTo(o._major);
        if (c == 0) c = _minor.CompareTo(o._minor);
        if (c == 0) c = _patch.CompareTo(o._patch);
        if (c != 0) return c;
        // A version without a pre-release has higher precedence; identifiers compare numerically, then lexically.
        if (_pre.Length == 0 || o._pre.Length == 0)
        {
            return _pre.Length == o._pre.Length ? 0 : _pre.Length == 0 ? 1 : -1;
        }
        for (int i = 0; i < Math.Min(_pre.Length, o._pre.Length); i++)
        {
            bool an = ulong.TryParse(_pre[i], out ulong a), bn = ulong.TryParse(o._pre[i], out ulong b);
            c = an && bn ? a.CompareTo(b) : an ? -1 : bn ? 1 : string.CompareOrdinal(_pre[i], o._pre[i]);
            if (c != 0) return Math.Sign(c);
        }
        return _pre.Length.CompareTo(o._pre.Length);
    }

    public object? Member(string name, object?[] a) => (name, a.Length) switch
    {
        ("major", 0) => (long)_major,
        ("minor", 0) => (long)_minor,
        ("patch", 0) => (long)_patch,
        ("isGreaterThan", 1) when a[0] is CelSemver o => CompareTo(o) > 0,
        ("isLessThan", 1) when a[0] is CelSemver o => CompareTo(o) < 0,
        ("compareTo", 1) when a[0] is CelSemver o => (long)Math.Sign(CompareTo(o)),
        _ => CelOps.NoOverload(name, this),
    };

    public bool Equals(CelSemver? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => Equals(obj as CelSemver);

    public override int GetHashCode() => HashCode.Combine(_major, _minor, _patch);

    public override string ToString() => _text;
}
