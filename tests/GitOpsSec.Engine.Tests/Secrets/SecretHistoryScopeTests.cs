using GitOpsSec.Diagnostics;
using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Secrets;

/// <summary>History as diff-based scanners report it, and working trees as git sees them (git itself is the oracle).</summary>
public sealed class SecretHistoryScopeTests
{
    private static List<SecretFinding> History(string path, CollectingHost? host = null) =>
        SecretSearch.ScanHistory(path, new HistoryOptions(), new SecretScanOptions(), host ?? new CollectingHost(), new SecretScanStatistics()).ToList();

    [Fact]
    public void A_secret_is_reported_once_per_path_at_the_commit_git_says_introduced_it()
    {
        using var repo = new GitRepo();
        string token = FakeTokens.GitHub(40);
        repo.Write("apps/api/values.yaml", $"image: api:1\ntoken: {token}\n");
        repo.Commit("add api");
        for (int i = 2; i <= 6; i++)
        {
            repo.Write("apps/api/values.yaml", $"image: api:{i}\ntoken: {token}\n"); // every later version still carries it
            repo.Commit($"bump {i}");
        }
        var findings = History(repo.Path);
        SecretFinding f = Assert.Single(findings);
        // git's answer: the commit that added the line holding the token (pickaxe), oldest first.
        string introduced = repo.Git("log", "--reverse", "--format=%H", "-S", token, "--", "apps/api/values.yaml").Split('\n')[0].Trim();
        Assert.Equal(("apps/api/values.yaml", introduced), (f.Path, f.Commit));
    }

    [Fact]
    public void History_of_a_sub_folder_stays_inside_it_with_the_working_tree_scans_paths()
    {
        using var repo = new GitRepo();
        repo.Write("clusters/prod/apps/db.env", $"T={FakeTokens.GitHub(41)}\n");
        repo.Write("clusters/dev/apps/db.env", $"T={FakeTokens.GitHub(42)}\n");
        repo.Commit("both");
        string prod = Path.Combine(repo.Path, "clusters", "prod");
        var history = History(prod);
        var tree = SecretSearch.ScanPaths(new[] { prod }, new SecretScanOptions(), new CollectingHost(), new SecretScanStatistics()).ToList();
        Assert.Equal(new[] { "apps/db.env" }, history.Select(f => f.Path));
        Assert.Equal(tree.Select(f => f.Path), history.Select(f => f.Path));
        Assert.Equal(tree.Single().Fingerprint, history.Single().Fingerprint);

        // One file: its own history, under the name the working-tree scan gives it.
        string file = Path.Combine(prod, "apps", "db.env");
        var one = History(file);
        Assert.Equal(SecretSearch.ScanPaths(new[] { file }, new SecretScanOptions(), new CollectingHost(), new SecretScanStatistics()).Select(f => f.Path), one.Select(f => f.Path));
        Assert.Equal("db.env", Assert.Single(one).Path);
    }

