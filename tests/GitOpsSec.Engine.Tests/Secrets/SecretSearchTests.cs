using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Reports;
using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Secrets;

public sealed class SecretSearchTests
{
    /// <summary>A fake GitHub token with a valid checksum (computed independently of the engine in FakeTokens).</summary>
    internal static string GitHubToken(int seed) => FakeTokens.GitHub(seed);

    private static (List<SecretFinding> Findings, CollectingHost Host, SecretScanStatistics Stats) Files(string path, SecretScanOptions? options = null)
    {
        var host = new CollectingHost();
        var stats = new SecretScanStatistics();
        var findings = SecretSearch.ScanPaths(new[] { path }, options ?? new SecretScanOptions(), host, stats).ToList();
        return (findings, host, stats);
    }

    [Fact]
    public void Checksum_matches_the_published_algorithm_and_rejects_a_changed_character()
    {
        string token = GitHubToken(1);
        Assert.True(SecretText.HasValidCrc32Checksum(token));
        Assert.False(SecretText.HasValidCrc32Checksum(token[..10] + (token[10] == 'a' ? 'b' : 'a') + token[11..]));
        // zlib's CRC-32 of "123456789" is the standard check value 0xCBF43926.
        Assert.Equal(0xCBF43926u, SecretText.Crc32(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Working_tree_finds_locates_redacts_and_fingerprints()
    {
        using var dir = new TempDir();
        string token = GitHubToken(2);
        dir.Write("apps/ci.yaml", $"kind: ConfigMap\ndata:\n  # build settings\n  GH_TOKEN: {token}\n");
        dir.Write("apps/clean.yaml", "kind: ConfigMap\ndata:\n  LOG_LEVEL: debug\n");
        var (findings, host, stats) = Files(dir.Path);
        SecretFinding f = Assert.Single(findings);
        Assert.Equal(("GOS2110", "apps/ci.yaml", 4, 13), (f.RuleId, f.Path, f.Line, f.Column));
        Assert.Equal(SecretConfidence.High, f.Confidence);
        Assert.Null(f.Secret);
        Assert.Equal(token[..4] + "********", f.Redacted);
        Assert.DoesNotContain(token, f.ToString() + f.Message + f.ToFinding().ToString() + f.ToFinding().Evidence);
        Assert.Matches("^[0-9a-f]{32}$", f.Fingerprint);
        Assert.Equal(2, stats.FilesScanned);
        Assert.Empty(host.Errors);

        // Moving the line and reformatting keeps the fingerprint; another value changes it.
        dir.Write("apps/ci.yaml", $"kind: ConfigMap\ndata:\n  OTHER: x\n\n\n  GH_TOKEN:    \"{token}\"\n");
        Assert.Equal(f.Fingerprint, Assert.Single(Files(dir.Path).Findings).Fingerprint);
        dir.Write("apps/ci.yaml", $"kind: ConfigMap\ndata:\n  GH_TOKEN: {GitHubToken(3)}\n");
        Assert.NotEqual(f.Fingerprint, Assert.Single(Files(dir.Path).Findings).Fingerprint);
    }

    [Fact]
    public void ShowSecret_inline_allow_baseline_exclusions_and_confidence()
    {
        using var dir = new TempDir();
        string a = GitHubToken(4), b = GitHubToken(5);
        dir.Write("a.env", $"A={a}\nB={b} # gitopssec:allow test fixture\n");
        dir.Write("vendor/lib/c.env", $"C={GitHubToken(6)}\n");
        dir.Write("weak.env", "db_password=Zq8!xR2-vL9p\n");
        var (all, _, _) = Files(dir.Path, new SecretScanOptions { ShowSecret = true });
        // Walk order is the file system's: compare as sets.
        Assert.Equal(new[] { "", a, b }.Order(StringComparer.Ordinal),
            all.Where(f => f.Path != "vendor/lib/c.env").Select(f => f.RuleId == "GOS2160" ? string.Empty : f.Secret!).Order(StringComparer.Ordinal));
        Assert.True(all.Single(f => f.Secret == b).Suppressed);
        Assert.Contains(all, f => f.Path == "vendor/lib/c.env");

        string configFile = dir.Write(".gitopssec.yaml", "exclude: ['vendor/**']\n");
        string baselineFile = dir.Write("baseline.json", Baseline.Write(all.Where(f => f.Secret == a).Select(f => f.ToFinding())));
        var options = new SecretScanOptions { Config = GitOpsConfig.Load(configFile), Baseline = Baseline.Load(baselineFile), MinConfidence = SecretConfidence.Medium };
        var (filtered, _, stats) = Files(dir.Path, options);
        Assert.DoesNotContain(filtered, f => f.Path.StartsWith("vendor/", StringComparison.Ordinal));
        Assert.DoesNotContain(filtered, f => f.RuleId == "GOS2160");
        Assert.True(filtered.Single(f => f.Redacted.StartsWith(a[..4], StringComparison.Ordinal) && !f.Suppressed).Baselined);
        Assert.Equal(1, stats.Excluded);
    }

    [Fact]
    public void Binary_large_invalid_utf8_and_utf16_files()
    {
        using var dir = new TempDir();
        string token = GitHubToken(7);
        dir.WriteBytes("image.png", new byte[] { 0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0 }.Concat(Encoding.ASCII.GetBytes(token)).ToArray());
        dir.WriteBytes("latin1.env", Encoding.Latin1.GetBytes($"# caf\u00e9\nT={token}\n"));
        dir.WriteBytes("utf16.env", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes($"T={GitHubToken(8)}\n")).ToArray());
        dir.Write("big.env", new string('a', 3000) + "\n" + $"T={GitHubToken(9)}\n");
        dir.Write("long-line.txt", new string('x', 2_000_000) + $" T={GitHubToken(10)}");
        var (findings, host, stats) = Files(dir.Path, new SecretScanOptions { MaxFileSize = 1_000_000 });
        Assert.Equal(new[] { "big.env", "latin1.env", "utf16.env" }, findings.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(1, stats.BinarySkipped);
        Assert.Equal(1, stats.TooLarge);
        Assert.Equal(new[] { "GitOpsSec.Secrets.FileTooLarge:long-line.txt", "GitOpsSec.Secrets.InvalidEncoding:latin1.env" },
            host.Errors.Select(e => e.ErrorId + ":" + e.Target).Order(StringComparer.Ordinal));
        Assert.All(host.Errors, e => Assert.DoesNotContain("ghp_", e.ToString()));
        // The 2 MB line is scanned when the limit allows it.
        Assert.Contains(Files(dir.Path).Findings, f => f.Path == "long-line.txt" && f.Line == 1);
    }

    [Fact]
    public void Kubernetes_secrets_are_decoded_and_sealed_secrets_ignored()
    {
        using var dir = new TempDir();
        string token = GitHubToken(11);
        string b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(token));
        dir.Write("secret.yaml", $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\n  namespace: build\ndata:\n  token: {b64}\n  password: {Convert.ToBase64String(Encoding.UTF8.GetBytes("hunter2-but-longer"))}\n  empty: \"\"\n");
        var (findings, _, _) = Files(dir.Path);
        Assert.Equal(new[] { ("GOS2110", 7), ("GOS2150", 8) }, findings.Select(f => (f.RuleId, f.Line)));
        Assert.Equal("Secret build/ci data.token (base64-decoded)", findings[0].Context);
        Assert.Equal(SecretText.Redact(token), findings[0].Redacted);
    }

    [Fact]
    public void Staged_reports_the_index_not_the_working_file()
    {
        using var repo = new GitRepo();
        repo.Write("README.md", "hello\n");
        repo.Commit("init");
        string staged = GitHubToken(12), unstaged = GitHubToken(13);
        repo.Write("ci.env", $"T={staged}\n");
        repo.Git("add", "ci.env");
        repo.Write("ci.env", "T=${GH_TOKEN}\n");              // working file is clean, the index is not
        repo.Write("local.env", $"T={unstaged}\n");             // never added
        var host = new CollectingHost();
        var findings = SecretSearch.ScanIndex(repo.Path, new SecretScanOptions { ShowSecret = true }, host, new SecretScanStatistics()).ToList();
        SecretFinding f = Assert.Single(findings);
        Assert.Equal((SecretSource.Index, "ci.env", staged), (f.Source, f.Path, f.Secret));
        Assert.Empty(host.Errors);
        // The working-tree scan sees the opposite.
        Assert.Equal(new[] { "local.env" }, Files(repo.Path).Findings.Select(x => x.Path));
    }

    [Fact]
    public void History_finds_removed_secrets_at_their_introducing_commit_once_per_path()
    {
        using var repo = new GitRepo();
        string token = GitHubToken(14);
        repo.Write("app/config.env", "LOG=debug\n");
        repo.Commit("init");
        repo.Write("app/config.env", $"LOG=debug\nT={token}\n");
        string introducing = repo.Commit("add token");
        repo.Write("app/other.txt", "noise\n");
        repo.Commit("unrelated");
        repo.Write("copy/config.env", $"LOG=debug\nT={token}\n"); // same blob, new path
        string copied = repo.Commit("copy");
        repo.Delete("app/config.env");
        repo.Delete("copy/config.env");
        repo.Commit("remove token");
        repo.Git("checkout", "-q", "-b", "side", "HEAD~2");
        repo.Write("side.env", $"T={GitHubToken(15)}\n");
        string side = repo.Commit("side branch");
        repo.Git("checkout", "-q", "main");

        var host = new CollectingHost();
        var stats = new SecretScanStatistics();
        var findings = SecretSearch.ScanHistory(repo.Path, new HistoryOptions(), new SecretScanOptions(), host, stats).ToList();
        Assert.Empty(host.Errors);
        Assert.Equal(new[] { ("app/config.env", introducing), ("copy/config.env", copied), ("side.env", side) },
            findings.Select(f => (f.Path, f.Commit!)).OrderBy(x => x.Item1, StringComparer.Ordinal));
        Assert.All(findings, f => Assert.Equal("Dev Example <dev@example.com>", f.Author));
        Assert.Equal(6, stats.Commits);
        Assert.Empty(Files(repo.Path).Findings); // nothing left in the working tree

        // Only main's history; a range that starts after the leak finds nothing.
        var main = SecretSearch.ScanHistory(repo.Path, new HistoryOptions { Revision = "main" }, new SecretScanOptions(), host, new()).ToList();
        Assert.DoesNotContain(main, f => f.Path == "side.env");
        Assert.Empty(SecretSearch.ScanHistory(repo.Path, new HistoryOptions { Range = copied + "..main" }, new SecretScanOptions(), host, new()));
        Assert.Single(SecretSearch.ScanHistory(repo.Path, new HistoryOptions { MaxCount = 2, Revision = "main" }, new SecretScanOptions(), host, new()));
    }

    [Fact]
    public void A_corrupt_object_is_an_error_and_the_other_blobs_are_still_scanned()
    {
        using var repo = new GitRepo();
        repo.Write("good.env", $"T={GitHubToken(17)}\n");
        repo.Write("broken.env", "B=1\n");
        repo.Commit("two files");
        string blob = repo.Git("rev-parse", "HEAD:broken.env").Trim();
        string file = Path.Combine(repo.Path, ".git", "objects", blob[..2], blob[2..]);
        File.SetAttributes(file, FileAttributes.Normal);
        File.WriteAllBytes(file, new byte[] { 0x78, 0x9c, 0xde, 0xad, 0xbe, 0xef }); // zlib header, garbage body
        var host = new CollectingHost();
        var findings = SecretSearch.ScanHistory(repo.Path, new HistoryOptions(), new SecretScanOptions(), host, new()).ToList();
        Assert.Equal("good.env", Assert.Single(findings).Path);
        ScanError error = Assert.Single(host.Errors);
        Assert.Equal(("GitOpsSec.Git.ReadFailed", "broken.env"), (error.ErrorId, error.Target));
    }

    [Fact]
    public void Broken_inputs_are_errors_with_stable_ids()
    {
        using var dir = new TempDir();
        var host = new CollectingHost();
        Assert.Empty(SecretSearch.ScanHistory(dir.Path, new HistoryOptions(), new SecretScanOptions(), host, new()));
        Assert.Equal("GitOpsSec.Git.NotARepository", Assert.Single(host.Errors).ErrorId);

        using var repo = new GitRepo();
        repo.Write("a.txt", "a\n");
        repo.Commit("init");
        host.Errors.Clear();
        Assert.Empty(SecretSearch.ScanHistory(repo.Path, new HistoryOptions { Revision = "no-such-branch" }, new SecretScanOptions(), host, new()));
        Assert.Equal("GitOpsSec.Git.RevisionNotFound", Assert.Single(host.Errors).ErrorId);
    }

    [Fact]
    public void Long_histories_are_walked_in_parallel_slices_with_the_same_answer()
    {
        // 600 commits (made with git fast-import): the walk splits them across threads; the introducing
        // commit must still be the first in history order, and a blob re-added later is not reported again.
        using var repo = new GitRepo();
        string token = GitHubToken(16);
        var script = new StringBuilder();
        for (int c = 0; c < 600; c++)
        {
            // The same blob each time the token is present: commits 300-309, and again from 500 on.
            string content = c is >= 300 and < 310 || c >= 500 ? $"T={token}\n" : $"n={c}\n";
            string msg = $"OPS-{c}: change";
            script.Append($"commit refs/heads/main\ncommitter Dev <dev@example.com> {1700000000 + c * 60} +0000\ndata {msg.Length}\n{msg}\n");
            script.Append($"M 100644 inline dir{c % 13}/f{c % 29}.txt\ndata {Encoding.UTF8.GetByteCount($"x={c}\n")}\nx={c}\n");
            script.Append($"M 100644 inline app/config.env\ndata {Encoding.UTF8.GetByteCount(content)}\n{content}\n");
        }
        var start = new System.Diagnostics.ProcessStartInfo("git", "fast-import --quiet") { WorkingDirectory = repo.Path, RedirectStandardInput = true };
        using (var p = System.Diagnostics.Process.Start(start)!)
        {
            p.StandardInput.Write(script.ToString());
            p.StandardInput.Close();
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }
        string expected = repo.Git("log", "--format=%H", "--reverse", "main").Split('\n')[300];
        var host = new CollectingHost();
        var stats = new SecretScanStatistics();
        var findings = SecretSearch.ScanHistory(repo.Path, new HistoryOptions(), new SecretScanOptions { Parallelism = 2 }, host, stats).ToList();
        Assert.Empty(host.Errors);
        Assert.Equal(600, stats.Commits);
        SecretFinding f = Assert.Single(findings);
        Assert.Equal((expected, "app/config.env"), (f.Commit, f.Path));
        var sequential = SecretSearch.ScanHistory(repo.Path, new HistoryOptions(), new SecretScanOptions { Parallelism = 1 }, host, new()).ToList();
        Assert.Equal(findings.Select(x => (x.Commit, x.Path, x.Fingerprint)), sequential.Select(x => (x.Commit, x.Path, x.Fingerprint)));
    }
}

public sealed class RedactionTests
{
    [Theory]
    [InlineData("hunter2")]
    [InlineData("Summer2024!xy")]
    [InlineData("AKIAIOSFODNN7EXAMPLE")]
    [InlineData("ghp_0123456789abcdefghijklmnopqrstuvwxyz0123")]
    public void Redaction_shows_at_most_four_characters_and_never_the_length(string secret)
    {
        string redacted = GitOpsSec.Secrets.SecretText.Redact(secret);
        string shown = redacted.Replace("*", string.Empty, StringComparison.Ordinal);
        Assert.True(shown.Length <= 4);
        Assert.StartsWith(shown, secret, StringComparison.Ordinal);
        Assert.EndsWith("********", redacted, StringComparison.Ordinal);
        // The redacted length depends only on the band (under 12, 12-19, 20 and more), not on the secret's length.
        Assert.Equal(secret.Length >= 20 ? 12 : secret.Length >= 12 ? 10 : 8, redacted.Length);
        Assert.Equal(redacted.Length, GitOpsSec.Secrets.SecretText.Redact(secret + new string('x', secret.Length >= 20 ? 100 : 0)).Length);
    }
}
