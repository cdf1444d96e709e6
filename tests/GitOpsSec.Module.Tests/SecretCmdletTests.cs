using System.Text;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Find-GitOpsSecret, Test-CommitMessage and Install-GitOpsHook in real pipelines and real git repositories.</summary>
public class SecretCmdletTests
{
    [Fact]
    public void Find_GitOpsSecret_pipes_into_a_baseline_and_only_new_leaks_remain_open()
    {
        using var dir = new TempDir();
        string old = FakeTokens.GitHub(101), fresh = FakeTokens.GitHub(102);
        dir.Write("ci.env", $"T={old}\n");
        using var session = new PowerShellSession(dir.Path);
        var first = session.Run("Find-GitOpsSecret");
        first.AssertNoErrors();
        var f = Assert.Single(first.Output);
        Assert.Equal("GitOpsSec.Secrets.SecretFinding", f.TypeNames[0]);
        Assert.Equal("GOS2110", f.Properties["RuleId"].Value);
        Assert.Null(f.Properties["Secret"].Value);
        session.Run("Find-GitOpsSecret | Export-GitOpsBaseline ./baseline.json").AssertNoErrors();
        Assert.DoesNotContain(old, File.ReadAllText(Path.Combine(dir.Path, "baseline.json")), StringComparison.Ordinal);

        dir.Write("app.env", $"T={fresh}\n");
        var second = session.Run("Find-GitOpsSecret -Baseline ./baseline.json -ShowSecret | Where-Object IsOpen | ForEach-Object Secret");
        Assert.Equal(new object[] { fresh }, second.Output.Select(o => o.BaseObject));
        var failed = session.Run("Find-GitOpsSecret -Baseline ./baseline.json -FailOn High -ErrorVariable gosErr -ErrorAction SilentlyContinue; $gosErr[-1].FullyQualifiedErrorId");
        Assert.StartsWith("GitOpsSec.Policy.Failed", (string)failed.Output[^1].BaseObject, StringComparison.Ordinal);
        // Redaction everywhere a user looks by default: output objects and their string form.
        Assert.DoesNotContain(fresh, string.Join("\n", failed.Output.Select(o => o.ToString())), StringComparison.Ordinal);
    }

    [Fact]
    public void Staged_and_history_through_the_cmdlet()
    {
        using var repo = new GitRepo();
        string token = FakeTokens.GitHub(103);
        repo.Write("deploy/values.yaml", $"image: app:1.0\ngithubToken: {token}\n");
        string leaked = repo.Commit("OPS-1: add values");
        repo.Write("deploy/values.yaml", "image: app:1.0\ngithubToken: ${GH_TOKEN}\n");
        repo.Commit("OPS-2: use a variable");
        using var session = new PowerShellSession(repo.Path);
        Assert.Empty(session.Run("Find-GitOpsSecret").Output);
        var history = session.Run("Find-GitOpsSecret -History");
        history.AssertNoErrors();
        var h = Assert.Single(history.Output);
        Assert.Equal(leaked, h.Properties["Commit"].Value);
        Assert.Equal("deploy/values.yaml", h.Properties["Path"].Value);
        Assert.Equal("History", h.Properties["Source"].Value.ToString());

        repo.Write("deploy/values.yaml", $"image: app:1.0\ngithubToken: {token}\n");
        repo.Git("add", "-A");
        repo.Write("deploy/values.yaml", "image: app:1.0\n");
        Assert.Single(session.Run("Find-GitOpsSecret -Staged").Output);
        Assert.Equal(new[] { "GitOpsSec.Git.NotARepository" }, session.Run("Find-GitOpsSecret -History -Path $args[0]", Path.GetTempPath()).ErrorIds);
    }

