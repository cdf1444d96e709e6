using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace GitOpsSec.Diagnostics;

/// <summary>
/// The one place where patterns a repository author or user writes are turned into matchers, each with a
/// bound on its cost. Wildcards (Kyverno's * and ?, rule names) are matched without regular expressions in
/// O(pattern × value) time. Regular expressions (ticketPattern, JMESPath regex_match, exclude globs) run on
/// .NET's linear-time NonBacktracking engine; only a pattern that needs backtracking constructs
/// (backreferences, lookarounds, atomic groups) falls back to the backtracking engine, with a match timeout,
/// so that no input can stall a scan: a timeout is a RegexMatchTimeoutException for the caller to report.
/// </summary>
public static class BoundedPattern
{
    /// <summary>The match timeout of a pattern that needs the backtracking engine.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private static readonly ConcurrentDictionary<(string, RegexOptions), Regex> Cache = new();

    /// <summary>Compiles <paramref name="pattern"/> linear-time where possible, else with <see cref="MatchTimeout"/>. ArgumentException for an invalid pattern.</summary>
    public static Regex Compile(string pattern, RegexOptions options = RegexOptions.None)
    {
        options |= RegexOptions.CultureInvariant;
        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking, MatchTimeout);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, options, MatchTimeout);
        }
    }

    /// <summary><see cref="Compile"/> with a bounded cache, for patterns evaluated again and again (policy functions).</summary>
    public static Regex Cached(string pattern, RegexOptions options = RegexOptions.None)
    {
        if (Cache.Count > 1024)
        {
            Cache.Clear();
        }
        return Cache.GetOrAdd((pattern, options), key => Compile(key.Item1, key.Item2));
    }

    /// <summary>
    /// Whether <paramref name="value"/> matches a wildcard <paramref name="pattern"/> (* any run of characters,
    /// ? any one character), the whole value. Greedy two-pointer matching with one resume point: each star
    /// moves the resume point forward, so the cost is at most pattern length × value length.
    /// </summary>
    public static bool Wildcard(string pattern, string value, bool ignoreCase = false)
    {
        int p = 0, v = 0, star = -1, resume = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = v;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], value[v], ignoreCase)))
            {
                p++;
                v++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
