using System.Text;
using GitOpsSec.Git;
using GitOpsSec.Tests.Shared;
using LibGit2Sharp;
using Xunit;

namespace GitOpsSec.Engine.Tests.Git;

/// <summary>The raw tree walk agrees with <c>git diff-tree -r</c> on every commit, including the corners of git's tree order.</summary>
public sealed class TreeDiffTests
{
    [Fact]
    public void Every_commit_changes_what_git_diff_tree_says_it_changes()
    {
        using var repo = new GitRepo();
        // git sorts a folder as if its name ended in '/': "a.b" < "a/" < "a0", and a file "a" < "a.b".
        repo.Write("a.b", "1\n");
        repo.Write("a/x.yaml", "1\n");
        repo.Write("a0", "1\n");
        repo.Write("a-b/c.txt", "1\n");
        repo.Write("deep/one/two/three/f.yaml", "1\n");
        repo.Write("ünïcode/名前.yaml", "1\n");
        repo.Write("same.txt", "unchanged\n");
        repo.Commit("root");
        repo.Write("a/x.yaml", "2\n");
        repo.Write("deep/one/two/three/f.yaml", "2\n");
        repo.Write("deep/one/new.yaml", "new\n");
        repo.Commit("modify and add deep");
        repo.Delete("a.b");
        repo.Write("a.b/inner.txt", "was a file, now a folder\n");
        repo.Write("ünïcode/名前.yaml", "2\n");
        repo.Commit("file to folder");
        Directory.Delete(Path.Combine(repo.Path, "a-b"), recursive: true);
        repo.Write("a-b", "was a folder, now a file\n");
        repo.Commit("folder to file");
        File.SetUnixFileMode(Path.Combine(repo.Path, "a0"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        repo.Commit("executable bit only");
        File.CreateSymbolicLink(Path.Combine(repo.Path, "link"), "a0");
        repo.Write("copy.txt", "unchanged\n"); // the same blob as same.txt, at a new path
        repo.Commit("symlink and copy");
        repo.Git("checkout", "-q", "-b", "side", "HEAD~2");
        repo.Write("side.yaml", "side\n");
        repo.Commit("side");
        repo.Git("checkout", "-q", "main");
        repo.Git("merge", "-q", "--no-ff", "-m", "merge", "side");

        var commits = repo.Git("rev-list", "--reverse", "--topo-order", "--all").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, commits.Length);
        EveryCommitAsGitSays(repo, commits);
    }

    [Fact]
    public void Walks_a_fast_import_history_as_git_does_commit_by_commit()
    {
        // 300 commits over a wide folder (the shape that made the LibGit2Sharp walk slow), with deletions.
        using var repo = new GitRepo();
        var script = new StringBuilder();
        var random = new Random(7);
        for (int c = 0; c < 300; c++)
        {
            string msg = $"c{c}";
            script.Append($"commit refs/heads/main\ncommitter Dev <dev@example.com> {1700000000 + c} +0000\ndata {msg.Length}\n{msg}\n");
            for (int k = 0; k < 3; k++)
            {
                string path = $"charts/chart-{random.Next(400)}/values.yaml";
                if (c > 10 && random.Next(6) == 0)
                {
                    script.Append($"D {path}\n");
                    continue;
                }
                string content = $"v: {c}-{k}\n";
                script.Append($"M 100644 inline {path}\ndata {content.Length}\n{content}\n");
            }
        }
        repo.TryGitWithInput(script.ToString(), "fast-import", "--quiet");
        EveryCommitAsGitSays(repo, repo.Git("rev-list", "--reverse", "main").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Walks <paramref name="commits"/> in order with one walker (its tree cache in play) and compares each with git's answer.</summary>
    private static void EveryCommitAsGitSays(GitRepo repo, IEnumerable<string> commits)
    {
        using var lg = new Repository(repo.Path);
        using var objects = new GitObjectReader(lg);
        var diff = new TreeDiff(objects);
        foreach (string sha in commits)
        {
            var ours = diff.Changes(new ObjectId(sha))
                .Select(c => $"{(c.Before?.Sha ?? new string('0', 40))} {c.Blob.Sha} {c.Path}").OrderBy(x => x, StringComparer.Ordinal).ToList();
            Assert.Equal(GitChanges(repo, sha), ours);
        }
    }

    /// <summary>git's answer: files added or modified against the first parent (everything for a root commit), without rename detection.</summary>
    private static List<string> GitChanges(GitRepo repo, string sha)
    {
        string parents = repo.Git("rev-list", "--parents", "-n", "1", sha).Trim();
        string[] ids = parents.Split(' ');
        string output = ids.Length > 1
            ? repo.Git("-c", "core.quotepath=off", "diff-tree", "-r", "--no-renames", "-z", ids[1], sha)
            : repo.Git("-c", "core.quotepath=off", "diff-tree", "-r", "--no-renames", "--root", "-z", sha);
        var rows = new List<string>();
        string[] parts = output.Split('\0');
        for (int i = 0; i + 1 < parts.Length; i += 2)
        {
            string header = parts[i].TrimStart('\n');
            if (header.Length == 0 || !header.StartsWith(':'))
            {
                i--; // the commit id line diff-tree prints for --root
                continue;
            }
            string[] f = header[1..].Split(' ');
            string newMode = f[1], oldBlob = f[2], newBlob = f[3], status = f[4];
            if (status == "D" || !newMode.StartsWith("100", StringComparison.Ordinal))
            {
                continue; // deletions, symbolic links and submodules hold no file content
            }
            string oldMode = f[0];
            string before = oldMode.StartsWith("100", StringComparison.Ordinal) ? oldBlob : new string('0', 40);
            rows.Add($"{before} {newBlob} {parts[i + 1]}");
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}

/// <summary>libgit2's revision walk selects the commits git's rev-list selects, in LibGit2Sharp's order.</summary>
public sealed class CommitSelectionTests
{
    [Fact]
    public void Commit_ids_match_git_rev_list_for_all_refs_a_revision_a_range_since_and_a_count()
    {
        using var repo = new GitRepo();
        var commits = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            repo.Environment["GIT_COMMITTER_DATE"] = $"{1700000000 + i * 86400} +0000";
            repo.Write($"f{i % 3}.txt", $"{i}\n");
            commits.Add(repo.Commit($"c{i}"));
            if (i == 5)
            {
                repo.Git("checkout", "-q", "-b", "side");
            }
            if (i == 8)
            {
                repo.Git("checkout", "-q", "main");
            }
        }
        repo.Git("tag", "v1", commits[3]);
        using var lg = new Repository(repo.Path);
        using var objects = new GitObjectReader(lg);
        var host = new GitOpsSec.Diagnostics.CollectingHost();
        List<string> Ours(string? range, string? revision, DateTimeOffset? since = null, int? max = null) =>
            GitHistory.SelectCommitIds(lg, objects, range, revision, since, max, host)!.Select(c => c.Sha).ToList();
        List<string> Git(params string[] args) => repo.Git(new[] { "rev-list" }.Concat(args).ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        List<string> Sharp(string? range, string? revision, DateTimeOffset? since = null, int? max = null) =>
            GitHistory.SelectCommits(lg, range, revision, since, max, host)!.Select(c => c.Sha).ToList();

        Assert.Equal(Git("--all").OrderBy(x => x), Ours(null, null).OrderBy(x => x));
        Assert.Equal(Sharp(null, null), Ours(null, null));
        Assert.Equal(Git("side").OrderBy(x => x), Ours(null, "side").OrderBy(x => x));
        Assert.Equal(Git($"{commits[2]}..main").OrderBy(x => x), Ours($"{commits[2]}..main", null).OrderBy(x => x));
        var since = DateTimeOffset.FromUnixTimeSeconds(1700000000 + 7 * 86400);
        Assert.Equal(Git("--all", "--since=" + since.ToUnixTimeSeconds()).OrderBy(x => x), Ours(null, null, since).OrderBy(x => x));
        Assert.Equal(Sharp(null, null, since, 3), Ours(null, null, since, 3));
        Assert.Empty(host.Errors);
        Assert.Null(GitHistory.SelectCommitIds(lg, objects, "nope..main", null, null, null, host));
        Assert.Equal("GitOpsSec.Git.RevisionNotFound", Assert.Single(host.Errors).ErrorId);
    }
}

/// <summary>A tree nested absurdly deep (made with git fast-import, which does not limit it) is one commit's error, not a crash or a memory blow-up.</summary>
public sealed class DeepTreeTests
{
    [Fact]
    public void A_folder_path_beyond_the_bound_fails_that_commit_and_the_others_are_still_scanned()
    {
        using var repo = new GitRepo();
        string deep = string.Join('/', Enumerable.Repeat("d" + new string('x', 60), 80)) + "/leak.env"; // about 5,000 characters
        string token = GitOpsSec.Tests.Shared.FakeTokens.GitHub(81);
        string body = $"T={token}\n";
        string script = $"commit refs/heads/main\ncommitter Dev <dev@example.com> 1700000000 +0000\ndata 4\ndeep\nM 100644 inline {deep}\ndata {body.Length}\n{body}\n" +
                        $"commit refs/heads/main\ncommitter Dev <dev@example.com> 1700000100 +0000\ndata 5\nflat\nM 100644 inline app.env\ndata {body.Length}\n{body}\n";
        repo.TryGitWithInput(script, "fast-import", "--quiet");
        Assert.Equal(deep, repo.Git("log", "--format=", "--name-only", "main~1").Trim()); // git stored it
        var host = new GitOpsSec.Diagnostics.CollectingHost();
        var found = GitOpsSec.Secrets.SecretSearch.ScanHistory(repo.Path, new GitOpsSec.Secrets.HistoryOptions(), new GitOpsSec.Secrets.SecretScanOptions(), host, new()).ToList();
        Assert.Equal("app.env", Assert.Single(found).Path);
        var error = Assert.Single(host.Errors);
        Assert.Equal(GitOpsSec.Diagnostics.ErrorIds.GitReadFailed, error.ErrorId);
        Assert.Contains("deep", error.Message, StringComparison.Ordinal);
    }
}