    [Fact]
    public void Test_CommitMessage_checks_history_and_single_messages()
    {
        using var repo = new GitRepo();
        repo.Write("a.txt", "1");
        repo.Commit("OPS-12: first");
        repo.Write("a.txt", "2");
        repo.Commit("fix typo");
        repo.Git("checkout", "-q", "-b", "feature");
        repo.Write("b.txt", "1");
        repo.Commit("OPS-13: feature");
        repo.Git("checkout", "-q", "main");
        repo.Git("merge", "-q", "--no-ff", "-m", "Merge branch 'feature'", "feature");
        using var session = new PowerShellSession(repo.Path);
        var all = session.Run("Test-CommitMessage");
        all.AssertNoErrors();
        Assert.Equal(new[] { false, true, false, true }, all.Output.Select(o => (bool)o.Properties["Passed"].Value));
        Assert.Equal(new[] { "Merge branch 'feature'", "OPS-13: feature", "fix typo", "OPS-12: first" }, all.Output.Select(o => (string)o.Properties["Subject"].Value));
        var noMerges = session.Run("Test-CommitMessage -ExcludeMerges | Where-Object { -not $_.Passed } | ForEach-Object Subject");
        Assert.Equal(new object[] { "fix typo" }, noMerges.Output.Select(o => o.BaseObject));
        Assert.True((bool)session.Run("Test-CommitMessage -Message \"SEC-7: rotate keys`n# comment\"").Single().Passed);
        Assert.False((bool)session.Run("Test-CommitMessage -Message \"# SEC-7: only a comment`nrotate keys\"").Single().Passed);
        Assert.Single(session.Run("Test-CommitMessage -Range 'HEAD~1..feature'").Output);
    }

