using GitOpsSec.Diagnostics;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>Selecting commits (ranges, revisions, dates, counts) and what each commit changed, through LibGit2Sharp.</summary>
public static class GitHistory
{
    /// <summary>
    /// Whether a folder is a git directory itself (a bare repository, or the inside of .git): it holds
    /// HEAD, objects and refs. Such a folder has no working tree; its files are git's own, not the repository's.
    /// </summary>
    public static bool IsGitDirectory(string folder) =>
        File.Exists(Path.Combine(folder, "HEAD")) && Directory.Exists(Path.Combine(folder, "objects")) && Directory.Exists(Path.Combine(folder, "refs"));

    /// <summary>The working directory of the repository containing <paramref name="path"/> (where its .gitopssec.yaml lives), or null.</summary>
    public static string? RepositoryRoot(string path)
    {
        string? git = Repository.Discover(Path.GetFullPath(path));
        if (git is null)
        {
            return null;
        }
        string dir = git.TrimEnd('/', '\\');
        return Path.GetFileName(dir) == ".git" ? Path.GetDirectoryName(dir) : dir;
    }

    internal static Repository? OpenRepository(string path, IScanHost host)
    {
        string full = Path.GetFullPath(path);
        string? discovered = Directory.Exists(full) || File.Exists(full) ? Repository.Discover(full) : null;
        if (discovered is null)
        {
            host.Error(new ScanError(ErrorIds.NotARepository, ScanErrorCategory.ObjectNotFound, $"'{full}' is not inside a git repository.", full));
            return null;
        }
        try
        {
            return new Repository(discovered);
        }
        catch (LibGit2SharpException e)
        {
            host.Error(new ScanError(ErrorIds.NotARepository, ScanErrorCategory.ReadError,
                $"The git repository at '{discovered}' could not be opened: {e.Message}", full, Exception: e));
            return null;
        }
    }

    /// <summary>
    /// Where <paramref name="path"/> lies inside the repository's working tree, as a git path prefix ending in '/'
    /// ("apps/billing/"); empty for the top of the tree, a bare repository or a path outside the working tree.
    /// </summary>
    public static string PathInside(Repository repo, string path)
    {
        if (repo.Info.WorkingDirectory is not string workdir)
        {
            return string.Empty;
        }
        string relative = Path.GetRelativePath(Path.GetFullPath(workdir), Path.GetFullPath(path)).Replace('\\', '/');
        return relative is "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? string.Empty : relative.TrimEnd('/') + "/";
    }

    /// <summary>A commit's author or committer the way git prints it: Name &lt;email&gt;.</summary>
    public static string Person(Signature who) => $"{who.Name} <{who.Email}>";

    /// <summary>Commits newest first for the provenance checks: <paramref name="range"/>, else history reachable from <paramref name="revision"/> or HEAD.</summary>
    public static List<Commit>? SelectFromHead(Repository repo, string? range, string? revision, DateTimeOffset? since, int? maxCount, IScanHost host) =>
        SelectCommits(repo, range, revision ?? (range is null ? "HEAD" : null), since, maxCount, host);

    /// <summary>
    /// Commits newest first: <paramref name="range"/> "a..b", else history reachable from
    /// <paramref name="revision"/>, else from every branch, tag and remote ref. Null after reporting a
    /// revision that does not exist.
    /// </summary>
    public static List<Commit>? SelectCommits(Repository repo, string? range, string? revision, DateTimeOffset? since, int? maxCount, IScanHost host)
    {
        try
        {
            if (!Ends(repo, range, revision, host, out List<Commit> include, out Commit? exclude))
            {
                return null;
            }
            if (include.Count == 0)
            {
                return new List<Commit>();
            }
            var filter = new CommitFilter
            {
                SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time,
                IncludeReachableFrom = include,
                ExcludeReachableFrom = exclude,
            };
            IEnumerable<Commit> commits = repo.Commits.QueryBy(filter);
            if (since is DateTimeOffset s)
            {
                commits = commits.Where(c => c.Committer.When >= s);
            }
            if (maxCount is int n)
            {
                commits = commits.Take(n);
            }
            return commits.ToList();
        }
        catch (LibGit2SharpException e)
        {
            host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError, $"The history could not be walked: {e.Message}", range ?? revision, Exception: e));
            return null;
        }
    }

    /// <summary>
    /// The same selection as <see cref="SelectCommits"/>, as commit ids from libgit2's own revision walk: no
    /// LibGit2Sharp Commit object (about 1.8 KB each, and a commit lookup) per commit of a long history.
    /// </summary>
    public static List<ObjectId>? SelectCommitIds(Repository repo, GitObjectReader objects, string? range, string? revision, DateTimeOffset? since, int? maxCount, IScanHost host)
    {
        try
        {
            if (!Ends(repo, range, revision, host, out List<Commit> include, out Commit? exclude))
            {
                return null;
            }
            var ids = new List<ObjectId>();
            foreach (ObjectId id in objects.Walk(include.Select(c => c.Id), exclude?.Id))
            {
                if (since is DateTimeOffset s && objects.CommitTime(id) < s)
                {
                    continue;
                }
                ids.Add(id);
                if (ids.Count == maxCount)
                {
                    break;
                }
            }
            return ids;
        }
        catch (LibGit2SharpException e)
        {
            host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError, $"The history could not be walked: {e.Message}", range ?? revision, Exception: e));
            return null;
        }
    }

    /// <summary>
    /// Where a selection starts and stops: <paramref name="range"/> "a..b", else <paramref name="revision"/>,
    /// else every branch, tag and remote ref. False after reporting a revision that does not exist.
    /// </summary>
    private static bool Ends(Repository repo, string? range, string? revision, IScanHost host, out List<Commit> include, out Commit? exclude)
    {
        include = new List<Commit>();
        exclude = null;
        if (range is not null)
        {
            int dots = range.IndexOf("..", StringComparison.Ordinal);
            if (dots < 0)
            {
                host.Error(new ScanError(ErrorIds.RevisionNotFound, ScanErrorCategory.InvalidArgument,
                    $"'{range}' is not a range; write it as from..to (for example main~10..main).", range));
                return false;
            }
            string from = range[..dots];
            string to = range[(dots + 2)..].TrimStart('.');
            exclude = Resolve(repo, from.Length == 0 ? "HEAD" : from, host);
            Commit? tip = Resolve(repo, to.Length == 0 ? "HEAD" : to, host);
            if (exclude is null || tip is null)
            {
                return false;
            }
            include.Add(tip);
        }
        else if (revision is not null)
        {
            Commit? tip = Resolve(repo, revision, host);
            if (tip is null)
            {
                return false;
            }
            include.Add(tip);
        }
        else
        {
            include.AddRange(repo.Refs.Select(r => r.ResolveToDirectReference()?.Target?.Peel<Commit>()).Where(c => c is not null).Distinct()!);
        }
        return true;
    }

    /// <summary>The commit a revision names, or null after reporting RevisionNotFound.</summary>
    internal static Commit? Resolve(Repository repo, string revision, IScanHost host)
    {
        Commit? commit = null;
        try
        {
            commit = repo.Lookup(revision)?.Peel<Commit>();
        }
        catch (Exception e) when (e is LibGit2SharpException or InvalidOperationException or ArgumentException)
        {
        }
        if (commit is null)
        {
            host.Error(new ScanError(ErrorIds.RevisionNotFound, ScanErrorCategory.ObjectNotFound,
                $"The revision '{revision}' does not name a commit in {repo.Info.WorkingDirectory ?? repo.Info.Path}.", revision));
        }
        return commit;
    }
}
