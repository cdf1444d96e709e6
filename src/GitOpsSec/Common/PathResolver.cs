using System.Collections.ObjectModel;
using System.Management.Automation;
using GitOpsSec.Diagnostics;

namespace GitOpsSec.Commands.Common;

/// <summary>Resolves -Path (wildcards) and -LiteralPath through the FileSystem provider.</summary>
internal static class PathResolver
{
    /// <summary>
    /// File system paths for the arguments; a path that resolves to nothing is reported (PathNotFound)
    /// and skipped. With <paramref name="mustExist"/> false (a git revision), literal paths are returned
    /// unresolved because they only need to exist in the commit.
    /// </summary>
    public static IEnumerable<string> Resolve(PSCmdlet cmdlet, IScanHost host, string[]? paths, bool literal, bool mustExist = true)
    {
        foreach (string path in paths is { Length: > 0 } ? paths : new[] { "." })
        {
            if (literal || !mustExist || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                string resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                if (mustExist && !File.Exists(resolved) && !Directory.Exists(resolved) && new FileInfo(resolved).LinkTarget is null)
                {
                    host.Error(new ScanError(ErrorIds.PathNotFound, ScanErrorCategory.ObjectNotFound,
                        $"The path '{path}' does not exist.", path));
                    continue;
                }
                yield return resolved;
                continue;
            }
            Collection<string>? resolvedPaths = null;
            try
            {
                resolvedPaths = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _);
            }
            catch (ItemNotFoundException)
            {
                resolvedPaths = null;
            }
            if (resolvedPaths is null || resolvedPaths.Count == 0)
            {
                host.Error(new ScanError(ErrorIds.PathNotFound, ScanErrorCategory.ObjectNotFound,
                    $"No file or folder matches '{path}'.", path));
                continue;
            }
            foreach (string p in resolvedPaths)
            {
                yield return p;
            }
        }
    }
}
