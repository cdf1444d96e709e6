using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GitOpsSec.Manifests;

/// <summary>
/// Writes YAML from ordered maps (<see cref="YamlMap"/>), lists and strings. A string that a YAML
/// reader would take for a bool, number or null is double-quoted, so what is written reads back as
/// the same string.
/// </summary>
public static class YamlWriter
{
    public static string Write(YamlMap document)
    {
        using var text = new StringWriter();
        var emitter = new Emitter(text, new EmitterSettings(2, int.MaxValue, false, 1024, false, false));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, true));
        EmitValue(emitter, document);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void EmitValue(IEmitter emitter, object? value)
    {
        switch (value)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case YamlMap map:
                emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
                foreach (var (key, item) in map)
                {
                    EmitString(emitter, key);
                    EmitValue(emitter, item);
                }
                emitter.Emit(new MappingEnd());
                break;
            case IEnumerable<string> list:
                emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
                foreach (string item in list)
                {
                    EmitString(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case bool b:
                emitter.Emit(new Scalar(null, null, b ? "true" : "false", ScalarStyle.Plain, true, false));
                break;
            default:
                EmitString(emitter, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string value)
    {
        var probe = new YScalar(value, isPlain: true, tag: null, 0, 0);
        bool plainReadsBack = ScalarResolver.Resolve(probe) is string s && s == value && value.Length > 0 &&
                              !value.Contains('\n', StringComparison.Ordinal);
        emitter.Emit(new Scalar(null, null, value, plainReadsBack ? ScalarStyle.Any : ScalarStyle.DoubleQuoted, true, true));
    }
}

/// <summary>An ordered string-keyed map for <see cref="YamlWriter"/>.</summary>
public sealed class YamlMap : List<KeyValuePair<string, object?>>
{
    public void Add(string key, object? value) => Add(new KeyValuePair<string, object?>(key, value));

    /// <summary>Adds the entry only when the value is not null (and not an empty map).</summary>
    public YamlMap AddIf(string key, object? value)
    {
        if (value is not null && value is not YamlMap { Count: 0 })
        {
            Add(key, value);
        }
        return this;
    }

    public static YamlMap From(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var map = new YamlMap();
        foreach (var (k, v) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            map.Add(k, v);
        }
        return map;
    }
}
