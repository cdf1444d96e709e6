using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>
/// What git ignores in a working tree (.gitignore files, .git/info/exclude, core.excludesFile), as git itself
/// decides it (libgit2's ignore rules). A file git tracks is never ignored, whatever the patterns say: it is in
/// the repository, so a secret in it is committed. Not thread-safe; the tree walk that uses it runs on one thread.
/// </summary>
public sealed class GitIgnore : IDisposable
{
    private readonly Repository _repo;
    private readonly string _workdir;
    private readonly HashSet<string> _tracked = new(StringComparer.Ordinal);
    private readonly HashSet<string> _trackedFolders = new(StringComparer.Ordinal);

    private GitIgnore(Repository repo, string workdir)
    {
        _repo = repo;
        _workdir = workdir;
        foreach (IndexEntry entry in repo.Index)
        {
            _tracked.Add(entry.Path);
            for (int slash = entry.Path.IndexOf('/'); slash > 0; slash = entry.Path.IndexOf('/', slash + 1))
            {
                _trackedFolders.Add(entry.Path[..slash]);
            }
        }
    }

    /// <summary>The ignore rules of the working tree <paramref name="folder"/> lies in; null outside a git working tree.</summary>
    public static GitIgnore? For(string folder)
    {
        string? discovered = Repository.Discover(folder);
        if (discovered is null)
        {
            return null;
        }
        Repository? repo = null;
        try
        {
            repo = new Repository(discovered);
            if (repo.Info.WorkingDirectory is not string workdir)
            {
                repo.Dispose();
                return null;
            }
            return new GitIgnore(repo, Path.GetFullPath(workdir));
        }
        catch (LibGit2SharpException)
        {
            repo?.Dispose();
            return null; // an unreadable repository: nothing is left out, the scan still covers everything
        }
    }

    /// <summary>Whether git ignores <paramref name="fullPath"/> (a folder when <paramref name="directory"/>) and does not track it.</summary>
    public bool IsIgnored(string fullPath, bool directory)
    {
        string relative = Path.GetRelativePath(_workdir, fullPath).Replace('\\', '/');
        if (relative.StartsWith("..", StringComparison.Ordinal) || relative == ".")
        {
            return false;
        }
        if (directory ? _trackedFolders.Contains(relative) : _tracked.Contains(relative))
        {
            return false;
        }
        return _repo.Ignore.IsPathIgnored(directory ? relative + "/" : relative);
    }

    public void Dispose() => _repo.Dispose();
}
