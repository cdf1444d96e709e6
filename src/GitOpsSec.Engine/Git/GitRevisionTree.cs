using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>
/// A folder of a git commit, read from the object database through LibGit2Sharp: no checkout, the
/// working tree is never touched. Tools that need real files (kustomize) get a temporary export that
/// is deleted on Dispose.
/// </summary>
public sealed class GitRevisionTree : IManifestTree
{
    private readonly Repository _repository;
    private readonly Commit _commit;
    private readonly string _subPath; // folder inside the repository, "" for the root
    private string? _export;

    private GitRevisionTree(Repository repository, Commit commit, string subPath)
    {
        _repository = repository;
        _commit = commit;
        _subPath = subPath;
    }

    /// <summary>
    /// Opens <paramref name="path"/> (a folder inside a repository) at <paramref name="revision"/>;
    /// null after reporting NotARepository or RevisionNotFound.
    /// </summary>
    public static GitRevisionTree? Open(string path, string revision, IScanHost host)
    {
        string full = Path.GetFullPath(path);
        Repository? repository = GitHistory.OpenRepository(full, host);
        if (repository is null)
        {
            return null;
        }
        Commit? commit = GitHistory.Resolve(repository, revision, host);
        if (commit is null)
        {
            repository.Dispose();
            return null;
        }
        string top = repository.Info.WorkingDirectory ?? repository.Info.Path;
        string sub = Path.GetRelativePath(Path.GetFullPath(top), full).Replace('\\', '/');
        sub = sub == "." ? string.Empty : sub;
        return new GitRevisionTree(repository, commit, sub);
    }

    public string DisplayRoot =>
        $"{_repository.Info.WorkingDirectory ?? _repository.Info.Path}:{(_subPath.Length == 0 ? "." : _subPath)}@{_commit.Sha[..12]}";

    public string? Revision => _commit.Sha;

    private string RepoPath(string relativePath) => TreePath.Combine(_subPath, relativePath);

    public IEnumerable<string> EnumerateFiles(IScanHost host)
    {
        Tree? tree = _subPath.Length == 0 ? _commit.Tree : _commit[_subPath]?.Target as Tree;
        if (tree is null)
        {
            host.Error(new ScanError(ErrorIds.PathNotFound, ScanErrorCategory.ObjectNotFound,
                $"The folder '{_subPath}' does not exist at {_commit.Sha[..12]}.", _subPath));
            return Array.Empty<string>();
        }
        var files = new List<string>();
        var pending = new Stack<(Tree Tree, string Prefix)>();
        pending.Push((tree, string.Empty));
        while (pending.Count > 0)
        {
            host.Cancellation.ThrowIfCancellationRequested();
            var (current, prefix) = pending.Pop();
            foreach (TreeEntry entry in current)
            {
                string rel = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
                switch (entry.TargetType)
                {
                    case TreeEntryTargetType.Tree:
                        pending.Push(((Tree)entry.Target, rel));
                        break;
                    case TreeEntryTargetType.Blob when entry.Mode != Mode.SymbolicLink:
                        files.Add(rel);
                        break;
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private TreeEntry? Entry(string relativePath)
    {
        string repoPath = RepoPath(relativePath);
        if (repoPath.StartsWith("../", StringComparison.Ordinal) || repoPath == "..")
        {
            return null;
        }
        return repoPath.Length == 0 ? null : _commit[repoPath];
    }

    public bool FileExists(string relativePath) => Entry(relativePath)?.TargetType == TreeEntryTargetType.Blob;

    public bool DirectoryExists(string relativePath) =>
        RepoPath(relativePath).Length == 0 || Entry(relativePath)?.TargetType == TreeEntryTargetType.Tree;

    public byte[]? ReadFile(string relativePath, LoadLimits limits, IScanHost host)
    {
        try
        {
            if (Entry(relativePath)?.Target is not Blob blob)
            {
                host.Error(new ScanError(ErrorIds.PathNotFound, ScanErrorCategory.ObjectNotFound,
                    $"'{relativePath}' does not exist at {_commit.Sha[..12]}.", relativePath));
                return null;
            }
            if (blob.Size > limits.MaxFileBytes)
            {
                host.Error(new ScanError(ErrorIds.FileTooLarge, ScanErrorCategory.LimitsExceeded,
                    $"The file is {blob.Size:N0} bytes, over the limit of {limits.MaxFileBytes:N0}; it was not parsed.",
                    relativePath));
                return null;
            }
            using Stream content = blob.GetContentStream();
            using var buffer = new MemoryStream((int)blob.Size);
            content.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (LibGit2SharpException e)
        {
            host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                $"'{relativePath}' could not be read from git: {e.Message}", relativePath, Exception: e));
            return null;
        }
    }

    public string? FullPath(string relativePath) => null;

    /// <summary>Exports the commit's files once to a temporary folder (deleted on Dispose) for kustomize.</summary>
    public string? PhysicalDirectory(string relativeDirectory, IScanHost host)
    {
        if (_export is null)
        {
            string export = Path.Combine(Path.GetTempPath(), "gitopssec-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(export);
            _export = export;
            var pending = new Stack<(Tree Tree, string Dir)>();
            pending.Push((_commit.Tree, export));
            while (pending.Count > 0)
            {
                host.Cancellation.ThrowIfCancellationRequested();
                var (tree, dir) = pending.Pop();
                foreach (TreeEntry entry in tree)
                {
                    string target = Path.Combine(dir, entry.Name);
                    if (entry.Target is Tree sub)
                    {
                        Directory.CreateDirectory(target);
                        pending.Push((sub, target));
                    }
                    else if (entry.Target is Blob blob && entry.Mode != Mode.SymbolicLink &&
                             blob.Size <= LoadLimits.Default.MaxFileBytes)
                    {
                        using Stream content = blob.GetContentStream();
                        using FileStream file = File.Create(target);
                        content.CopyTo(file);
                    }
                }
            }
        }
        return Path.Combine(_export, RepoPath(relativeDirectory).Replace('/', Path.DirectorySeparatorChar));
    }

    public void Dispose()
    {
        if (_export is not null)
        {
            try
            {
                Directory.Delete(_export, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a temp folder left behind is not worth failing the scan for
            }
            _export = null;
        }
        _repository.Dispose();
    }
}