    [Fact]
    public void Installed_hooks_block_staged_secrets_and_messages_without_tickets()
    {
        using var repo = new GitRepo();
        repo.Write("README.md", "hello\n");
        repo.Commit("OPS-1: init");
        repo.Environment["GITOPSSEC_HOST"] = HostAndScriptTests.HostExecutable();
        using var session = new PowerShellSession(repo.Path);
        var installed = session.Run("Install-GitOpsHook");
        installed.AssertNoErrors();
        Assert.Equal(new[] { "PreCommit:Installed", "CommitMsg:Installed" }, installed.Output.Select(o => $"{o.Properties["Hook"].Value}:{o.Properties["Action"].Value}"));

        string token = FakeTokens.GitHub(104);
        repo.Write("ci.env", $"T={token}\n");
        repo.Git("add", "ci.env");
        var blocked = repo.TryGit("commit", "-q", "-m", "OPS-2: add ci");
        Assert.NotEqual(0, blocked.Exit);
        Assert.Contains("GOS2110", blocked.Output + blocked.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(token, blocked.Output + blocked.Error, StringComparison.Ordinal);

        repo.Write("ci.env", "T=${GH_TOKEN}\n");
        repo.Git("add", "ci.env");
        var noTicket = repo.TryGit("commit", "-q", "-m", "add ci");
        Assert.NotEqual(0, noTicket.Exit);
        Assert.Contains("ticket", noTicket.Output + noTicket.Error, StringComparison.OrdinalIgnoreCase);
        var ok = repo.TryGit("commit", "-q", "-m", "OPS-3: add ci");
        Assert.True(ok.Exit == 0, ok.Error);
    }

    [Fact]
    public void Install_GitOpsHook_respects_foreign_hooks_core_hooksPath_and_WhatIf()
    {
        using var repo = new GitRepo();
        using var session = new PowerShellSession(repo.Path);
        string hooks = Path.Combine(repo.Path, ".git", "hooks");
        Directory.CreateDirectory(hooks);
        File.WriteAllText(Path.Combine(hooks, "pre-commit"), "#!/bin/sh\necho mine\n");

        Assert.Empty(session.Run("Install-GitOpsHook -WhatIf").Output);
        Assert.False(File.Exists(Path.Combine(hooks, "commit-msg")));

        var refused = session.Run("Install-GitOpsHook");
        Assert.Equal(new[] { "GitOpsSec.Hook.Exists" }, refused.ErrorIds);
        Assert.Equal("#!/bin/sh\necho mine\n", File.ReadAllText(Path.Combine(hooks, "pre-commit")));
        Assert.True(File.Exists(Path.Combine(hooks, "commit-msg")));

        var forced = session.Run("Install-GitOpsHook -Hook PreCommit -Force");
        forced.AssertNoErrors();
        string backup = (string)forced.Single().BackupPath;
        Assert.Equal("#!/bin/sh\necho mine\n", File.ReadAllText(backup));
        Assert.Equal("Updated", (string)session.Run("Install-GitOpsHook -Hook PreCommit").Single().Action);

        repo.Git("config", "core.hooksPath", ".githooks");
        var custom = session.Run("Install-GitOpsHook -Hook CommitMsg -TicketPattern '^(OPS|SEC)-\\d+: '");
        custom.AssertNoErrors();
        string file = Path.Combine(repo.Path, ".githooks", "commit-msg");
        Assert.Equal(file, (string)custom.Single().Path);
        Assert.Contains("GITOPSSEC_TICKET_PATTERN_B64='" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("^(OPS|SEC)-\\d+: ")) + "'", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.True((File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0);
    }

    [Theory]
    [InlineData("'$(touch pwned-sh)'")]
    [InlineData("x\ntouch pwned-newline\n#")]
    [InlineData("\u2019; New-Item pwned-curly-quote; \u2019")]
    [InlineData("\"; New-Item pwned-double-quote; \"")]
    [InlineData("`$(New-Item pwned-subexpression)")]
    public void A_hostile_ticket_pattern_is_applied_as_a_pattern_and_never_runs_as_code(string hostile)
    {
        using var repo = new GitRepo();
        repo.Write("README.md", "hello\n");
        repo.Commit("OPS-1: init");
        repo.Environment["GITOPSSEC_HOST"] = HostAndScriptTests.HostExecutable();
        using var session = new PowerShellSession(repo.Path);
        string pattern = "^OPS-\\d+: |" + hostile;
        session.Run("Install-GitOpsHook -Hook CommitMsg -TicketPattern $args[0]", pattern).AssertNoErrors();
        string hook = Path.Combine(repo.Path, ".git", "hooks", "commit-msg");
        Assert.DoesNotContain(hostile, File.ReadAllText(hook), StringComparison.Ordinal);
        Assert.Equal(0, Proc.Run("sh", new[] { "-n", hook }).Exit);

        repo.Write("a.txt", "1");
        repo.Git("add", "-A");
        var refused = repo.TryGit("commit", "-q", "-m", "quick fix");
        Assert.NotEqual(0, refused.Exit);
        var accepted = repo.TryGit("commit", "-q", "-m", "OPS-2: the pattern is applied as written");
        Assert.True(accepted.Exit == 0, accepted.Error);
        Assert.Empty(Directory.GetFiles(repo.Path, "pwned*", SearchOption.AllDirectories));
    }

    [Fact]
    public void An_edited_GitOpsSec_hook_is_a_customisation_and_hooks_are_0755_under_any_umask()
    {
        using var repo = new GitRepo();
        string hooks = Path.Combine(repo.Path, ".git", "hooks");
        var (exit, _, error) = Proc.Run("sh", new[] { "-c", "umask 000 && exec \"$0\" -Command 'Install-GitOpsHook'", HostAndScriptTests.HostExecutable() }, repo.Path);
        Assert.True(exit == 0, error);
        foreach (string name in new[] { "pre-commit", "commit-msg" })
        {
            Assert.Equal(Convert.ToInt32("755", 8), (int)File.GetUnixFileMode(Path.Combine(hooks, name)));
        }
        using var session = new PowerShellSession(repo.Path);
        Assert.Equal("Updated", (string)session.Run("Install-GitOpsHook -Hook PreCommit").Single().Action);
        string file = Path.Combine(hooks, "pre-commit");
        File.AppendAllText(file, "/usr/local/bin/team-lint --staged\n"); // a team's own addition, marker kept
        string edited = File.ReadAllText(file);
        var refused = session.Run("Install-GitOpsHook -Hook PreCommit");
        Assert.Equal(new[] { "GitOpsSec.Hook.Exists" }, refused.ErrorIds);
        Assert.Equal(edited, File.ReadAllText(file));
        var forced = session.Run("Install-GitOpsHook -Hook PreCommit -Force");
        forced.AssertNoErrors();
        Assert.Equal("Replaced", (string)forced.Single().Action);
        Assert.Equal(edited, File.ReadAllText((string)forced.Single().BackupPath));
    }

    [Fact]
    public void The_hosts_secrets_verb_finds_what_the_cmdlet_finds_without_starting_PowerShell()
    {
        using var dir = new TempDir();
        dir.Write("a/ci.env", $"T={FakeTokens.GitHub(105)}\n");
        dir.Write("b/values.yaml", "db:\n  url: postgresql://app:Zk82jd7Qpw1x@db:5432/app\n");
        dir.Write("c/clean.yaml", "kind: ConfigMap\n");
        using var session = new PowerShellSession(dir.Path);
        var cmdlet = session.Run("Find-GitOpsSecret -Path $args[0] | ForEach-Object Fingerprint", dir.Path).Output.Select(o => (string)o.BaseObject).Order().ToList();
        var (exit, output, error) = HostAndScriptTests.RunHost("secrets", "--json", "--fail-on", "High", dir.Path);
        Assert.Equal(3, exit);
        Assert.Contains("2 open secret finding(s)", error, StringComparison.Ordinal);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var fingerprints = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("Fingerprint").GetString()!).Order().ToList();
        Assert.Equal(2, cmdlet.Count);
        Assert.Equal(cmdlet, fingerprints);
        Assert.DoesNotContain("Zk82jd7Qpw1x", output + error, StringComparison.Ordinal);
        Assert.Equal(0, HostAndScriptTests.RunHost("secrets", Path.Combine(dir.Path, "c")).Exit);
        Assert.Equal(2, HostAndScriptTests.RunHost("secrets", "--staged", "--history").Exit);
    }
}

public sealed class SecretFingerprintTests
{
    private static List<(string Rule, string Path, string Fingerprint)> Scan(string dir, string key)
    {
        var (exit, output, error) = Proc.Run(HostAndScriptTests.HostExecutable(),
            new[] { "--format", "json", "Find-GitOpsSecret -Path ." }, dir,
            new Dictionary<string, string> { ["GITOPSSEC_FINGERPRINT_KEY"] = key });
        Assert.True(exit == 0, error);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var rows = doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array ? doc.RootElement.EnumerateArray().ToList() : new() { doc.RootElement };
        return rows.Select(r => (r.GetProperty("RuleId").GetString()!, r.GetProperty("Path").GetString()!, r.GetProperty("Fingerprint").GetString()!)).ToList();
    }

