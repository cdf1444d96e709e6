using System.Text;
using GitOpsSec.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GitOpsSec.Manifests;

/// <summary>
/// One YAML document of a file: its root node, its 0-based position in the file, and the character
/// range its content spans (from the root node's start to its end), for rewriting a document in place.
/// </summary>
public sealed record YamlDocument(YNode Root, int Index, int StartOffset = 0, int EndOffset = 0);

/// <summary>
/// Turns bytes into YAML documents with line numbers, within <see cref="LoadLimits"/>. Problems are
/// reported through a callback and the reader goes on with the next document where it can.
/// </summary>
public static class YamlDocumentReader
{
    private const int BinarySniffBytes = 8000;

    /// <summary>Decodes a file's bytes (UTF-8, or UTF-16/32 with a BOM); null after reporting an error.</summary>
    public static string? Decode(byte[] bytes, string target, Action<ScanError> error)
    {
        Encoding? bomEncoding = DetectBom(bytes, out int bomLength);
        if (bomEncoding is null)
        {
            int sniff = Math.Min(bytes.Length, BinarySniffBytes);
            int nul = Array.IndexOf(bytes, (byte)0, 0, sniff);
            if (nul >= 0)
            {
                error(new ScanError(ErrorIds.BinaryFile, ScanErrorCategory.InvalidData,
                    "The file is binary (it contains NUL bytes) and was not parsed as YAML.", target,
                    LineAt(bytes, nul)));
                return null;
            }
            bomEncoding = new UTF8Encoding(false, throwOnInvalidBytes: true);
        }
        try
        {
            return bomEncoding.GetString(bytes, bomLength, bytes.Length - bomLength);
        }
        catch (DecoderFallbackException e)
        {
            int offset = e.Index >= 0 ? bomLength + e.Index : 0;
            error(new ScanError(ErrorIds.InvalidEncoding, ScanErrorCategory.InvalidData,
                $"The file is not valid {bomEncoding.WebName} text: invalid byte sequence at offset {offset}.", target,
                LineAt(bytes, offset)));
            return null;
        }
    }

    internal static Encoding? DetectBom(ReadOnlySpan<byte> b, out int length)
    {
        length = 0;
        if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0)
        {
            length = 4;
            return new UTF32Encoding(false, true, throwOnInvalidCharacters: true);
        }
        if (b.Length >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF)
        {
            length = 4;
            return new UTF32Encoding(true, true, throwOnInvalidCharacters: true);
        }
        if (b.Length >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        {
            length = 3;
            return new UTF8Encoding(false, throwOnInvalidBytes: true);
        }
        if (b.Length >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        {
            length = 2;
            return new UnicodeEncoding(false, true, throwOnInvalidBytes: true);
        }
        if (b.Length >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        {
            length = 2;
            return new UnicodeEncoding(true, true, throwOnInvalidBytes: true);
        }
        return null;
    }

    private static int LineAt(byte[] bytes, int offset)
    {
        int line = 1;
        for (int i = 0; i < offset && i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
            }
        }
        return line;
    }

    /// <summary>Parses every document of <paramref name="text"/>; a broken document ends the file.</summary>
    /// <remarks>
    /// Text in the plain shape of most manifests is parsed by <see cref="YamlFastPath"/>, which builds the same
    /// tree; anything else, and everything YAML reports, is parsed with YamlDotNet.
    /// </remarks>
    public static IEnumerable<YamlDocument> Read(string text, string target, LoadLimits limits, Action<ScanError> error) =>
        TryReadFast(text, limits, out List<YamlDocument> documents) ? documents : ReadWithYamlDotNet(text, target, limits, error);

    /// <summary>
    /// Whether the text parses without YamlDotNet, into <paramref name="documents"/> (there is nothing to report
    /// then). A fault of the fast path is never the input's problem: the text goes to YamlDotNet.
    /// </summary>
    internal static bool TryReadFast(string text, LoadLimits limits, out List<YamlDocument> documents)
    {
        try
        {
            return YamlFastPath.TryRead(text, limits, out documents);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidCastException or NullReferenceException)
        {
            documents = new List<YamlDocument>();
            return false;
        }
    }

    /// <summary>The fast path alone, faults included, for the tests that hold it to YamlDotNet.</summary>
    internal static bool TryReadPlain(string text, LoadLimits limits, out List<YamlDocument> documents) =>
        YamlFastPath.TryRead(text, limits, out documents);

    /// <summary>Every document parsed by YamlDotNet, the reference the fast path is held to.</summary>
    internal static IEnumerable<YamlDocument> ReadWithYamlDotNet(string text, string target, LoadLimits limits, Action<ScanError> error)
    {
        var parser = new Parser(new StringReader(text));
        var builder = new DocumentBuilder(target, limits, error);
        int index = 0;
        while (true)
        {
            YNode? root;
            bool more;
            int startOffset, endOffset;
            try
            {
                more = builder.TryReadDocument(parser, out root, out startOffset, out endOffset);
            }
            catch (YamlException e)
            {
                error(new ScanError(ErrorIds.InvalidYaml, ScanErrorCategory.InvalidData,
                    $"Invalid YAML: {FirstLine(e.Message)}", target, (int)e.Start.Line, (int)e.Start.Column, e));
                yield break;
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or
                                          IndexOutOfRangeException or OverflowException)
            {
                // YamlDotNet reports some malformed input with these instead of a YamlException.
                error(new ScanError(ErrorIds.InvalidYaml, ScanErrorCategory.InvalidData,
                    $"Invalid YAML near line {builder.LastLine}: {FirstLine(e.Message)}", target, builder.LastLine, null, e));
                yield break;
            }
            if (!more)
            {
                yield break;
            }
            if (index >= limits.MaxDocumentsPerFile)
            {
                error(new ScanError(ErrorIds.TooManyDocuments, ScanErrorCategory.LimitsExceeded,
                    $"The file has more than {limits.MaxDocumentsPerFile} documents; the rest were not read.", target,
                    root?.Line));
                yield break;
            }
            if (root is not null and not YScalar { IsNull: true })
            {
                yield return new YamlDocument(root, index, startOffset, endOffset);
            }
            index++;
        }
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n');
        return nl < 0 ? message : message[..nl];
    }

    /// <summary>Builds one document at a time from parser events with an explicit stack (no recursion).</summary>
    private sealed class DocumentBuilder
    {
        private readonly string _target;
        private readonly LoadLimits _limits;
        private readonly Action<ScanError> _error;

        /// <summary>Line of the last event read, for errors the parser reports without a position.</summary>
        public int LastLine { get; private set; } = 1;

        public DocumentBuilder(string target, LoadLimits limits, Action<ScanError> error)
        {
            _target = target;
            _limits = limits;
            _error = error;
        }

        private sealed class Frame
        {
            public required YNode Node;
            public string? Anchor;
            public YScalar? PendingKey;
            public List<YNode>? Merges;
            public HashSet<string>? ExplicitKeys;
        }

        /// <summary>Reads the next document; false at the end of the stream. A null root is an empty or skipped document.</summary>
        public bool TryReadDocument(IParser parser, out YNode? root, out int startOffset, out int endOffset)
        {
            root = null;
            startOffset = endOffset = 0;
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case StreamStart:
                        continue;
                    case StreamEnd:
                        return false;
                    case DocumentStart:
                        root = ReadBody(parser, out startOffset, out endOffset);
                        return true;
                }
            }
            return false;
        }