    [Fact]
    public void The_working_tree_scan_skips_what_git_ignores_but_never_what_git_tracks()
    {
        using var repo = new GitRepo();
        repo.Write(".gitignore", "bin/\nnode_modules/\n*.log\n");
        repo.Write("app.env", $"T={FakeTokens.GitHub(43)}\n");
        repo.Write("vendored.log", $"T={FakeTokens.GitHub(44)}\n");
        repo.Git("add", ".gitignore", "app.env");
        repo.Git("add", "-f", "vendored.log");          // tracked although a pattern ignores it
        repo.Commit("init");
        repo.Write("bin/Release/appsettings.json", $"{{\"t\": \"{FakeTokens.GitHub(45)}\"}}\n");
        repo.Write("node_modules/pkg/.npmrc", $"//registry.npmjs.org/:_authToken={FakeTokens.GitHub(46, "npm_")}\n");
        repo.Write("debug.log", $"T={FakeTokens.GitHub(47)}\n");
        string excludeFile = Path.Combine(repo.Path, ".git", "info", "exclude");
        File.AppendAllText(excludeFile, "local-notes.txt\n");
        repo.Write("local-notes.txt", $"T={FakeTokens.GitHub(48)}\n");

        var stats = new SecretScanStatistics();
        var scanned = SecretSearch.ScanPaths(new[] { repo.Path }, new SecretScanOptions(), new CollectingHost(), stats).Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
        var everything = SecretSearch.ScanPaths(new[] { repo.Path }, new SecretScanOptions { NoIgnore = true }, new CollectingHost(), new SecretScanStatistics())
            .Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
        // git's own view of what it ignores among the files with findings.
        var ignoredByGit = everything.Where(p => repo.TryGit("check-ignore", "-q", p).Exit == 0).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(everything.Where(p => !ignoredByGit.Contains(p)), scanned);
        Assert.Contains("vendored.log", scanned);                   // tracked: git check-ignore without --no-index says not ignored
        Assert.Equal(new[] { "app.env", "vendored.log" }, scanned);
        Assert.Equal(6, everything.Count);
        Assert.True(stats.Ignored >= 4, stats.ToString());

        // Build output git ignores is not read at all: an oversized file there is no FileTooLarge error.
        repo.Write("bin/Release/big.bin", new string('x', 2_000_000));
        var host = new CollectingHost();
        SecretSearch.ScanPaths(new[] { repo.Path }, new SecretScanOptions { MaxFileSize = 1_000_000 }, host, new SecretScanStatistics()).ToList();
        Assert.Empty(host.Errors);
        var unignored = new CollectingHost();
        SecretSearch.ScanPaths(new[] { repo.Path }, new SecretScanOptions { MaxFileSize = 1_000_000, NoIgnore = true }, unignored, new SecretScanStatistics()).ToList();
        Assert.Contains(unignored.Errors, e => e.ErrorId == GitOpsSec.Diagnostics.ErrorIds.SecretFileTooLarge);
    }
}

/// <summary>The gitignore matcher against git itself (git check-ignore), over patterns of every kind gitignore(5) lists.</summary>
public sealed class GitIgnoreTests
{
    [Fact]
    public void Decides_as_git_check_ignore_does()
    {
        using var repo = new GitRepo();
        repo.Write(".gitignore", string.Join('\n',
            "# build output", "bin/", "/out", "*.log", "!keep.log", "node_modules", "docs/**/generated", "**/tmp/*.cache",
            "secret?.txt", "data[0-9].csv", "logs/**", "!logs/important/", "\\#notes.md", "trailing-space\\ ", "a/**/z.txt", ""));
        repo.Write("src/.gitignore", "local.env\n!/src/keep.env\n/only-here.txt\n");
        repo.Write(".git/info/exclude", "private-notes.txt\n");
        string[] files =
        {
            "bin/app.dll", "src/bin/app.dll", "out/x.txt", "src/out/x.txt", "debug.log", "src/keep.log", "keep.log",
            "node_modules/a/index.js", "web/node_modules/b.js", "docs/api/v1/generated/x.md", "docs/generated/y.md", "docs/manual.md",
            "a/tmp/x.cache", "tmp/y.cache", "tmp/y.txt", "secret1.txt", "secret12.txt", "data3.csv", "dataX.csv",
            "logs/a.txt", "logs/important/b.txt", "#notes.md", "notes.md", "trailing-space ", "a/z.txt", "a/b/c/z.txt",
            "src/local.env", "src/deeper/local.env", "local.env", "src/only-here.txt", "src/x/only-here.txt", "only-here.txt",
            "private-notes.txt", "src/private-notes.txt", "app.yaml",
        };
        foreach (string f in files)
        {
            repo.Write(f, "x\n");
        }
        var ignore = GitOpsSec.Git.GitIgnore.For(repo.Path)!;
        foreach (string f in files)
        {
            // As the walk decides: a folder found ignored is not entered.
            string[] parts = f.Split('/');
            bool ours = false;
            for (int i = 1; i <= parts.Length && !ours; i++)
            {
                ours = ignore.IsIgnored(Path.Combine(repo.Path, string.Join('/', parts.Take(i))), directory: i < parts.Length);
            }
            bool git = repo.TryGit("check-ignore", "-q", "--no-index", f).Exit == 0;
            Assert.True(git == ours, $"{f}: git says {(git ? "ignored" : "not ignored")}, GitIgnore says {(ours ? "ignored" : "not ignored")}");
        }
    }
}