    [Fact]
    public void Fingerprints_are_stable_per_key_and_useless_for_guessing_the_value()
    {
        using var dir = new TempDir();
        dir.Write("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData:\n  password: Summer2024!\n");
        var first = Scan(dir.Path, "team-key-1");
        Assert.NotEmpty(first);
        Assert.Equal(first, Scan(dir.Path, "team-key-1"));
        Assert.NotEqual(first.Select(f => f.Fingerprint), Scan(dir.Path, "team-key-2").Select(f => f.Fingerprint));
        // The attack on the old scheme: a word list hashed the way an unkeyed fingerprint was made finds nothing.
        string[] wordList = { "password", "Summer2024!", "Winter2023!", "hunter2", "changeme" };
        static string Sha(string s) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(s))).ToLowerInvariant();
        foreach (var (rule, path, fingerprint) in first)
        {
            Assert.DoesNotContain(wordList, word => Sha($"{rule}\0{path}\0{Sha(word)}")[..32] == fingerprint);
            // With the key (never in a report) the documented scheme reproduces it: SHA-256(rule, path, HMAC-SHA256(key, value)).
            string hmac = Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes("team-key-1"), Encoding.UTF8.GetBytes("Summer2024!"))).ToLowerInvariant();
            Assert.Equal(fingerprint, Sha($"{rule}\0{path}\0{hmac}")[..32]);
        }
    }
}
