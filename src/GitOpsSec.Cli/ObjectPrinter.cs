using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Text.Json;

namespace GitOpsSec.Cli;

/// <summary>
/// Prints pipeline objects without Format-Table (the in-process engine has no Utility module):
/// a table of the type's default display properties, a list, or JSON.
/// </summary>
internal sealed class ObjectPrinter
{
    private const int MaxColumnWidth = 60;
    private readonly TextWriter _out;
    private readonly string _format;
    private readonly List<PSObject> _batch = new();
    private string? _batchType;
    private bool _firstJson = true;

    public ObjectPrinter(TextWriter output, string format)
    {
        _out = output;
        _format = format;
        if (format == "json")
        {
            _out.WriteLine("[");
        }
    }

    /// <summary>Renders what Format-Table, Format-List and the like produced (Out-String in the same runspace).</summary>
    public Func<IReadOnlyList<PSObject>, IEnumerable<string>>? FormatRenderer { get; init; }

    private readonly List<PSObject> _formatted = new();

    public void Add(PSObject obj)
    {
        if (FormatRenderer is not null && obj.BaseObject?.GetType().FullName?.StartsWith("Microsoft.PowerShell.Commands.Internal.Format.", StringComparison.Ordinal) == true)
        {
            // The pipeline ended in a Format-* command: its records are only readable through Out-String.
            _formatted.Add(obj);
            return;
        }
        switch (_format)
        {
            case "json":
                _out.Write(_firstJson ? "  " : ",\n  ");
                _firstJson = false;
                _out.Write(JsonSerializer.Serialize(ToPlain(obj, 0)));
                break;
            case "jsonl":
                _out.WriteLine(JsonSerializer.Serialize(ToPlain(obj, 0)));
                _out.Flush();
                break;
            case "list" when obj.BaseObject is string or ValueType:
                _out.WriteLine(obj.BaseObject is string text ? text.TrimEnd('\n') : Show(obj.BaseObject));
                break;
            case "list":
                foreach (string name in DisplayProperties(obj))
                {
                    _out.WriteLine($"{name,-18}: {Show(Value(obj, name))}");
                }
                _out.WriteLine();
                break;
            default:
                string type = obj.TypeNames.Count > 0 ? obj.TypeNames[0] : "?";
                if (type != _batchType)
                {
                    Flush();
                    _batchType = type;
                }
                _batch.Add(obj);
                break;
        }
    }

    public void Flush()
    {
        if (_formatted.Count > 0)
        {
            foreach (string line in FormatRenderer!(_formatted.ToList()))
            {
                _out.WriteLine(line);
            }
            _formatted.Clear();
        }
        if (_format == "jsonl")
        {
            return;
        }
        if (_format == "json")
        {
            _out.WriteLine(_firstJson ? "]" : "\n]");
            _firstJson = true;
            return;
        }
        if (_batch.Count == 0)
        {
            return;
        }
        PSObject first = _batch[0];
        if (first.BaseObject is string or ValueType)
        {
            foreach (PSObject o in _batch)
            {
                // Strings as they are (a YAML manifest keeps its lines); other scalars formatted.
                _out.WriteLine(o.BaseObject is string text ? text.TrimEnd('\n') : Show(o.BaseObject));
            }
            _batch.Clear();
            return;
        }
        List<string> columns = DisplayProperties(first).ToList();
        var rows = _batch.Select(o => columns.Select(c => Show(Value(o, c))).ToArray()).ToList();
        int[] widths = columns.Select((c, i) => Math.Min(MaxColumnWidth, Math.Max(c.Length, rows.Max(r => r[i].Length)))).ToArray();
        widths[^1] = Math.Max(columns[^1].Length, rows.Max(r => r[^1].Length)); // the last column is never cut
        _out.WriteLine();
        _out.WriteLine(string.Join(' ', columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        _out.WriteLine(string.Join(' ', columns.Select((c, i) => new string('-', widths[i]))).TrimEnd());
        foreach (string[] row in rows)
        {
            _out.WriteLine(string.Join(' ', row.Select((v, i) => Fit(v, widths[i]))).TrimEnd());
        }
        _out.WriteLine();
        _batch.Clear();
    }

    private static object? Value(PSObject obj, string property)
    {
        try
        {
            return obj.Properties[property]?.Value;
        }
        catch (GetValueException e)
        {
            return "<" + e.Message + ">";
        }
    }

    private static string Fit(string value, int width) =>
        value.Length <= width ? value.PadRight(width) : value[..(width - 1)] + "…";

    /// <summary>The type's DefaultDisplayPropertySet (types.ps1xml), else its properties.</summary>
    private static IEnumerable<string> DisplayProperties(PSObject obj)
    {
        if (obj.Members["PSStandardMembers"]?.Value is PSMemberSet standard &&
            standard.Members["DefaultDisplayPropertySet"]?.Value is PSPropertySet set)
        {
            return set.ReferencedPropertyNames;
        }
        return obj.Properties.Select(p => p.Name).Take(8);
    }

    internal static string Show(object? value)
    {
        value = value is PSObject pso ? pso.BaseObject : value;
        return value switch
        {
            null => string.Empty,
            string s => s.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            IDictionary => "{…}",
            IEnumerable e => string.Join(", ", e.Cast<object?>().Select(Show)),
            _ => value.ToString() ?? string.Empty,
        };
    }

    private static object? ToPlain(object? value, int depth)
    {
        if (value is PSObject pso)
        {
            if (pso.BaseObject is string or ValueType || depth > 6)
            {
                return ToPlain(pso.BaseObject, depth);
            }
            if (pso.BaseObject is IDictionary or IEnumerable)
            {
                return ToPlain(pso.BaseObject, depth);
            }
            var props = new Dictionary<string, object?>();
            foreach (PSPropertyInfo p in pso.Properties)
            {
                if (p.Name == "Object")
                {
                    continue; // the raw manifest is large; ask for it explicitly with ForEach-Object Object
                }
                object? v;
                try
                {
                    v = p.Value;
                }
                catch (GetValueException)
                {
                    continue;
                }
                props[p.Name] = ToPlain(v, depth + 1);
            }
            return props;
        }
        return value switch
        {
            null => null,
            string or bool or int or long or double => value,
            Enum e => e.ToString(),
            IDictionary d when depth <= 32 => d.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => ToPlain(d[k], depth + 1)),
            IEnumerable e when depth <= 32 => e.Cast<object?>().Select(x => ToPlain(x, depth + 1)).ToList(),
            _ when value.GetType().IsPrimitive => value,
            _ when depth <= 6 && !value.GetType().IsPrimitive && value is not IFormattable => ToPlain(new PSObject(value), depth),
            _ => value.ToString(),
        };
    }
}
