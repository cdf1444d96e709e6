using System.Diagnostics;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Test-CommitSignature and Get-GitOpsChangeLog in real pipelines over repositories made with git and ssh-keygen.</summary>
public class ProvenanceCmdletTests
{
    private static string SshKey(string dir, string name)
    {
        string file = Path.Combine(dir, name);
        var p = Process.Start(new ProcessStartInfo("ssh-keygen", $"-q -t ed25519 -N \"\" -C {name} -f {file}") { RedirectStandardOutput = true })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return file;
    }

    [Fact]
    public void Test_CommitSignature_verifies_ssh_signatures_and_fails_closed()
    {
        using var repo = new GitRepo();
        using var keys = new TempDir();
        string dev = SshKey(keys.Path, "dev"), stranger = SshKey(keys.Path, "stranger");
        string signers = keys.Write("allowed_signers", $"dev@example.com namespaces=\"git\" {File.ReadAllText(dev + ".pub").Trim()}\n");
        repo.Write("a.txt", "1");
        repo.Git("add", "-A");
        repo.Git("-c", "gpg.format=ssh", "-c", $"user.signingkey={dev}.pub", "commit", "-q", "-S", "-m", "OPS-1: signed");
        repo.Write("a.txt", "2");
        repo.Git("add", "-A");
        repo.Git("-c", "gpg.format=ssh", "-c", $"user.signingkey={stranger}.pub", "commit", "-q", "-S", "-m", "OPS-2: stranger");
        repo.Write("a.txt", "3");
        repo.Commit("OPS-3: unsigned");

        using var session = new PowerShellSession(repo.Path);
        var result = session.Run("Test-CommitSignature -AllowedSignersFile $args[0] | ForEach-Object { \"$($_.GitLetter) $($_.Status) $($_.Signer)\" }", signers);
        result.AssertNoErrors();
        Assert.Equal(new object[] { "N Unsigned ", "U Untrusted ", "G Good dev@example.com" }, result.Output.Select(o => o.BaseObject));
        // git agrees.
        string git = repo.Git("-c", $"gpg.ssh.allowedSignersFile={signers}", "log", "--format=%G?");
        Assert.Equal("N U G", string.Join(' ', git.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

        var failed = session.Run("Test-CommitSignature -AllowedSignersFile $args[0] -FailOnViolation -ErrorVariable gosErr -ErrorAction SilentlyContinue | Out-Null; $gosErr[-1].FullyQualifiedErrorId", signers);
        Assert.StartsWith("GitOpsSec.Policy.Failed", (string)failed.Output[^1].BaseObject, StringComparison.Ordinal);
        Assert.Single(session.Run("Test-CommitSignature -AllowedSignersFile $args[0] -MaxCount 1 -Revision HEAD~2 -FailOnViolation", signers).Output);

        // trustedKeys of the working tree's .gitopssec.yaml is no trust source (the change under review could write it):
        // a warning, and nothing reads Good. The same config at a protected revision is.
        File.Copy(signers, Path.Combine(repo.Path, ".gitsigners"));
        repo.Write(".gitopssec.yaml", "trustedKeys: .gitsigners\n");
        var fromWorkingTree = session.Run("Test-CommitSignature -Revision HEAD~2 -MaxCount 1");
        Assert.Equal("Untrusted", fromWorkingTree.Single().Status.ToString());
        Assert.Contains(fromWorkingTree.Warnings, w => w.Message.Contains("-PolicyRevision", StringComparison.Ordinal));
        repo.Commit("OPS-4: trust policy");
        Assert.Equal("Good", session.Run("Test-CommitSignature -Revision HEAD~3 -MaxCount 1 -PolicyRevision HEAD").Single().Status.ToString());
        var noRevision = session.Run("try { Test-CommitSignature -PolicyRevision no-such-branch } catch { $_.FullyQualifiedErrorId }");
        Assert.Contains(noRevision.Output.Select(o => o.BaseObject as string), id => id?.StartsWith("GitOpsSec.Git.RevisionNotFound", StringComparison.Ordinal) == true);
        string bogus = keys.Write("bogus", "this is not a key\n");
        var bad = session.Run("try { Test-CommitSignature -AllowedSignersFile $args[0] } catch { $_.FullyQualifiedErrorId }", bogus);
        Assert.StartsWith("GitOpsSec.Signature.InvalidAllowedSigners", (string)bad.Output[^1].BaseObject, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_GitOpsChangeLog_lists_object_changes_with_ticket_and_signature_status()
    {
        using var repo = new GitRepo();
        repo.Write("apps/web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  replicas: 1\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  ports: [{port: 80}]\n");
        repo.Write("README.md", "docs\n");
        string first = repo.Commit("OPS-1: add web");
        // Image bump + a pure reformat of the Service (not a change).
        repo.Write("apps/web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  replicas: 3\n---\n# the service\napiVersion: v1\nkind: Service\nmetadata: {namespace: prod, name: web}\nspec:\n  ports:\n    - port: 80\n");
        string second = repo.Commit("scale web");
        repo.Write("apps/web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  replicas: 3\n");
        string third = repo.Commit("SEC-9: drop the service");

        using var session = new PowerShellSession(repo.Path);
        var log = session.Run("Get-GitOpsChangeLog | ForEach-Object { \"$($_.Commit.Substring(0,7)) $($_.Change) $($_.Kind)/$($_.Namespace)/$($_.Name) $($_.Ticket) $($_.SignatureStatus)\" }");
        log.AssertNoErrors();
        Assert.Equal(new object[]
        {
            $"{third[..7]} Removed Service/prod/web SEC-9 Unsigned",
            $"{second[..7]} Modified Deployment/prod/web  Unsigned",
            $"{first[..7]} Added Deployment/prod/web OPS-1 Unsigned",
            $"{first[..7]} Added Service/prod/web OPS-1 Unsigned",
        }, log.Output.Select(o => o.BaseObject));
        Assert.Equal(2, session.Run("Get-GitOpsChangeLog -Kind Serv*").Output.Count);
        Assert.Empty(session.Run("Get-GitOpsChangeLog -Namespace staging").Output);
        Assert.Single(session.Run($"Get-GitOpsChangeLog -Range {first}..{second}").Output);
    }

    [Fact]
    public void Test_GitOpsRepo_Range_reports_provenance_findings_that_reports_accept()
    {
        using var repo = new GitRepo();
        using var keys = new TempDir();
        string dev = SshKey(keys.Path, "dev");
        repo.Write(".gitsigners", $"dev@example.com {File.ReadAllText(dev + ".pub").Trim()}\n");
        repo.Write(".gitopssec.yaml", "trustedKeys: .gitsigners\nticketPattern: '^OPS-\\d+: '\n");
        repo.Commit("OPS-1: base");
        repo.Write("a.txt", "1");
        repo.Git("add", "-A");
        repo.Git("-c", "gpg.format=ssh", "-c", $"user.signingkey={dev}.pub", "commit", "-q", "-S", "-m", "OPS-2: signed");
        repo.Write("a.txt", "2");
        string unsigned = repo.Commit("quick fix");

        using var session = new PowerShellSession(repo.Path);
        var findings = session.Run("Test-GitOpsRepo -Path . -Range HEAD~2..HEAD -PolicyRevision HEAD~2 -NoSecretScan -Rule 'GOS4*'");
        findings.AssertNoErrors();
        Assert.Equal(new[] { ("GOS4001", unsigned), ("GOS4004", unsigned) },
            findings.Output.Select(o => ((string)o.Properties["RuleId"].Value, (string)o.Properties["Commit"].Value)).OrderBy(x => x.Item1));
        string sarif = Path.Combine(keys.Path, "p.sarif");
        session.Run("Test-GitOpsRepo -Path . -Range HEAD~2..HEAD -PolicyRevision HEAD~2 -NoSecretScan -Rule 'GOS4*' | Export-GitOpsReport Sarif $args[0]", sarif).AssertNoErrors();
        Assert.Contains("GOS4004", File.ReadAllText(sarif), StringComparison.Ordinal);
        var failed = session.Run("Test-GitOpsRepo -Path . -Range HEAD~2..HEAD -PolicyRevision HEAD~2 -NoSecretScan -Rule 'GOS4*' -FailOn Medium -Summary -ErrorVariable gosErr -ErrorAction SilentlyContinue; $gosErr[-1].FullyQualifiedErrorId");
        Assert.StartsWith("GitOpsSec.Policy.Failed", (string)failed.Output[^1].BaseObject, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_cannot_choose_its_own_trust_or_weaken_the_protected_policy()
    {
        using var repo = new GitRepo();
        using var keys = new TempDir();
        string dev = SshKey(keys.Path, "dev"), attacker = SshKey(keys.Path, "attacker");
        repo.Write(".gitsigners", $"dev@example.com {File.ReadAllText(dev + ".pub").Trim()}\n");
        repo.Write(".gitopssec.yaml", "trustedKeys: .gitsigners\nfailOn: High\n");
        repo.Write("apps/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n");
        repo.Commit("OPS-1: base");
        repo.Git("branch", "protected");
        // The attacker's pull request: its own key as the trusted one, failOn relaxed, everything excluded, the privileged rule downgraded.
        repo.Write(".gitsigners", $"dev@example.com {File.ReadAllText(attacker + ".pub").Trim()}\n");
        repo.Write(".gitopssec.yaml", "trustedKeys: .gitsigners\nfailOn: Critical\nexclude: ['**']\nrules:\n  severity:\n    GOS1003: Info\n");
        repo.Git("add", "-A");
        repo.Git("-c", "gpg.format=ssh", "-c", $"user.signingkey={attacker}.pub", "commit", "-q", "-S", "-m", "OPS-2: harmless");

        // git, trusting what the protected branch trusts, does not say G; neither does GitOpsSec, with or without -PolicyRevision.
        string protectedSigners = keys.Write("protected-signers", repo.Git("show", "protected:.gitsigners"));
        string gitLetter = repo.Git("-c", $"gpg.ssh.allowedSignersFile={protectedSigners}", "log", "-1", "--format=%G?").Trim();
        Assert.NotEqual("G", gitLetter);
        using var session = new PowerShellSession(repo.Path);
        var withPolicy = session.Run("Test-CommitSignature -MaxCount 1 -PolicyRevision protected");
        withPolicy.AssertNoErrors();
        Assert.Equal(gitLetter, (string)withPolicy.Output.Single().Properties["GitLetter"].Value);
        var withoutPolicy = session.Run("Test-CommitSignature -MaxCount 1");
        Assert.NotEqual("Good", withoutPolicy.Output.Single().Properties["Status"].Value.ToString());
        // With the working tree's config the attacker's key would have been Good: the same test through its own allowed_signers.
        Assert.Equal("Good", session.Run("Test-CommitSignature -MaxCount 1 -AllowedSignersFile .gitsigners").Output.Single().Properties["Status"].Value.ToString());

        // Test-GitOpsRepo applies the protected settings and reports each weakening.
        var run = session.Run("Test-GitOpsRepo -Path . -PolicyRevision protected -NoSecretScan");
        var findings = run.Output.Select(o => (Rule: (string)o.Properties["RuleId"].Value, Severity: o.Properties["Severity"].Value.ToString(), Message: (string)o.Properties["Message"].Value, Line: (int)o.Properties["Line"].Value)).ToList();
        var weakened = findings.Where(f => f.Rule == "GOS4005").ToList();
        foreach (string setting in new[] { "trusted keys", "failOn from High to Critical", "excludes '**'", "lowers GOS1003 from Critical to Info" })
        {
            Assert.Contains(weakened, f => f.Message.Contains(setting, StringComparison.Ordinal));
        }
        Assert.Contains(weakened, f => f.Message.Contains("failOn", StringComparison.Ordinal) && f.Line == 2);
        Assert.Contains(findings, f => f.Rule == "GOS1003" && f.Severity == "Critical");
        var failed = session.Run("Test-GitOpsRepo -Path . -PolicyRevision protected -NoSecretScan -Summary -ErrorVariable gosErr -ErrorAction SilentlyContinue; $gosErr[-1].FullyQualifiedErrorId");
        Assert.Contains(failed.Output.Select(o => o.BaseObject as string), id => id?.StartsWith("GitOpsSec.Policy.Failed", StringComparison.Ordinal) == true);
        // The same repository without -PolicyRevision follows the working tree: the finding is suppressed by its exclude, visibly.
        var head = session.Run("Test-GitOpsRepo -Path . -NoSecretScan").Output.Single(o => (string)o.Properties["RuleId"].Value == "GOS1003");
        Assert.Equal((true, "Config"), ((bool)head.Properties["Suppressed"].Value, (string)head.Properties["SuppressedBy"].Value));
    }
}
