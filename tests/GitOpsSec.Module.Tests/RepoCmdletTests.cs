using System.Text.Json;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

public class RepoCmdletTests
{
    /// <summary>
    /// Objects no repository rule reads are not kept to the end of the scan (the verbose line counts them); when the
    /// repository holds an admission policy, which can match any object, Test-GitOpsRepo reads the objects again,
    /// quietly, so the policy's verdict on a Service (an object it did not keep) is still a finding, and the
    /// errors of the first read are not written twice.
    /// </summary>
    [Fact]
    public void Objects_not_kept_for_the_repository_rules_are_read_again_for_an_admission_policy()
    {
        using var dir = new TempDir();
        dir.Write("apps/web.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {type: LoadBalancer, ports: [{port: 80}]}\n" +
                                   "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {a: b}\n");
        dir.Write("apps/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n");
        using var session = new PowerShellSession(dir.Path);
        const string Scan = "Test-GitOpsRepo . -NoSecretScan -Verbose";
        var plain = session.Run(Scan);
        Assert.Contains(plain.Verbose, v => v.Message.StartsWith("Repository rules: 2 object(s) no repository rule reads were not kept", StringComparison.Ordinal) &&
                                            !v.Message.Contains("read again", StringComparison.Ordinal));
        Assert.DoesNotContain(plain.Findings(), f => f.RuleId == "GOS1301");

        dir.Write("policies/no-load-balancers.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: no-load-balancers}
            spec:
              matchConstraints:
                resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [services]}]
              validations: [{expression: "object.spec.type != 'LoadBalancer'", message: no load balancers}]
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: no-load-balancers}
            spec: {policyName: no-load-balancers, validationActions: [Deny]}
            """);
        var withPolicy = session.Run(Scan);
        Assert.Contains(withPolicy.Verbose, v => v.Message.Contains("every object was read again", StringComparison.Ordinal));
        FindingView denied = Assert.Single(withPolicy.Findings(), f => f.RuleId == "GOS1301"); // at its metadata, line 3
        Assert.Equal(("apps/web.yaml", 3), (denied.Path!.Replace('\\', '/'), denied.Line));
        Assert.Single(withPolicy.ErrorIds, id => id == "GitOpsSec.Manifest.InvalidYaml");
    }

    [Fact]
    public void FailOn_High_fails_the_insecure_example_and_the_hardened_one_passes()
    {
        using var session = new PowerShellSession();
        var failed = session.Run("Test-GitOpsRepo ./examples/insecure-repo -FailOn High -Summary -ErrorVariable gosErr -ErrorAction SilentlyContinue; $gosErr[-1].FullyQualifiedErrorId");
        Assert.Equal("Failed", (string)failed.Output[0].Properties["Verdict"].Value);
        Assert.StartsWith("GitOpsSec.Policy.Failed", (string)failed.Output[1].BaseObject, StringComparison.Ordinal);

        var passed = session.Run("Test-GitOpsRepo ./examples/hardened-repo -FailOn Low -Summary");
        passed.AssertNoErrors();
        Assert.Equal("Passed", (string)passed.Single().Verdict);
    }

    [Fact]
    public void A_baseline_lets_only_new_findings_fail()
    {
        using var dir = new TempDir();
        using var session = new PowerShellSession();
        string baseline = Path.Combine(dir.Path, "baseline.json");
        session.Run("Test-GitOpsRepo ./examples/insecure-repo | Export-GitOpsBaseline $args[0]", baseline).AssertNoErrors();
        var clean = session.Run("Test-GitOpsRepo ./examples/insecure-repo -Baseline $args[0] -FailOn Low -Summary", baseline);
        clean.AssertNoErrors();
        Assert.Equal(0, (int)clean.Single().Open);
        Assert.True((int)clean.Single().Baselined > 40);
    }

    [Fact]
    public void Export_GitOpsReport_writes_sarif_and_junit_files()
    {
        using var dir = new TempDir();
        using var session = new PowerShellSession();
        string sarif = Path.Combine(dir.Path, "out.sarif");
        var result = session.Run("Test-GitOpsRepo ./examples/insecure-repo | Export-GitOpsReport Sarif $args[0] | ForEach-Object Name", sarif);
        result.AssertNoErrors();
        Assert.Equal("out.sarif", (string)result.SingleValue());
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(sarif));
        Assert.True(doc.RootElement.GetProperty("runs")[0].GetProperty("results").GetArrayLength() > 40);

        var junit = session.Run("Test-GitOpsRepo ./examples/hardened-repo | Export-GitOpsReport JUnit");
        junit.AssertNoErrors();
        Assert.Contains("failures=\"0\"", (string)junit.SingleValue(), StringComparison.Ordinal);
    }
}

public class ConfigCmdletTests
{
    [Fact]
    public void Test_GitOpsRepo_applies_the_repository_config_and_a_bad_one_stops_it()
    {
        using var dir = new TempDir();
        dir.Write("apps/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  hostNetwork: true\n  containers:\n    - name: c\n      image: i\n      ports: [{containerPort: 80, hostPort: 80}]\n");
        dir.Write("legacy/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: old, namespace: n}\nspec:\n  containers: [{name: c, image: i, securityContext: {privileged: true}}]\n");
        dir.Write(".gitopssec.yaml", "level: Baseline\nrules:\n  disabled: [GOS5*, GOS6*]\n  severity:\n    host-port: Low\nexclude: [\"legacy/**\"]\nfailOn: High\n");
        using var session = new PowerShellSession();

        var config = session.Run("Get-GitOpsConfig $args[0]", dir.Path);
        config.AssertNoErrors();
        Assert.Equal("Baseline", config.Single().Level.ToString());

        var result = session.Run("Test-GitOpsRepo $args[0] -ErrorVariable gosErr -ErrorAction SilentlyContinue; $gosErr[-1].FullyQualifiedErrorId", dir.Path);
        var all = result.Output.Where(o => o.BaseObject is not string).Select(FindingView.From).ToList();
        var findings = all.Where(f => !f.Suppressed).ToList();
        Assert.Equal(new[] { "GOS1002", "GOS1006" }, findings.Select(f => f.RuleId).OrderBy(x => x));
        Assert.Equal("Low", findings.Single(f => f.RuleId == "GOS1006").Severity);
        Assert.DoesNotContain(findings, f => f.Path!.StartsWith("legacy/", StringComparison.Ordinal));
        // The excluded file's finding is still there, suppressed by the configuration with the glob as reason.
        Assert.Contains(all, f => f.Path == "legacy/pod.yaml" && f.Suppressed && f.SuppressionReason!.Contains("legacy/**", StringComparison.Ordinal));
        Assert.StartsWith("GitOpsSec.Policy.Failed", (string)result.Output.Last().BaseObject, StringComparison.Ordinal);

        dir.Write(".gitopssec.yaml", "level: Baseline\nrulez: {}\n");
        var bad = session.Run("try { Test-GitOpsRepo $args[0]; 'not reached' } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }", dir.Path);
        Assert.StartsWith("GitOpsSec.Config.Invalid", (string)bad.Output[0].BaseObject, StringComparison.Ordinal);
        Assert.Contains(".gitopssec.yaml:2:", (string)bad.Output[1].BaseObject, StringComparison.Ordinal);
    }

    [Fact]
    public void What_the_configuration_suppresses_or_downgrades_is_counted_and_listed()
    {
        using var dir = new TempDir();
        dir.Write("apps/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod}\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n    securityContext: {privileged: true}\n");
        dir.Write("legacy/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: old, namespace: prod}\nspec:\n  hostNetwork: true\n  containers: [{name: old, image: nginx:1.27}]\n");
        dir.Write(".gitopssec.yaml", "exclude: ['legacy/**']\nrules:\n  severity:\n    GOS1003: Info\n  disabled: [GOS6002]\n");
        using var session = new PowerShellSession(dir.Path);
        var run = session.Run("Test-GitOpsRepo -Path . -NoSecretScan");
        string P(System.Management.Automation.PSObject o, string name) => o.Properties[name].Value?.ToString() ?? string.Empty;
        var privileged = run.Output.Single(o => P(o, "RuleId") == "GOS1003");
        Assert.Equal(("Info", "Critical"), (P(privileged, "Severity"), P(privileged, "OriginalSeverity")));
        var legacy = run.Output.Where(o => P(o, "Path").StartsWith("legacy/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(legacy);
        Assert.All(legacy, f =>
        {
            Assert.Equal("True", P(f, "Suppressed"));
            Assert.Equal("Config", P(f, "SuppressedBy"));
            Assert.Contains("legacy/**", P(f, "SuppressionReason"), StringComparison.Ordinal);
        });
        Assert.Contains(run.Warnings, w => w.Message.Contains("by exclude", StringComparison.Ordinal));
        var summary = session.Run("Test-GitOpsRepo -Path . -NoSecretScan -Summary").Output.Single();
        Assert.True((int)summary.Properties["SuppressedByConfig"].Value > 0);
        Assert.Equal(1, (int)summary.Properties["Downgraded"].Value);
        Assert.Equal("GOS6002", string.Join(",", ((System.Collections.IEnumerable)summary.Properties["DisabledRules"].Value).Cast<object>()));
        Assert.Contains("by configuration", summary.BaseObject.ToString(), StringComparison.Ordinal);
        string sarif = Path.Combine(dir.Path, "r.sarif"), markdown = Path.Combine(dir.Path, "r.md");
        session.Run("Test-GitOpsRepo -Path . -NoSecretScan | Export-GitOpsReport Sarif $args[0]", sarif).AssertNoErrors();
        session.Run("Test-GitOpsRepo -Path . -NoSecretScan | Export-GitOpsReport Markdown $args[0]", markdown).AssertNoErrors();
        Assert.Contains("\"originalSeverity\": \"Critical\"", File.ReadAllText(sarif), StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"external\"", File.ReadAllText(sarif), StringComparison.Ordinal);
        Assert.Contains("suppressed or re-rated by the configuration", File.ReadAllText(markdown), StringComparison.Ordinal);
    }

    [Fact]
    public void A_verdict_never_reads_Passed_when_nothing_was_scanned_or_no_policy_was_given()
    {
        using var empty = new TempDir();
        using var session = new PowerShellSession();
        var missing = session.Run("Test-GitOpsRepo ./does-not-exist -Summary");
        Assert.Equal("NotScanned", (string)missing.Output.Single().Properties["Verdict"].Value);
        Assert.NotEmpty(missing.Errors);
        var nothing = session.Run("Test-GitOpsRepo $args[0] -Summary", empty.Path);
        Assert.Equal("NotScanned", (string)nothing.Output.Single().Properties["Verdict"].Value);
        Assert.Contains(nothing.Warnings, w => w.Message.Contains("Nothing was scanned", StringComparison.Ordinal));
        var failClosed = session.Run("Test-GitOpsRepo $args[0] -Summary -FailOn High -ErrorVariable gosErr -ErrorAction SilentlyContinue; $gosErr[-1].FullyQualifiedErrorId", empty.Path);
        Assert.StartsWith("GitOpsSec.Policy.Failed", (string)failClosed.Output.Last().BaseObject, StringComparison.Ordinal);
        // Findings without -FailOn: no pass either; BySeverity (a column of the default view) reads as text, not {…}.
        var noPolicy = session.Run("Test-GitOpsRepo ./examples/insecure-repo -Summary");
        noPolicy.AssertNoErrors();
        var summary = noPolicy.Output.Single();
        Assert.Equal("NoPolicy", (string)summary.Properties["Verdict"].Value);
        Assert.Matches("^Critical [0-9]+, High [0-9]+", (string)summary.Properties["BySeverity"].Value);
    }
}