        private YNode? ReadBody(IParser parser, out int startOffset, out int endOffset)
        {
            startOffset = endOffset = 0;
            var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
            var stack = new Stack<Frame>();
            YNode? root = null;
            long nodes = 0;
            string? failure = null;
            int failureLine = 0;
            string failureId = ErrorIds.InvalidYaml;

            while (parser.MoveNext())
            {
                ParsingEvent ev = parser.Current!;
                LastLine = (int)ev.End.Line;
                if (ev is DocumentEnd)
                {
                    break;
                }
                if (failure is not null)
                {
                    continue; // drain the rest of a rejected document without building it
                }
                if (stack.Count == 0 && root is null && ev is MappingStart or SequenceStart or Scalar or AnchorAlias)
                {
                    startOffset = (int)ev.Start.Index;
                }

                YNode? completed = null;
                string? completedAnchor = null;
                switch (ev)
                {
                    case Scalar s:
                        completed = new YScalar(StringPool.Share(s.Value), s.Style == ScalarStyle.Plain && s.Tag.IsEmpty, TagOf(s.Tag),
                            (int)s.Start.Line, (int)s.Start.Column);
                        completedAnchor = s.Anchor.IsEmpty ? null : s.Anchor.Value;
                        nodes++;
                        break;
                    case AnchorAlias a:
                        if (!anchors.TryGetValue(a.Value.Value, out YNode? target))
                        {
                            failure = $"Unknown alias '*{a.Value.Value}'.";
                            failureLine = (int)a.Start.Line;
                            break;
                        }
                        nodes += target.Size;
                        completed = target;
                        break;
                    case MappingStart m:
                        stack.Push(new Frame
                        {
                            Node = new YMapping((int)m.Start.Line, (int)m.Start.Column),
                            Anchor = m.Anchor.IsEmpty ? null : m.Anchor.Value,
                        });
                        nodes++;
                        break;
                    case SequenceStart q:
                        stack.Push(new Frame
                        {
                            Node = new YSequence((int)q.Start.Line, (int)q.Start.Column),
                            Anchor = q.Anchor.IsEmpty ? null : q.Anchor.Value,
                        });
                        nodes++;
                        break;
                    case MappingEnd or SequenceEnd:
                        Frame done = stack.Pop();
                        if (done.Merges is not null)
                        {
                            ApplyMerges((YMapping)done.Node, done);
                        }
                        completed = done.Node;
                        completedAnchor = done.Anchor;
                        break;
                }

                if (failure is null && stack.Count > _limits.MaxDepth)
                {
                    failure = $"The document nests deeper than {_limits.MaxDepth} levels and was not loaded.";
                    failureLine = (int)ev.Start.Line;
                    failureId = ErrorIds.TooDeep;
                }
                if (failure is null && nodes > _limits.MaxNodesPerDocument)
                {
                    failure = $"The document expands to more than {_limits.MaxNodesPerDocument:N0} nodes " +
                              "(an alias bomb or an oversized document) and was not loaded.";
                    failureLine = (int)ev.Start.Line;
                    failureId = ErrorIds.AliasBomb;
                }
                if (failure is not null || completed is null)
                {
                    continue;
                }
                if (completedAnchor is not null)
                {
                    anchors[completedAnchor] = completed;
                }
                if (stack.Count == 0)
                {
                    root = completed;
                    endOffset = (int)ev.End.Index;
                    continue;
                }
                Attach(stack.Peek(), completed);
            }

            if (failure is not null)
            {
                _error(new ScanError(failureId,
                    failureId == ErrorIds.InvalidYaml ? ScanErrorCategory.InvalidData : ScanErrorCategory.LimitsExceeded,
                    failure, _target, failureLine));
                return null;
            }
            return root;
        }

