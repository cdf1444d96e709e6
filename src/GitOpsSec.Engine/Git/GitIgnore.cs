using System.Text;
using System.Text.RegularExpressions;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>
/// What git ignores in a working tree, decided while the tree is walked, as ripgrep does: the patterns of
/// core.excludesFile, .git/info/exclude and every .gitignore from the top of the working tree down to the
/// folder in question, in git's order of precedence (the last matching pattern wins, a deeper .gitignore
/// over a shallower one; `!` re-includes; a trailing `/` matches folders only; a slash elsewhere anchors the
/// pattern to its .gitignore's folder; `*`, `?`, `[...]` and `**` as gitignore(5) defines them).
/// A file git tracks is never ignored, whatever the patterns say: it is in the repository, so a secret in it is
/// committed. Not thread-safe; the tree walk that uses it runs on one thread.
/// </summary>
public sealed class GitIgnore
{
    /// <summary>
    /// One pattern. A pattern without a slash matches a name at any depth, so it is tested against the last path
    /// segment only: as a plain name (node_modules), a suffix (*.log) or a regex; an anchored one against the path.
    /// </summary>
    private sealed record Rule(string Base, bool Negate, bool FoldersOnly, bool OnName, string? Literal, string? Suffix, Regex? Pattern)
    {
        public bool Matches(string path, string name)
        {
            string subject = OnName ? name : path;
            return Literal is not null ? subject == Literal : Suffix is not null ? subject.EndsWith(Suffix, StringComparison.Ordinal) : Pattern!.IsMatch(subject);
        }
    }

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly string _workdir;
    private readonly Rule[] _outer;
    private readonly Dictionary<string, Rule[]> _rulesOf = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tracked = new(StringComparer.Ordinal);
    private readonly HashSet<string> _trackedFolders = new(StringComparer.Ordinal);

