namespace GitOpsSec.Secrets;

/// <summary>
/// What a new version of a file adds to the previous version at the same path, for the diff-based history
/// scan: the lines whose exact text occurs nowhere in the old version (a line that only moved, or that a
/// revert brings back from the version before, adds nothing), grouped into runs, and the windows around
/// those runs that are scanned. A window keeps <see cref="Context"/> unchanged lines either side, as a
/// unified diff does, so that a credential written over several lines (a private key whose BEGIN and END
/// lines did not change) or next to the word that names it is still recognised.
/// </summary>
internal static class AddedText
{
    /// <summary>Unchanged lines kept on each side of an added run (git diff's default).</summary>
    public const int Context = 3;

    /// <summary>1-based inclusive runs of lines of <paramref name="after"/> that <paramref name="before"/> does not have.</summary>
    public static List<(int From, int To)> Lines(string before, int[] beforeStarts, string after, int[] afterStarts)
    {
        // An open-addressing set of the old lines: slots hold a line index + 1, compared by hash, then by text.
        int capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, beforeStarts.Length * 2));
        int[] slots = System.Buffers.ArrayPool<int>.Shared.Rent(capacity);
        int[] hashes = System.Buffers.ArrayPool<int>.Shared.Rent(beforeStarts.Length);
        try
        {
            Array.Clear(slots, 0, capacity);
            int mask = capacity - 1;
            for (int i = 0; i < beforeStarts.Length; i++)
            {
                ReadOnlySpan<char> line = Line(before, beforeStarts, i);
                int hash = string.GetHashCode(line);
                hashes[i] = hash;
                for (int slot = hash & mask; ; slot = (slot + 1) & mask)
                {
                    if (slots[slot] == 0)
                    {
                        slots[slot] = i + 1;
                        break;
                    }
                    int other = slots[slot] - 1;
                    if (hashes[other] == hash && Line(before, beforeStarts, other).SequenceEqual(line))
                    {
                        break; // the same text twice
                    }
                }
            }
            var runs = new List<(int From, int To)>();
            for (int i = 0; i < afterStarts.Length; i++)
            {
                ReadOnlySpan<char> line = Line(after, afterStarts, i);
                int hash = string.GetHashCode(line);
                bool known = false;
                for (int slot = hash & mask; slots[slot] != 0; slot = (slot + 1) & mask)
                {
                    int other = slots[slot] - 1;
                    if (hashes[other] == hash && Line(before, beforeStarts, other).SequenceEqual(line))
                    {
                        known = true;
                        break;
                    }
                }
                if (known)
                {
                    continue;
                }
                int number = i + 1;
                if (runs.Count > 0 && runs[^1].To == number - 1)
                {
                    runs[^1] = (runs[^1].From, number);
                }
                else
                {
                    runs.Add((number, number));
                }
            }
            return runs;
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(slots);
            System.Buffers.ArrayPool<int>.Shared.Return(hashes);
        }
    }

    /// <summary>The added runs widened by <see cref="Context"/> lines and merged where they touch; 1-based inclusive, within 1..<paramref name="lineCount"/>.</summary>
    public static List<(int From, int To)> Windows(List<(int From, int To)> added, int lineCount)
    {
        var windows = new List<(int From, int To)>();
        foreach (var (from, to) in added)
        {
            int a = Math.Max(1, from - Context), b = Math.Min(lineCount, to + Context);
            if (windows.Count > 0 && windows[^1].To >= a - 1)
            {
                windows[^1] = (windows[^1].From, Math.Max(windows[^1].To, b));
            }
            else
            {
                windows.Add((a, b));
            }
        }
        return windows;
    }

    /// <summary>Whether a hit spanning lines <paramref name="from"/>..<paramref name="to"/> touches an added line.</summary>
    public static bool Touches(List<(int From, int To)> added, int from, int to)
    {
        int lo = 0, hi = added.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (added[mid].To < from)
            {
                lo = mid + 1;
            }
            else if (added[mid].From > to)
            {
                hi = mid - 1;
            }
            else
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Line <paramref name="index"/> (0-based) without its line feed.</summary>
    private static ReadOnlySpan<char> Line(string text, int[] starts, int index)
    {
        int end = index + 1 < starts.Length ? starts[index + 1] - 1 : text.Length;
        return text.AsSpan(starts[index], end - starts[index]);
    }
}