        private void Attach(Frame parent, YNode child)
        {
            if (parent.Node is YSequence seq)
            {
                seq.Add(child);
                return;
            }
            var map = (YMapping)parent.Node;
            if (parent.PendingKey is null)
            {
                parent.PendingKey = child as YScalar ??
                    new YScalar($"<complex key at line {child.Line}>", false, null, child.Line, child.Column);
                return;
            }
            YScalar key = parent.PendingKey;
            parent.PendingKey = null;
            if (key.IsPlain && key.Value == "<<")
            {
                (parent.Merges ??= new List<YNode>()).Add(child);
                return;
            }
            (parent.ExplicitKeys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key.Value);
            if (!map.Set(key, child))
            {
                _error(new ScanError(ErrorIds.DuplicateKey, ScanErrorCategory.InvalidData,
                    $"Duplicate key '{key.Value}' in a mapping; the last value is used.", _target, key.Line, key.Column));
            }
        }

        /// <summary>YAML merge keys (&lt;&lt;): merged keys never override keys written in the mapping itself.</summary>
        private static void ApplyMerges(YMapping map, Frame frame)
        {
            foreach (YNode merge in frame.Merges!)
            {
                IEnumerable<YNode> sources = merge is YSequence s ? s.Items : new[] { merge };
                foreach (YMapping source in sources.OfType<YMapping>())
                {
                    foreach (var entry in source.Entries)
                    {
                        if (frame.ExplicitKeys?.Contains(entry.Key.Value) != true && !map.ContainsKey(entry.Key.Value))
                        {
                            map.Set(entry.Key, entry.Value);
                        }
                    }
                }
            }
        }

        private static string? TagOf(YamlDotNet.Core.TagName tag)
        {
            if (tag.IsEmpty || tag.IsNonSpecific)
            {
                return null;
            }
            return tag.Value;
        }
    }
}

/// <summary>
/// One shared copy of the short strings manifests repeat everywhere (keys such as apiVersion, metadata,
/// name; values such as v1, TCP, IfNotPresent), so that objects kept in memory for repository-wide rules
/// do not each hold their own. Bounded: past <see cref="Capacity"/> distinct strings nothing is added.
/// </summary>
internal static class StringPool
{
    private const int MaxLength = 32;
    private const int Capacity = 100_000;

    // Open addressing over a fixed table (a quarter full at capacity): a string is found by the characters it is
    // made of, so a parser asks with a slice of its text and allocates a string only for a text the pool does
    // not have. Readers take no lock; a new string goes into an empty slot with one compare-and-swap, and a
    // thread that loses the race takes the winner's string when it is the same text.
    private const int Slots = 1 << 19, MaxProbes = 16;
    private static readonly string?[] Table = new string?[Slots];
    private static int _count;

    /// <summary>Whether the pool stopped taking new strings (for tests).</summary>
    internal static bool Full => Volatile.Read(ref _count) >= Capacity;

    public static string Share(string value) => value.Length > MaxLength ? value : Find(value.AsSpan(), value);

    /// <summary>The pooled string with the characters of <paramref name="text"/>, or a new one (pooled while there is room).</summary>
    public static string Share(ReadOnlySpan<char> text) => text.Length > MaxLength ? new string(text) : Find(text, null);

    private static string Find(ReadOnlySpan<char> text, string? made)
    {
        int slot = string.GetHashCode(text) & (Slots - 1);
        for (int probe = 0; probe < MaxProbes; probe++, slot = (slot + 1) & (Slots - 1))
        {
            string? there = Volatile.Read(ref Table[slot]);
            if (there is null)
            {
                made ??= new string(text);
                if (Volatile.Read(ref _count) >= Capacity)
                {
                    return made;
                }
                there = Interlocked.CompareExchange(ref Table[slot], made, null);
                if (there is null)
                {
                    Interlocked.Increment(ref _count);
                    return made;
                }
            }
            if (text.SequenceEqual(there))
            {
                return there;
            }
        }
        return made ?? new string(text); // a crowded run of slots: not pooled
    }
}
