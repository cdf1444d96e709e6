namespace GitOpsSec.Secrets;

/// <summary>
/// Which of a fixed set of lower-case ASCII words occur in a text, case-insensitively, in one pass:
/// every position is looked up by its first two characters, and only words starting with that pair
/// are compared. Replaces one IndexOf per keyword per file (the detectors' prefilter).
/// </summary>
public sealed class KeywordSet
{
    private readonly string[] _words;
    private readonly Dictionary<int, int[]> _byPair = new();
    private readonly bool[] _pairSeen = new bool[1 << 16];

    public KeywordSet(IEnumerable<string> words)
    {
        _words = words.Distinct(StringComparer.Ordinal).ToArray();
        if (_words.Any(w => w.Length < 2 || w.Any(c => c > 127 || char.IsUpper(c))))
        {
            throw new ArgumentException("Keywords must be lower-case ASCII and at least two characters long.");
        }
        foreach (var group in _words.Select((w, i) => (w, i)).GroupBy(x => Pair(x.w[0], x.w[1])))
        {
            _byPair[group.Key] = group.Select(x => x.i).ToArray();
            _pairSeen[group.Key & 0xFFFF] = true;
        }
    }

    public int Count => _words.Length;

    public int IndexOf(string word) => Array.IndexOf(_words, word);

    private static int Pair(char a, char b) => (a << 8) ^ b;

    private static char Lower(char c) => c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;

    /// <summary>found[i] is set when word i occurs in <paramref name="text"/> (ignoring ASCII case).</summary>
    public void Find(string text, bool[] found)
    {
        Array.Clear(found);
        FindMore(text, found);
    }

    /// <summary>Also sets found[i] for the words that occur in <paramref name="span"/>; words found before stay found.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void FindMore(ReadOnlySpan<char> span, bool[] found)
    {
        int remaining = 0;
        foreach (bool f in found)
        {
            remaining += f ? 0 : 1;
        }
        if (remaining == 0)
        {
            return;
        }
        char previous = span.Length > 0 ? Lower(span[0]) : '\0';
        for (int i = 0; i + 1 < span.Length; i++)
        {
            char next = Lower(span[i + 1]);
            int pair = Pair(previous, next);
            char first = previous;
            previous = next;
            if (!_pairSeen[pair & 0xFFFF] || !_byPair.TryGetValue(pair, out int[]? candidates))
            {
                continue;
            }
            foreach (int w in candidates)
            {
                if (found[w])
                {
                    continue;
                }
                string word = _words[w];
                if (word.Length > span.Length - i)
                {
                    continue;
                }
                bool match = true;
                for (int k = 2; k < word.Length; k++)
                {
                    if (Lower(span[i + k]) != word[k])
                    {
                        match = false;
                        break;
                    }
                }
                if (match && word[0] == first)
                {
                    found[w] = true;
                    if (--remaining == 0)
                    {
                        return;
                    }
                }
            }
        }
    }
}
