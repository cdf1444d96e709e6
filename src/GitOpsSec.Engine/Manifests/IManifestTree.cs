using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>
/// A tree of files to read manifests from: a folder on disk or a folder of a git commit.
/// Paths are relative to the tree's root, with forward slashes; they may start with ../ where a
/// kustomization reaches outside the scanned folder.
/// </summary>
public interface IManifestTree : IDisposable
{
    /// <summary>Where the tree is, for messages: a directory, or repo:folder@commit.</summary>
    string DisplayRoot { get; }

    /// <summary>The commit id when the tree is a git revision.</summary>
    string? Revision { get; }

    /// <summary>Every file below the root, sorted ordinally.</summary>
    IEnumerable<string> EnumerateFiles(IScanHost host);

    bool FileExists(string relativePath);

    bool DirectoryExists(string relativePath);

    /// <summary>The file's bytes, or null after reporting why they could not be read.</summary>
    byte[]? ReadFile(string relativePath, LoadLimits limits, IScanHost host);

    /// <summary>The file's path on disk, or null when the tree is not on disk (a git revision).</summary>
    string? FullPath(string relativePath);

    /// <summary>A directory on disk holding <paramref name="relativeDirectory"/>, for tools such as kustomize.</summary>
    string? PhysicalDirectory(string relativeDirectory, IScanHost host);
}

/// <summary>Helpers for the tree-relative paths used throughout the loader.</summary>
public static class TreePath
{
    /// <summary>Joins and normalizes ("a/b/../c" to "a/c"); keeps leading "../" that leave the root.</summary>
    public static string Combine(string directory, string relative)
    {
        string joined = string.IsNullOrEmpty(directory) ? relative : directory + "/" + relative;
        return Normalize(joined);
    }

    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part == ".." && parts.Count > 0 && parts[^1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public static string DirectoryOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }

    public static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];
}
