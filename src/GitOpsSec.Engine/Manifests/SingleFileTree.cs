using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>One file of a tree: the tree's root stays the file's folder, so paths and kustomize work as usual.</summary>
public sealed class SingleFileTree : IManifestTree
{
    private readonly IManifestTree _inner;
    private readonly string _file;

    public SingleFileTree(IManifestTree inner, string file)
    {
        _inner = inner;
        _file = file;
    }

    public string DisplayRoot => _inner.DisplayRoot;
    public string? Revision => _inner.Revision;
    public IEnumerable<string> EnumerateFiles(IScanHost host) => new[] { _file };
    public bool FileExists(string relativePath) => _inner.FileExists(relativePath);
    public bool DirectoryExists(string relativePath) => _inner.DirectoryExists(relativePath);
    public byte[]? ReadFile(string relativePath, LoadLimits limits, IScanHost host) => _inner.ReadFile(relativePath, limits, host);
    public string? FullPath(string relativePath) => _inner.FullPath(relativePath);
    public string? PhysicalDirectory(string relativeDirectory, IScanHost host) => _inner.PhysicalDirectory(relativeDirectory, host);
    public void Dispose() => _inner.Dispose();
}
