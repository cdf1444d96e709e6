using System.Buffers;

namespace GitOpsSec.Manifests;

/// <summary>
/// A YAML tree kept as bytes until it is read again: each node as its type, line, column and the index of its
/// text in a table of the tree's strings (shared with the parsed tree), varint-encoded. A small tree of a few dozen
/// nodes takes a few hundred bytes instead of a few kilobytes of node objects; <see cref="Thaw"/> gives back an
/// equal tree (same values, styles, tags, lines and columns; a node an alias shared is copied).
/// </summary>
internal sealed class FrozenYaml
{
    private const byte Scalar = 0, Mapping = 1, Sequence = 2;
    private const byte Plain = 1, Tagged = 2;

    private readonly byte[] _code;
    private readonly string[] _strings;

    private FrozenYaml(byte[] code, string[] strings)
    {
        _code = code;
        _strings = strings;
    }

    /// <summary>Bytes kept (code and string table references), for tests and measurements.</summary>
    public int Bytes => _code.Length + _strings.Length * IntPtr.Size;

    public static FrozenYaml Freeze(YMapping root)
    {
        // The buffers are the thread's own, cleared after each tree (a monorepo freezes a tree per workload).
        Buffers buffers = t_buffers ?? new Buffers();
        t_buffers = null;
        try
        {
            return Freeze(root, buffers.Writer, buffers.Strings, buffers.Index);
        }
        finally
        {
            buffers.Writer.ResetWrittenCount();
            buffers.Strings.Clear();
            buffers.Index.Clear();
            t_buffers = buffers;
        }
    }

    private sealed class Buffers
    {
        public ArrayBufferWriter<byte> Writer { get; } = new(256);
        public List<string> Strings { get; } = new();
        public Dictionary<string, int> Index { get; } = new(StringComparer.Ordinal);
    }

    [ThreadStatic]
    private static Buffers? t_buffers;

    private static FrozenYaml Freeze(YMapping root, ArrayBufferWriter<byte> writer, List<string> strings, Dictionary<string, int> index)
    {
        int Text(string s)
        {
            if (!index.TryGetValue(s, out int i))
            {
                index[s] = i = strings.Count;
                strings.Add(s);
            }
            return i;
        }
        void Byte(byte b)
        {
            writer.GetSpan(1)[0] = b;
            writer.Advance(1);
        }
        void Header(byte type, YNode node)
        {
            Byte(type);
            Varint(writer, node.Line);
            Varint(writer, node.Column);
        }
        void Write(YNode node)
        {
            switch (node)
            {
                case YScalar s:
                    Header(Scalar, s);
                    Varint(writer, Text(s.Value));
                    Byte((byte)((s.IsPlain ? Plain : 0) | (s.Tag is null ? 0 : Tagged)));
                    if (s.Tag is not null)
                    {
                        Varint(writer, Text(s.Tag));
                    }
                    break;
                case YMapping m:
                    Header(Mapping, m);
                    Varint(writer, m.Entries.Count);
                    foreach (var (key, value) in m.Entries)
                    {
                        Write(key);
                        Write(value);
                    }
                    break;
                case YSequence q:
                    Header(Sequence, q);
                    Varint(writer, q.Items.Count);
                    foreach (YNode item in q.Items)
                    {
                        Write(item);
                    }
                    break;
            }
        }
        Write(root);
        return new FrozenYaml(writer.WrittenSpan.ToArray(), strings.ToArray());
    }

    public YMapping Thaw()
    {
        int at = 0;
        return (YMapping)Read(ref at);
    }

    private YNode Read(ref int at)
    {
        byte type = _code[at++];
        int line = ReadVarint(ref at), column = ReadVarint(ref at);
        switch (type)
        {
            case Scalar:
                string value = _strings[ReadVarint(ref at)];
                byte flags = _code[at++];
                string? tag = (flags & Tagged) != 0 ? _strings[ReadVarint(ref at)] : null;
                return new YScalar(value, (flags & Plain) != 0, tag, line, column);
            case Mapping:
                int entries = ReadVarint(ref at);
                var map = new YMapping(line, column, entries);
                for (int i = 0; i < entries; i++)
                {
                    var key = (YScalar)Read(ref at);
                    map.Set(key, Read(ref at));
                }
                return map;
            default:
                int items = ReadVarint(ref at);
                var seq = new YSequence(line, column, items);
                for (int i = 0; i < items; i++)
                {
                    seq.Add(Read(ref at));
                }
                return seq;
        }
    }

    private static void Varint(ArrayBufferWriter<byte> writer, int value)
    {
        Span<byte> buffer = stackalloc byte[5];
        int n = 0;
        uint v = (uint)value;
        while (v >= 0x80)
        {
            buffer[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        buffer[n++] = (byte)v;
        writer.Write(buffer[..n]);
    }

    private int ReadVarint(ref int at)
    {
        uint value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = _code[at++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (int)value;
            }
        }
    }
}
