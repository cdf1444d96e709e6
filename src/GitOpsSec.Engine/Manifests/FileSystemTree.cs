using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>A folder on disk. Symlinked folders are not followed (no loops).</summary>
public sealed class FileSystemTree : IManifestTree
{
    private readonly string _root;

    /// <param name="root">The folder the paths are relative to.</param>
    public FileSystemTree(string root)
    {
        _root = Path.GetFullPath(root);
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
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(dir).EnumerateFileSystemInfos().ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                host.Error(new ScanError(ErrorIds.ReadFailed, ScanErrorCategory.ReadError,
                    $"The folder could not be read: {e.Message}", rel.Length == 0 ? "." : rel, Exception: e));
                continue;
            }
            foreach (FileSystemInfo entry in entries)
            {
                string childRel = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                if (entry is DirectoryInfo)
                {
                    if (entry.Name == ".git")
                    {
                        continue;
                    }
                    if (entry.LinkTarget is not null)
                    {
                        host.Verbose($"Not following symlinked folder {childRel} -> {entry.LinkTarget}");
                        continue;
                    }
                    pending.Push(childRel);
                }
                else
                {
                    files.Add(childRel);
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private string Physical(string relativePath) =>
        Path.GetFullPath(Path.Combine(_root, relativePath.Replace('/', Path.DirectorySeparatorChar)));

    public bool FileExists(string relativePath) => File.Exists(Physical(relativePath));

    public bool DirectoryExists(string relativePath) => Directory.Exists(Physical(relativePath));

    public byte[]? ReadFile(string relativePath, LoadLimits limits, IScanHost host)
    {
        string path = Physical(relativePath);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (stream.Length > limits.MaxFileBytes)
            {
                host.Error(new ScanError(ErrorIds.FileTooLarge, ScanErrorCategory.LimitsExceeded,
                    $"The file is {stream.Length:N0} bytes, over the limit of {limits.MaxFileBytes:N0}; it was not parsed.",
                    relativePath));
                return null;
            }
            var buffer = new byte[stream.Length];
            stream.ReadExactly(buffer);
            return buffer;
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

    public string? PhysicalDirectory(string relativeDirectory, IScanHost host) => Physical(relativeDirectory);

    public void Dispose() { }
}
