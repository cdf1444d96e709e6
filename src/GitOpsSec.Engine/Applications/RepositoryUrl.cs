using System.Text.RegularExpressions;

namespace GitOpsSec.Applications;

/// <summary>
/// Git URLs compared as the same repository whatever their form: https://github.com/org/repo.git,
/// ssh://git@github.com/org/repo, git@github.com:org/repo and github.com/org/repo all read github.com/org/repo.
/// </summary>
public static class RepositoryUrl
{
    private static readonly Regex ScpLike = new(@"^(?:[A-Za-z0-9._-]+@)?(?<host>[A-Za-z0-9.-]+):(?!//)(?<path>[^\s]+)$",
        RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>host/path in lower case, without a scheme, user, port, trailing slash or .git; null for an empty or unreadable URL.</summary>
    public static string? Normalize(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }
        string u = url.Trim();
        if (u.StartsWith("git+", StringComparison.OrdinalIgnoreCase))
        {
            u = u[4..];
        }
        string host;
        string path;
        Match scp = u.Contains("://", StringComparison.Ordinal) ? Match.Empty : ScpLike.Match(u);
        if (scp.Success)
        {
            host = scp.Groups["host"].Value;
            path = scp.Groups["path"].Value;
        }
        else if (Uri.TryCreate(u.Contains("://", StringComparison.Ordinal) ? u : "https://" + u, UriKind.Absolute, out Uri? uri) && uri.Host.Length > 0)
        {
            host = uri.Host;
            path = uri.AbsolutePath;
        }
        else if (u.StartsWith('/') || u.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            host = "file";
            path = u;
        }
        else
        {
            return null;
        }
        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }
        return (host + "/" + path.TrimEnd('/')).ToLowerInvariant();
    }

    /// <summary>
    /// The URLs of the repository's remotes (fetch URLs) and the branch checked out (its short name; null for a
    /// detached HEAD), read with libgit2 in one open; nothing when the repository cannot be read.
    /// </summary>
    public static (IReadOnlyList<string> Remotes, string? Branch) Describe(string workTree)
    {
        try
        {
            using var repo = new LibGit2Sharp.Repository(workTree);
            var remotes = repo.Network.Remotes.Select(r => r.Url).Where(u => !string.IsNullOrEmpty(u)).ToList();
            string? branch = repo.Info.IsHeadDetached || repo.Info.IsHeadUnborn && repo.Head.FriendlyName is null ? null : repo.Head.FriendlyName;
            return (remotes, branch);
        }
        catch (LibGit2Sharp.LibGit2SharpException)
        {
            return (Array.Empty<string>(), null);
        }
    }
}
