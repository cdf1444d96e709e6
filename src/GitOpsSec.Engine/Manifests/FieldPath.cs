using System.Text;

namespace GitOpsSec.Manifests;

/// <summary>
/// A path to a field inside an object, e.g. <c>spec.template.spec.containers[web].securityContext</c>.
/// List items are named by their <c>name</c> field where they have one, so the path (and the
/// fingerprints made from it) survive reordering.
/// </summary>
public sealed class FieldPath
{
    // A path is its parent and one more segment: appending is one small object, not a copy of every segment
    // before it (checks build a path per container per field). The segments as an array are made when read, and
    // from then on the path holds them instead of its parent: a path kept (a compact copy's Pod Security verdicts
    // keep theirs) keeps no chain of the paths it was built from.
    private FieldPath? _parent;
    private readonly Segment _last;
    private readonly int _count;
    private Segment[]? _segments;

    private FieldPath(Segment[] segments)
    {
        _segments = segments;
        _count = segments.Length;
    }

    private FieldPath(FieldPath parent, Segment last)
    {
        _parent = parent;
        _last = last;
        _count = parent._count + 1;
    }

    public static FieldPath Root { get; } = new(Array.Empty<Segment>());

    public IReadOnlyList<Segment> Segments => Materialized();

    private Segment[] Materialized()
    {
        if (Volatile.Read(ref _segments) is Segment[] made)
        {
            return made;
        }
        var segments = new Segment[_count];
        int i = _count;
        for (FieldPath p = this; i > 0;)
        {
            if (Volatile.Read(ref p._segments) is Segment[] before)
            {
                before.AsSpan(0, i).CopyTo(segments);
                break;
            }
            segments[--i] = p._last;
            // A path that let go of its parent has its segments (they are written first): read them next time round.
            p = Volatile.Read(ref p._parent) ?? p;
        }
        Volatile.Write(ref _segments, segments);
        Volatile.Write(ref _parent, null);
        return segments;
    }

    public FieldPath Key(string key) => Append(new Segment(key, -1, null));

    /// <summary>Appends a list item; <paramref name="item"/> supplies its name when it is a mapping with one.</summary>
    public FieldPath Item(int index, YNode? item) =>
        Append(new Segment(null, index, (item as YMapping)?.Text("name")));

    public FieldPath Keys(params string[] keys)
    {
        FieldPath p = this;
        foreach (string k in keys)
        {
            p = p.Key(k);
        }
        return p;
    }

    private FieldPath Append(Segment s) => new(this, s);

    /// <summary>
    /// The node to point a person at for this path in <paramref name="root"/>: the key of the deepest
    /// field that exists (the line where the field is written), or the list item.
    /// </summary>
    public YNode Locate(YNode root)
    {
        TryLocate(root, out YNode display);
        return display;
    }

    /// <summary>True when the whole path exists in <paramref name="root"/>; <paramref name="display"/> as in <see cref="Locate"/>.</summary>
    public bool TryLocate(YNode root, out YNode display)
    {
        YNode current = root;
        display = root;
        foreach (Segment s in Materialized())
        {
            YNode? next = null;
            if (s.Key is not null && current is YMapping map && map.KeyNode(s.Key) is YScalar keyNode)
            {
                next = map[s.Key];
                display = keyNode;
            }
            else if (s.Key is null && current is YSequence seq)
            {
                next = s.Name is not null
                    ? seq.Items.FirstOrDefault(i => (i as YMapping)?.Text("name") == s.Name)
                    : s.Index < seq.Items.Count ? seq.Items[s.Index] : null;
                display = next ?? display;
            }
            if (next is null)
            {
                return false;
            }
            current = next;
        }
        return true;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (Segment s in Materialized())
        {
            if (s.Key is not null)
            {
                if (sb.Length > 0)
                {
                    sb.Append('.');
                }
                sb.Append(s.Key);
            }
            else
            {
                sb.Append('[').Append(s.Name ?? s.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(']');
            }
        }
        return sb.ToString();
    }

    /// <summary>A mapping key, or a list item (index, and name when it has one).</summary>
    public readonly record struct Segment(string? Key, int Index, string? Name);
}
