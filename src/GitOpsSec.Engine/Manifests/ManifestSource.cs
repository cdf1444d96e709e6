using GitOpsSec.Diagnostics;
using GitOpsSec.Git;

namespace GitOpsSec.Manifests;

/// <summary>Opens the tree for a path given by a user: a folder or a file, on disk or at a git revision.</summary>
public static class ManifestSource
{
    /// <summary>The tree to scan for <paramref name="path"/>, or null after reporting why there is none.</summary>
    public static IManifestTree? Open(string path, string? revision, IScanHost host)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (revision is null)
        {
            if (Directory.Exists(full))
            {
                if (GitOpsSec.Git.GitHistory.IsGitDirectory(full))
                {
                    host.Warning($"'{path}' is a bare git repository (no working tree): its manifests are read at HEAD.");
                    return GitRevisionTree.Open(full, "HEAD", host);
                }
                return new FileSystemTree(full);
            }
            if (File.Exists(full) || IsDanglingLink(full))
            {
                return new SingleFileTree(new FileSystemTree(System.IO.Path.GetDirectoryName(full)!), System.IO.Path.GetFileName(full));
            }
            host.Error(new ScanError(ErrorIds.PathNotFound, ScanErrorCategory.ObjectNotFound,
                $"The path '{path}' does not exist.", path));
            return null;
        }

        // At a revision the path need not exist in the working tree; it must exist in the commit.
        string folder = full;
        string? file = null;
        if (!Directory.Exists(full) && ManifestLoader.IsManifestFile(full))
        {
            folder = System.IO.Path.GetDirectoryName(full)!;
            file = System.IO.Path.GetFileName(full);
        }
        GitRevisionTree? tree = GitRevisionTree.Open(folder, revision, host);
        if (tree is null)
        {
            return null;
        }
        if (file is null)
        {
            return tree;
        }
        if (!tree.FileExists(file))
        {
            host.Error(new ScanError(ErrorIds.PathNotFound, ScanErrorCategory.ObjectNotFound,
                $"The file '{path}' does not exist at revision '{revision}'.", path));
            tree.Dispose();
            return null;
        }
        return new SingleFileTree(tree, file);
    }

    private static bool IsDanglingLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
