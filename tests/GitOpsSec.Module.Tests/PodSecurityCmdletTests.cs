using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Pod Security per version and per namespace through the cmdlets: the example repository, labels, versions.</summary>
public sealed class PodSecurityCmdletTests
{
    private static string P(System.Management.Automation.PSObject o, string name) => o.Properties[name].Value?.ToString() ?? string.Empty;

    [Fact]
    public void Test_GitOpsRepo_reports_what_each_namespace_will_admit_in_the_example()
    {
        using var session = new PowerShellSession();
        var run = session.Run("Test-GitOpsRepo ./examples/pod-security-repo -Rule GOS12* -NoSecretScan");
        run.AssertNoErrors();
        var rows = run.Output.Select(o => (Rule: P(o, "RuleId"), Severity: P(o, "Severity"), Target: FindingView.From(o).Name, Message: P(o, "Message"))).ToList();
        Assert.Equal(new[]
        {
            ("GOS1201", "High", "ledger"), ("GOS1201", "Critical", "debug"), ("GOS1202", "Medium", "web"), ("GOS1203", "Medium", "tools"),
        }.OrderBy(x => x.Item3), rows.Select(r => (r.Rule, r.Severity, r.Target!)).OrderBy(x => x.Item3));
        string ledger = rows.Single(r => r.Target == "ledger").Message;
        Assert.Contains("restricted at v1.30", ledger, StringComparison.Ordinal);
        Assert.Contains("run-as-non-root (GOS1103)", ledger, StringComparison.Ordinal);
        Assert.Contains("run-as-root-user (GOS1104)", ledger, StringComparison.Ordinal);
        Assert.Contains("none runs", ledger, StringComparison.Ordinal);
        Assert.DoesNotContain(rows, r => r.Target is "api" or "node-agent");
    }

    [Fact]
    public void The_enforce_version_decides_and_an_invalid_label_is_an_error_that_fails_closed()
    {
        using var dir = new TempDir();
        // net.ipv4.tcp_slow_start_after_idle is a safe sysctl from v1.37 only.
        const string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: tuned, namespace: apps}\nspec:\n  securityContext:\n    sysctls: [{name: net.ipv4.tcp_slow_start_after_idle, value: '0'}]\n  containers: [{name: c, image: nginx:1.27}]\n";
        dir.Write("pod.yaml", pod);
        dir.Write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.36\n");
        using var session = new PowerShellSession(dir.Path);
        var at136 = session.Run("Test-GitOpsRepo . -Rule GOS1201 -NoSecretScan");
        Assert.Equal("Critical", P(at136.Output.Single(), "Severity"));
        Assert.Contains("unsafe-sysctl (GOS1011)", P(at136.Output.Single(), "Message"), StringComparison.Ordinal);
        dir.Write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.37\n");
        Assert.Empty(session.Run("Test-GitOpsRepo . -Rule GOS1201 -NoSecretScan").Output);
        // An invalid version label: an error naming the namespace and label, and evaluated as latest, as the API server does.
        dir.Write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: banana\n");
        var invalid = session.Run("Test-GitOpsRepo . -Rule GOS1201 -NoSecretScan");
        Assert.Contains("GitOpsSec.PodSecurity.InvalidLabel", invalid.ErrorIds);
        Assert.Contains(invalid.Errors, e => e.Exception.Message.Contains("enforce-version", StringComparison.Ordinal) && e.Exception.Message.Contains("apps", StringComparison.Ordinal));
        Assert.Contains("restricted at latest", P(invalid.Output.Single(), "Message"), StringComparison.Ordinal);
        // The advisory rules follow -KubernetesVersion too.
        Assert.Single(session.Run("Test-GitOpsManifest ./pod.yaml -Rule GOS1011 -KubernetesVersion v1.36").Output);
        Assert.Empty(session.Run("Test-GitOpsManifest ./pod.yaml -Rule GOS1011 -KubernetesVersion 1.37").Output);
        var bad = session.Run("try { Test-GitOpsManifest ./pod.yaml -KubernetesVersion v2.5 } catch { $_.FullyQualifiedErrorId }");
        Assert.StartsWith("GitOpsSec.PodSecurity.InvalidVersion", (string)bad.Output.Last().BaseObject, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_GitOpsRule_shows_and_filters_by_version()
    {
        using var session = new PowerShellSession();
        var probes = session.Run("Get-GitOpsRule GOS1012").Output.Single();
        Assert.StartsWith("v1.34+", P(probes, "Versions"), StringComparison.Ordinal);
        Assert.Contains("v1.37", P(session.Run("Get-GitOpsRule unsafe-sysctl").Output.Single(), "Versions"), StringComparison.Ordinal);
        var at120 = session.Run("Get-GitOpsRule GOS1* -KubernetesVersion v1.20 | ForEach-Object Id").Output.Select(o => (string)o.BaseObject).ToList();
        Assert.DoesNotContain("GOS1012", at120);
        Assert.DoesNotContain("GOS1104", at120); // runAsUser: v1.23
        Assert.DoesNotContain("GOS1106", at120); // restricted capabilities: v1.22
        Assert.Contains("GOS1105", at120);       // restricted seccomp: v1.19
        var completions = session.Run("(TabExpansion2 -inputScript 'Test-GitOpsManifest -KubernetesVersion v1.3' -cursorColumn 40).CompletionMatches.CompletionText");
        Assert.Contains("v1.37", completions.Output.Select(o => (string)o.BaseObject));
    }
}