    private GitIgnore(Repository repo, string workdir)
    {
        _workdir = workdir;
        foreach (IndexEntry entry in repo.Index)
        {
            _tracked.Add(entry.Path);
            for (int slash = entry.Path.IndexOf('/'); slash > 0; slash = entry.Path.IndexOf('/', slash + 1))
            {
                _trackedFolders.Add(entry.Path[..slash]);
            }
        }
        var outer = new List<Rule>();
        if (repo.Config.Get<string>("core.excludesFile")?.Value is string global)
        {
            string file = global.StartsWith("~/", StringComparison.Ordinal)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), global[2..])
                : global;
            outer.AddRange(Parse(file, string.Empty));
        }
        outer.AddRange(Parse(Path.Combine(repo.Info.Path, "info", "exclude"), string.Empty));
        _outer = outer.ToArray();
    }

    /// <summary>The ignore rules of the working tree <paramref name="folder"/> lies in; null outside a git working tree.</summary>
    public static GitIgnore? For(string folder)
    {
        string? discovered = Repository.Discover(folder);
        if (discovered is null)
        {
            return null;
        }
        try
        {
            using var repo = new Repository(discovered);
            return repo.Info.WorkingDirectory is string workdir ? new GitIgnore(repo, Path.GetFullPath(workdir)) : null;
        }
        catch (LibGit2SharpException)
        {
            return null; // an unreadable repository: nothing is left out, the scan still covers everything
        }
    }

    /// <summary>Whether git ignores <paramref name="fullPath"/> (a folder when <paramref name="directory"/>) and does not track it.</summary>
    public bool IsIgnored(string fullPath, bool directory)
    {
        string relative = fullPath.Length > _workdir.Length + 1 && fullPath.StartsWith(_workdir, StringComparison.Ordinal) && fullPath[_workdir.Length] == Path.DirectorySeparatorChar
            ? fullPath[(_workdir.Length + 1)..]
            : Path.GetRelativePath(_workdir, fullPath);
        if (Path.DirectorySeparatorChar != '/')
        {
            relative = relative.Replace(Path.DirectorySeparatorChar, '/');
        }
        if (relative.StartsWith("..", StringComparison.Ordinal) || relative == "." || relative == ".git" || relative.StartsWith(".git/", StringComparison.Ordinal))
        {
            return false;
        }
        if (directory ? _trackedFolders.Contains(relative) : _tracked.Contains(relative))
        {
            return false;
        }
        int slash = relative.LastIndexOf('/');
        string folder = slash < 0 ? string.Empty : relative[..slash];
        string name = relative[(slash + 1)..];
        bool ignored = false;
        foreach (Rule rule in RulesOf(folder))
        {
            if (rule.FoldersOnly && !directory || ignored != rule.Negate)
            {
                continue; // a folder-only rule on a file, or a rule that cannot change the answer
            }
            try
            {
                if (rule.Matches(rule.OnName || rule.Base.Length == 0 ? relative : relative[(rule.Base.Length + 1)..], name))
                {
                    ignored = !rule.Negate;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                return false; // undecidable in bounded time: scan it (never skip on doubt)
            }
        }
        return ignored;
    }

    /// <summary>Every rule that applies inside <paramref name="folder"/> (relative, '/'-separated), lowest precedence first.</summary>
    private Rule[] RulesOf(string folder)
    {
        if (_rulesOf.TryGetValue(folder, out Rule[]? rules))
        {
            return rules;
        }
        Rule[] inherited = folder.Length == 0 ? _outer : RulesOf(folder.Contains('/') ? folder[..folder.LastIndexOf('/')] : string.Empty);
        Rule[] own = Parse(Path.Combine(_workdir, folder, ".gitignore"), folder).ToArray();
        rules = own.Length == 0 ? inherited : inherited.Concat(own).ToArray();
        _rulesOf[folder] = rules;
        return rules;
    }

    private static IEnumerable<Rule> Parse(string file, string baseFolder)
    {
        if (!File.Exists(file))
        {
            yield break;
        }
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (string raw in lines)
        {
            string line = raw.EndsWith("\\ ", StringComparison.Ordinal) ? raw : raw.TrimEnd(' ', '\t', '\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            bool negate = line[0] == '!';
            if (negate || line.StartsWith("\\#", StringComparison.Ordinal) || line.StartsWith("\\!", StringComparison.Ordinal))
            {
                line = line[1..];
            }
            bool foldersOnly = line.EndsWith('/');
            line = line.TrimEnd('/');
            if (line.Length == 0)
            {
                continue;
            }
            bool onName = !line.Contains('/');
            bool wild = line.IndexOfAny(new[] { '*', '?', '[', '\\' }) >= 0;
            string? literal = onName && !wild ? line : null;
            string? suffix = onName && line.StartsWith('*') && line.IndexOfAny(new[] { '*', '?', '[', '\\' }, 1) < 0 ? line[1..] : null;
            Regex? pattern = literal is null && suffix is null
                ? new Regex(Translate(line, onName), RegexOptions.CultureInvariant, MatchTimeout)
                : null;
            yield return new Rule(baseFolder, negate, foldersOnly, onName, literal, suffix, pattern);
        }
    }

    /// <summary>
    /// A gitignore pattern (without its trailing '/') as a regex over a path relative to its .gitignore's folder, or,
    /// <paramref name="onName"/>, over a single name (a pattern without a slash matches names at any depth).
    /// </summary>
    internal static string Translate(string pattern, bool onName = false)
    {
        bool anchored = pattern.Contains('/');
        string p = pattern.TrimStart('/');
        var regex = new StringBuilder(anchored || onName ? "^" : "^(?:.*/)?");
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '*' && i + 1 < p.Length && p[i + 1] == '*')
            {
                bool atStart = i == 0 || p[i - 1] == '/';
                bool slashAfter = i + 2 < p.Length && p[i + 2] == '/';
                if (atStart && slashAfter)
                {
                    regex.Append("(?:.*/)?"); // "**/": zero or more folders
                    i += 2;
                }
                else if (atStart && i + 2 == p.Length)
                {
                    regex.Append(".*");       // trailing "/**": everything inside
                    i += 1;
                }
                else
                {
                    regex.Append("[^/]*");    // any other "**" is an ordinary "*"
                    i += 1;
                }
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else if (c == '[' && p.IndexOf(']', i + 1) is int end and > 0)
            {
                string set = p[(i + 1)..end];
                regex.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]).Replace("\\-", "-", StringComparison.Ordinal) : Regex.Escape(set).Replace("\\-", "-", StringComparison.Ordinal)).Append(']');
                i = end;
            }
            else if (c == '\\' && i + 1 < p.Length)
            {
                regex.Append(Regex.Escape(p[++i].ToString()));
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }
        // A pattern that matches a folder also covers what is inside it (the walk prunes the folder first).
        return regex.Append(onName ? "$" : "(?:/.*)?$").ToString();
    }
}
