using System.IO.Enumeration;
using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>
/// A folder on disk, read as untrusted input: symlinked folders are not followed (no loops), nothing
/// outside the folder is read (a symlink or a kustomization path that leads out of it is an
/// OutsideRoot error), and a file that reports no size is never opened, so a named pipe cannot block.
/// </summary>
public sealed class FileSystemTree : IManifestTree
{
    private readonly string _root;
    private readonly string _realRoot;

    /// <summary>Files the enumeration found inside the root (regular files, or links checked there): reading them needs no second check.</summary>
    private readonly HashSet<string> _listed = new(StringComparer.Ordinal);

    /// <param name="root">The folder the paths are relative to.</param>
    public FileSystemTree(string root)
    {
        _root = Path.GetFullPath(root);
        _realRoot = RealPath(_root) ?? _root;
    }

    public string DisplayRoot => _root;
    public string? Revision => null;

    public IEnumerable<string> EnumerateFiles(IScanHost host)
    {
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(string.Empty);
        while (pending.Count > 0)
        {
            host.Cancellation.ThrowIfCancellationRequested();
            string rel = pending.Pop();
            string dir = rel.Length == 0 ? _root : Path.Combine(_root, rel);
            List<(string Name, bool Directory)> entries;
            try
            {
                // The entry's type comes from the directory listing itself: asking a FileInfo for its attributes costs an
                // lstat and a geteuid per file, most of the system time of a 100,000-file scan.
                entries = new FileSystemEnumerable<(string, bool)>(dir, (ref FileSystemEntry e) => (e.FileName.ToString(), e.IsDirectory), Listing).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                host.Error(new ScanError(ErrorIds.ReadFailed, ScanErrorCategory.ReadError,
                    $"The folder could not be read: {e.Message}", rel.Length == 0 ? "." : rel, Exception: e));
                continue;
            }
            foreach (var (name, isDirectory) in entries)
            {
                string childRel = rel.Length == 0 ? name : rel + "/" + name;
                string full = Path.Combine(dir, name);
                // One readlink per entry (EINVAL for anything that is not a link) tells links from the rest.
                string? link = new FileInfo(full).LinkTarget;
                if (isDirectory)
                {
                    if (name == ".git" || GitOpsSec.Git.GitHistory.IsGitDirectory(full))
                    {
                        continue; // git's own files (a .git folder, a bare repository inside the tree)
                    }
                    if (link is not null)
                    {
                        host.Verbose($"Not following symlinked folder {childRel} -> {link}");
                        continue;
                    }
                    pending.Push(childRel);
                }
                else if (link is not null && !Inside(full))
                {
                    host.Error(OutsideRootError(childRel));
                }
                else
                {
                    files.Add(childRel);
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        lock (_listed)
        {
            _listed.UnionWith(files);
        }
        return files;
    }

    /// <summary>Every entry, hidden or not (a .github folder holds workflows), as Directory.EnumerateFileSystemInfos lists them.</summary>
    private static readonly EnumerationOptions Listing = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    private string Physical(string relativePath) =>
        Path.GetFullPath(Path.Combine(_root, relativePath.Replace('/', Path.DirectorySeparatorChar)));

    public bool FileExists(string relativePath) => File.Exists(Physical(relativePath));

    public bool DirectoryExists(string relativePath) => Directory.Exists(Physical(relativePath));

    public byte[]? ReadFile(string relativePath, LoadLimits limits, IScanHost host)
    {
        string path = Physical(relativePath);
        bool listed;
        lock (_listed)
        {
            listed = _listed.Contains(relativePath);
        }
        if (!listed && !Inside(path))
        {
            host.Error(OutsideRootError(relativePath));
            return null;
        }
        try
        {
            return SafeFile.ReadAllBytes(path, limits.MaxFileBytes); // a pipe or socket reports no size: never opened
        }
        catch (FileTooLargeException e)
        {
            host.Error(new ScanError(ErrorIds.FileTooLarge, ScanErrorCategory.LimitsExceeded,
                $"The file is {e.Length:N0} bytes, over the limit of {e.Limit:N0}; it was not parsed.", relativePath));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            host.Error(new ScanError(ErrorIds.ReadFailed,
                e is UnauthorizedAccessException ? ScanErrorCategory.PermissionDenied : ScanErrorCategory.ReadError,
                $"The file could not be read: {e.Message}", relativePath, Exception: e));
            return null;
        }
    }

    public string? FullPath(string relativePath) => Physical(relativePath);

    private static ScanError OutsideRootError(string relativePath) => new(ErrorIds.OutsideRoot, ScanErrorCategory.PermissionDenied,
        "The path leads outside the scanned folder (a symbolic link or a '..' reference); it was not read.", relativePath);

    /// <summary>Whether a path, with every symbolic link on the way resolved, stays inside the root.</summary>
    private bool Inside(string fullPath)
    {
        if (!IsUnder(fullPath, _root))
        {
            return false;
        }
        string? real = RealPath(fullPath);
        return real is null || IsUnder(real, _realRoot); // null: a loop or a dangling link, which reading reports
    }

    private static bool IsUnder(string path, string root) =>
        path.Length > root.Length && path.StartsWith(root, StringComparison.Ordinal) && path[root.Length] == Path.DirectorySeparatorChar;

    /// <summary>The path with every symbolic link resolved, segment by segment; null on a loop or an unreadable link.</summary>
    internal static string? RealPath(string fullPath)
    {
        string current = Path.GetPathRoot(fullPath) ?? string.Empty;
        var pending = new Stack<string>(Enumerable.Reverse(fullPath[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)));
        int hops = 0;
        while (pending.Count > 0)
        {
            string segment = pending.Pop();
            if (segment == ".")
            {
                continue;
            }
            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            string next = Path.Combine(current, segment);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++hops > 40)
            {
                return null;
            }
            string resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
            string root = Path.GetPathRoot(resolved) ?? string.Empty;
            foreach (string part in Enumerable.Reverse(resolved[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)))
            {
                pending.Push(part);
            }
            current = root;
        }
        return current;
    }

    public string? PhysicalDirectory(string relativeDirectory, IScanHost host) => Physical(relativeDirectory);

    public void Dispose() { }
}
