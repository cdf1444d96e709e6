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
        Dictionary<string, Listing> listings = ListFolders(host.Cancellation);
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(string.Empty);
        // The walk and what it reports are as one thread listing folder after folder would have them; only the
        // system calls ran ahead on every core.
        while (pending.Count > 0)
        {
            host.Cancellation.ThrowIfCancellationRequested();
            string rel = pending.Pop();
            Listing listing = listings[rel];
            if (listing.Failure is Exception e)
            {
                host.Error(new ScanError(ErrorIds.ReadFailed, ScanErrorCategory.ReadError,
                    $"The folder could not be read: {e.Message}", rel.Length == 0 ? "." : rel, Exception: e));
                continue;
            }
            foreach (Entry entry in listing.Entries!)
            {
                string childRel = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                if (entry.Directory)
                {
                    if (entry.GitDirectory)
                    {
                        continue; // git's own files (a .git folder, a bare repository inside the tree)
                    }
                    if (entry.Link is not null)
                    {
                        host.Verbose($"Not following symlinked folder {childRel} -> {entry.Link}");
                        continue;
                    }
                    pending.Push(childRel);
                }
                else if (entry.Link is not null && !Inside(Path.Combine(_root, childRel)))
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

    private sealed record Entry(string Name, bool Directory, string? Link, bool GitDirectory);

    private sealed record Listing(List<Entry>? Entries, Exception? Failure);

    /// <summary>
    /// Every folder the walk enters, listed on every core (a 100,000-file tree is mostly system time: the listing,
    /// one readlink per entry, the git-folder test per folder). Folders the walk does not enter are not listed.
    /// </summary>
    private Dictionary<string, Listing> ListFolders(CancellationToken cancellation)
    {
        var listings = new Dictionary<string, Listing>(StringComparer.Ordinal);
        var options = new ParallelOptions { CancellationToken = cancellation };
        // A level of the tree at a time: every folder of a level is listed on every core, then the next level.
        var level = new List<string> { string.Empty };
        while (level.Count > 0)
        {
            var listed = new Listing[level.Count];
            try
            {
                Parallel.For(0, level.Count, options, i => listed[i] = List(level[i]));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
            var next = new List<string>();
            for (int i = 0; i < level.Count; i++)
            {
                listings[level[i]] = listed[i];
                foreach (Entry entry in listed[i].Entries ?? new List<Entry>())
                {
                    if (entry.Directory && !entry.GitDirectory && entry.Link is null)
                    {
                        next.Add(level[i].Length == 0 ? entry.Name : level[i] + "/" + entry.Name);
                    }
                }
            }
            level = next;
        }
        return listings;
    }

    private Listing List(string rel)
    {
        string dir = rel.Length == 0 ? _root : Path.Combine(_root, rel);
        // Each entry: its name, whether it leads to a folder, and whether it may be a link (then one readlink says).
        List<(string Name, bool Directory, bool MayBeLink)> names;
        if (PosixDirectory.TryList(dir) is List<PosixDirectory.Entry> listed)
        {
            // The folder records each entry's type: only links cost a readlink (and a stat, for whether it leads to a folder).
            names = listed.Select(e => (e.Name,
                e.Type == PosixDirectory.EntryType.Directory || e.Type == PosixDirectory.EntryType.Link && Directory.Exists(Path.Combine(dir, e.Name)),
                e.Type == PosixDirectory.EntryType.Link)).ToList();
        }
        else
        {
            try
            {
                // The entry's type comes from the directory listing itself: asking a FileInfo for its attributes costs an
                // lstat and a geteuid per file, most of the system time of a 100,000-file scan. Whether it is a link is
                // not given without an lstat: one readlink per entry (EINVAL for anything that is not a link) says.
                names = new FileSystemEnumerable<(string, bool, bool)>(dir, (ref FileSystemEntry e) => (e.FileName.ToString(), e.IsDirectory, true), ListingOptions).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new Listing(null, e);
            }
        }
        var entries = new List<Entry>(names.Count);
        foreach (var (name, isDirectory, mayBeLink) in names)
        {
            string full = Path.Combine(dir, name);
            string? link = mayBeLink ? new FileInfo(full).LinkTarget : null;
            bool git = isDirectory && (name == ".git" || GitOpsSec.Git.GitHistory.IsGitDirectory(full));
            entries.Add(new Entry(name, isDirectory, link, git));
        }
        return new Listing(entries, null);
    }

    /// <summary>Every entry, hidden or not (a .github folder holds workflows), as Directory.EnumerateFileSystemInfos lists them.</summary>
    private static readonly EnumerationOptions ListingOptions = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    private string Physical(string relativePath) =>
        Path.GetFullPath(Path.Combine(_root, relativePath.Replace('/', Path.DirectorySeparatorChar)));

    public bool FileExists(string relativePath) => File.Exists(Physical(relativePath));

    public bool DirectoryExists(string relativePath) => Directory.Exists(Physical(relativePath));

    public byte[]? ReadFile(string relativePath, LoadLimits limits, IScanHost host)
    {
        if (_kept.TryRemove(relativePath, out Kept? kept))
        {
            Interlocked.Add(ref _keptBytes, -kept.Bytes.Length);
            // One stat instead of a read: the bytes kept are the file's while it has their size and write time (a file
            // deleted or changed since is read again, and what fails is reported as it would have been).
            if (Unchanged(Physical(relativePath), kept))
            {
                return kept.Bytes;
            }
        }
        return Read(relativePath, limits, host, out _);
    }

    private byte[]? Read(string relativePath, LoadLimits limits, IScanHost host, out DateTime lastWriteUtc)
    {
        lastWriteUtc = default;
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
            return SafeFile.ReadAllBytes(path, limits.MaxFileBytes, out lastWriteUtc); // a pipe or socket reports no size: never opened
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

    /// <summary>
    /// Reads a file and keeps its bytes for the next <see cref="ReadFile"/> of it, which takes them after one stat shows the file unchanged: the application
    /// model searches every manifest before the loader reads it, and on a slow file system opening a file costs more
    /// than its bytes. What is kept stays within <see cref="KeepBudget"/> bytes; past it a file is read again.
    /// </summary>
    internal byte[]? ReadAndKeep(string relativePath, LoadLimits limits, IScanHost host)
    {
        byte[]? bytes = Read(relativePath, limits, host, out DateTime lastWriteUtc);
        if (bytes is not null && lastWriteUtc != default)
        {
            if (Interlocked.Add(ref _keptBytes, bytes.Length) <= KeepBudget && _kept.TryAdd(relativePath, new Kept(bytes, lastWriteUtc)))
            {
                return bytes;
            }
            Interlocked.Add(ref _keptBytes, -bytes.Length);
        }
        return bytes;
    }

    /// <summary>Lets go of every kept file (the loader is done, or a file it never read was kept).</summary>
    internal void ForgetKept()
    {
        _kept.Clear();
        Interlocked.Exchange(ref _keptBytes, 0);
    }

    /// <summary>At most this many bytes of files are kept between the model's search and the loader's read.</summary>
    internal const long KeepBudget = 16L * 1024 * 1024;

    private sealed record Kept(byte[] Bytes, DateTime LastWriteUtc);

    private static bool Unchanged(string path, Kept kept)
    {
        if (PosixFile.Stat(path) is var (length, written, _))
        {
            return length == kept.Bytes.Length && written == kept.LastWriteUtc;
        }
        var now = new FileInfo(path);
        return now.Exists && now.Length == kept.Bytes.Length && now.LastWriteTimeUtc == kept.LastWriteUtc;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Kept> _kept = new(StringComparer.Ordinal);
    private long _keptBytes;

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
