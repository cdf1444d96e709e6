using GitOpsSec.Diagnostics;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>Selecting commits (ranges, revisions, dates, counts) and what each commit changed, through LibGit2Sharp.</summary>
public static class GitHistory
{
    /// <summary>
    /// Commits newest first: <paramref name="range"/> "a..b", else history reachable from
    /// <paramref name="revision"/>, else from every branch, tag and remote ref. Null after reporting a
    /// revision that does not exist.
    /// </summary>
    public static List<Commit>? SelectCommits(Repository repo, string? range, string? revision, DateTimeOffset? since, int? maxCount, IScanHost host)
    {
        var filter = new CommitFilter { SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time };
        try
        {
            if (range is not null)
            {
                int dots = range.IndexOf("..", StringComparison.Ordinal);
                if (dots < 0)
                {
                    host.Error(new ScanError(ErrorIds.RevisionNotFound, ScanErrorCategory.InvalidArgument,
                        $"'{range}' is not a range; write it as from..to (for example main~10..main).", range));
                    return null;
                }
                string from = range[..dots];
                string to = range[(dots + 2)..].TrimStart('.');
                filter.ExcludeReachableFrom = Resolve(repo, from.Length == 0 ? "HEAD" : from, host);
                filter.IncludeReachableFrom = Resolve(repo, to.Length == 0 ? "HEAD" : to, host);
                if (filter.ExcludeReachableFrom is null || filter.IncludeReachableFrom is null)
                {
                    return null;
                }
            }
            else if (revision is not null)
            {
                filter.IncludeReachableFrom = Resolve(repo, revision, host);
                if (filter.IncludeReachableFrom is null)
                {
                    return null;
                }
            }
            else
            {
                var tips = repo.Refs.Select(r => r.ResolveToDirectReference()?.Target?.Peel<Commit>()).Where(c => c is not null).Distinct().ToList();
                if (tips.Count == 0)
                {
                    return new List<Commit>();
                }
                filter.IncludeReachableFrom = tips;
            }
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

    private static Commit? Resolve(Repository repo, string revision, IScanHost host)
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

    /// <summary>Files (path, blob) a commit adds or modifies compared with its first parent (all files for a root commit).</summary>
    public static IEnumerable<(string Path, ObjectId Blob)> Changes(Repository repo, Commit commit)
    {
        Commit? parent = commit.Parents.FirstOrDefault();
        using TreeChanges changes = repo.Diff.Compare<TreeChanges>(parent?.Tree, commit.Tree);
        var list = new List<(string, ObjectId)>();
        foreach (TreeEntryChanges change in changes)
        {
            if (change.Status is ChangeKind.Added or ChangeKind.Modified or ChangeKind.Renamed or ChangeKind.Copied or ChangeKind.TypeChanged &&
                change.Mode is not (Mode.GitLink or Mode.Directory or Mode.Nonexistent))
            {
                list.Add((change.Path, change.Oid));
            }
        }
        return list;
    }
}
