using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

public class TestGitOpsManifestTests
{
    public static IEnumerable<object[]> Cases() => TestPaths.RuleFixtureCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_pod_security_control_fails_and_passes_its_fixtures_through_the_cmdlet(string ruleId, string file)
    {
        string path = Path.Combine(TestPaths.RuleFixtures, ruleId, file);
        if (File.Exists(Path.Combine(TestPaths.RuleFixtures, ruleId, "require-signed-commits")))
        {
            return; // active only with trustedKeys in .gitopssec.yaml: RepoAreasTests covers it through Test-GitOpsRepo
        }
        using var session = new PowerShellSession();
        // Rules with settings take them from the fixture folder (allowed-registries.txt for GOS6003).
        string registries = Path.Combine(TestPaths.RuleFixtures, ruleId, "allowed-registries.txt");
        string[] allowed = File.Exists(registries) ? File.ReadAllLines(registries).Where(l => l.Length > 0).ToArray() : new[] { "*.unused.invalid" };
        // A Pod Security control is checked at its own level: at restricted, GOS1106 and GOS1105 replace GOS1004 and GOS1010.
        var result = session.Run("$level = if ((Get-GitOpsRule $args[1]).Level -eq 'Baseline') { 'Baseline' } else { 'Restricted' }; " +
            "Test-GitOpsManifest -LiteralPath $args[0] -AllowedRegistry $args[2] -Level $level | Where-Object RuleId -eq $args[1]", path, ruleId, allowed);
        result.AssertNoErrors();
        var findings = result.Findings();
        if (file.StartsWith("pass", StringComparison.Ordinal))
        {
            Assert.Empty(findings);
            return;
        }
        Assert.Equal(TestPaths.MarkedLines(path, ruleId), new SortedSet<int>(findings.Select(f => f.Line)));
        Assert.All(findings, f => Assert.Equal(file, f.Path));
    }

    [Fact]
    public void Manifests_piped_from_Get_GitOpsManifest_give_the_same_findings_as_a_path()
    {
        using var session = new PowerShellSession();
        var piped = session.Run("Get-GitOpsManifest ./examples/insecure-repo | Test-GitOpsManifest").Findings();
        var direct = session.Run("Test-GitOpsManifest ./examples/insecure-repo").Findings();
        Assert.NotEmpty(direct);
        Assert.Equal(direct.Select(f => f.Fingerprint + f.Line), piped.Select(f => f.Fingerprint + f.Line));
    }

    [Fact]
    public void Findings_compose_with_Where_Object_and_Sort_Object_on_typed_properties()
    {
        using var session = new PowerShellSession();
        var result = session.Run(
            "Test-GitOpsManifest ./examples/insecure-repo | Where-Object { $_.Severity -ge 'High' -and -not $_.Suppressed } | ForEach-Object RuleId");
        result.AssertNoErrors();
        var rules = result.Output.Select(o => (string)o.BaseObject).Distinct().OrderBy(x => x).ToList();
        // At the restricted level GOS1106 reports an added capability (GOS1004 is replaced, as pod-security-admission does), with GOS1004's severity.
        // No policy verifies its images' signatures: GOS6005 (High) for each.
        Assert.Equal(new[] { "GOS1002", "GOS1003", "GOS1005", "GOS1104", "GOS1106", "GOS2001", "GOS3005", "GOS3100", "GOS6005", "GOS7002", "GOS7003", "GOS7102" }, rules);
    }

    [Fact]
    public void Annotation_suppressions_are_reported_as_suppressed_with_their_reason()
    {
        using var session = new PowerShellSession();
        var findings = session.Run("Test-GitOpsManifest ./examples/insecure-repo/infrastructure/monitoring -Rule GOS1002").Findings();
        Assert.Equal(2, findings.Count);
        Assert.All(findings, f =>
        {
            Assert.True(f.Suppressed);
            Assert.Contains("SEC-142", f.SuppressionReason, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_suppression_without_a_reason_is_an_error_and_does_not_suppress()
    {
        using var dir = new TempDir();
        dir.Write("p.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    gitopssec.io/suppress.GOS1003: \"\"\nspec:\n  containers: [{name: c, image: i, securityContext: {privileged: true}}]\n");
        using var session = new PowerShellSession();
        var result = session.Run("Test-GitOpsManifest $args[0] -Rule GOS1003", dir.Path);
        Assert.Equal(new[] { "GitOpsSec.Suppression.MissingReason" }, result.ErrorIds);
        Assert.False(Assert.Single(result.Findings()).Suppressed);
    }

    [Fact]
    public void Level_Baseline_MinimumSeverity_and_ExcludeRule_narrow_the_findings()
    {
        using var session = new PowerShellSession();
        var baseline = session.Run("Test-GitOpsManifest ./examples/insecure-repo -Level Baseline").Findings();
        Assert.NotEmpty(baseline);
        Assert.DoesNotContain(baseline, f => f.RuleId.StartsWith("GOS11", StringComparison.Ordinal));

        var critical = session.Run("Test-GitOpsManifest ./examples/insecure-repo -MinimumSeverity Critical").Findings();
        Assert.All(critical, f => Assert.Equal("Critical", f.Severity));
        Assert.NotEmpty(critical);

        var excluded = session.Run("Test-GitOpsManifest ./examples/insecure-repo -ExcludeRule privileged-container,GOS1102").Findings();
        Assert.DoesNotContain(excluded, f => f.RuleId is "GOS1003" or "GOS1102");

        var unknown = session.Run("Test-GitOpsManifest ./examples/hardened-repo -Rule GOS9999");
        Assert.Equal(new[] { "GitOpsSec.Rule.NotFound" }, unknown.ErrorIds);
    }

    [Fact]
    public void The_hardened_example_passes_restricted_and_findings_point_at_real_lines()
    {
        using var session = new PowerShellSession();
        var hardened = session.Run("Test-GitOpsManifest ./examples/hardened-repo");
        hardened.AssertNoErrors();
        Assert.Empty(hardened.Output);

        var insecure = session.Run("Test-GitOpsManifest ./examples/insecure-repo").Findings();
        foreach (FindingView f in insecure)
        {
            string[] lines = File.ReadAllLines(Path.Combine(TestPaths.Examples, "insecure-repo", f.Path!));
            Assert.InRange(f.Line, 1, lines.Length);
        }
        FindingView privileged = insecure.Single(f => f.RuleId == "GOS1003" && f.Kind == "Deployment");
        Assert.Equal("privileged: true", File.ReadAllLines(Path.Combine(TestPaths.Examples, "insecure-repo", privileged.Path!))[privileged.Line - 1].Trim());
        FindingView patched = insecure.Single(f => f.RuleId == "GOS1002" && f.Kind == "Deployment");
        Assert.Equal("apps/payments/overlays/production/replicas-patch.yaml", patched.Path);
    }
}

public class KyvernoPolicyFindingTests
{
    [Fact]
    public void The_example_privileged_policy_finds_the_privileged_deployment_through_its_autogen_rule()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Test-GitOpsManifest ./examples/insecure-repo -Policy ./examples/policies/disallow-privileged-containers.yaml | Where-Object { $_.RuleId -like 'kyverno/*' }");
        result.AssertNoErrors();
        var findings = result.Findings();
        var finding = Assert.Single(findings);
        Assert.Equal("kyverno/disallow-privileged-containers/autogen-privileged-containers", finding.RuleId);
        Assert.Equal("High", finding.Severity);
        Assert.Equal("Disallow Privileged Containers", finding.RuleName);
        Assert.Equal("apps/payments/base/deployment.yaml", finding.Path);
        Assert.Contains("spec.template.spec.containers[0].securityContext.privileged", finding.Message!, StringComparison.Ordinal);
        // The catalog's own privileged rule reports the same container: the two agree.
        var catalog = session.Run("Test-GitOpsManifest ./examples/insecure-repo -Rule GOS1003").Findings();
        Assert.Contains(catalog, f => f.Path == finding.Path);
    }

    [Fact]
    public void Deny_rules_report_their_substituted_message_and_undecided_rules_fail_closed()
    {
        using var session = new PowerShellSession();
        var findings = session.Run("Test-GitOpsManifest ./examples/hardened-repo, ./tests/data/kyverno/unsupported-features/resources.yaml -Rule GOS1001 -Policy ./examples/policies/require-team-label.yaml, ./tests/data/kyverno/unsupported-features/policy.yaml").Findings();
        var team = findings.Where(f => f.RuleId == "kyverno/require-team-label/team-label").ToList();
        Assert.NotEmpty(team);
        Assert.All(team, f => Assert.Matches("^(Deployment|StatefulSet|DaemonSet) [a-z0-9-]+ has no team label\\.$", f.Message!));
        // Deny with a cluster-only context, foreach, user info...: each one a finding, never a silent pass.
        var undecided = findings.Where(f => f.RuleId.StartsWith("kyverno/needs-a-cluster/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(undecided);
        Assert.All(undecided, f => Assert.Contains("cannot be decided offline", f.Message!, StringComparison.Ordinal));
        Assert.Contains(undecided, f => f.RuleId == "kyverno/needs-a-cluster/api-call");
    }

    [Fact]
    public void A_policy_path_without_policies_is_a_terminating_error_with_a_stable_id()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Test-GitOpsManifest ./examples/hardened-repo -Policy ./examples/hardened-repo/jobs");
        Assert.Contains("GitOpsSec.Kyverno.NoPolicy", result.ErrorIds);
    }

    [Fact]
    public void Kyverno_findings_are_suppressed_by_annotation_and_counted_by_policy()
    {
        using var dir = new TempDir();
        dir.Write("app.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: legacy
              namespace: shop
              annotations: {gitopssec.io/suppress.require-team-label: "owned by the vendor, ticket OPS-12"}
            spec:
              selector: {matchLabels: {app: legacy}}
              template:
                metadata: {labels: {app: legacy}}
                spec: {containers: [{name: c, image: legacy:1}]}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: fresh, namespace: shop, labels: {team: shop}}
            spec:
              selector: {matchLabels: {app: fresh}}
              template:
                metadata: {labels: {app: fresh}}
                spec: {containers: [{name: c, image: fresh:1}]}
            """);
        using var session = new PowerShellSession();
        var findings = session.Run("Test-GitOpsManifest -LiteralPath $args[0] -Rule GOS1001 -Policy ./examples/policies/require-team-label.yaml", dir.Path).Findings();
        var f = Assert.Single(findings);
        Assert.True(f.Suppressed);
        Assert.Equal("owned by the vendor, ticket OPS-12", f.SuppressionReason);
        Assert.Equal("shop/Deployment/legacy", $"{f.Namespace}/{f.Kind}/{f.Name}");
    }
}

public class KyvernoPoliciesFromConfigTests
{
    [Fact]
    public void Test_GitOpsRepo_evaluates_the_policies_the_repository_config_names_and_minus_Policy_replaces_them()
    {
        using var dir = new TempDir();
        dir.Write(".gitopssec.yaml", "policies: [policy/]\nfailOn: Critical\n");
        dir.Write("policy/team-label.yaml", File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "examples", "policies", "require-team-label.yaml")));
        dir.Write("apps/web.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: web, image: "registry.example.com/web:1.0"}]}
            """);
        using var session = new PowerShellSession();
        var fromConfig = session.Run("Test-GitOpsRepo -LiteralPath $args[0] -NoSecretScan -ErrorAction SilentlyContinue | Where-Object RuleId -like 'kyverno/*' | ForEach-Object { \"$($_.RuleId) $($_.Path)\" }", dir.Path);
        Assert.Equal(new[] { "kyverno/require-team-label/team-label apps/web.yaml" }, fromConfig.Output.Select(o => (string)o.BaseObject));
        var config = session.Run("Get-GitOpsConfig $args[0] | ForEach-Object { $_.PolicyPaths }", dir.Path);
        Assert.Equal(Path.Combine(dir.Path, "policy") + "/", Assert.Single(config.Output).BaseObject);
        var replaced = session.Run("Test-GitOpsRepo -LiteralPath $args[0] -NoSecretScan -Policy ./examples/policies/disallow-privileged-containers.yaml -ErrorAction SilentlyContinue | Where-Object RuleId -like 'kyverno/*'", dir.Path);
        Assert.Empty(replaced.Output); // web is not privileged, and the config's team-label policy is not used
    }

    [Fact]
    public void A_policies_setting_that_is_not_a_list_is_a_config_error_naming_the_line()
    {
        using var dir = new TempDir();
        dir.Write(".gitopssec.yaml", "failOn: High\npolicies: {a: b}\n");
        using var session = new PowerShellSession();
        var r = session.Run("try { Test-GitOpsRepo -LiteralPath $args[0] -NoSecretScan } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }", dir.Path);
        Assert.StartsWith("GitOpsSec.Config.Invalid", (string)r.Output[0].BaseObject, StringComparison.Ordinal);
        Assert.Contains(":2", (string)r.Output[1].BaseObject, StringComparison.Ordinal);
    }
}

public class KyvernoNamespaceSelectorTests
{
    [Fact]
    public void Test_KyvernoPolicy_answers_namespaceSelector_from_the_repositorys_Namespace_objects()
    {
        using var dir = new TempDir();
        dir.Write("policy.yaml", """
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata: {name: prod-needs-limits}
            spec:
              rules:
                - name: limits
                  match:
                    any:
                      - resources:
                          kinds: [Pod]
                          namespaceSelector: {matchLabels: {tier: prod}}
                  validate:
                    message: "Production pods set memory limits."
                    pattern: {spec: {containers: [{resources: {limits: {memory: "?*"}}}]}}
                - name: not-in-kube-system
                  match:
                    any:
                      - resources:
                          kinds: [Pod]
                          namespaceSelector:
                            matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [kube-system]}]
                  validate:
                    message: "No workloads in kube-system."
                    deny: {}
            """);
        dir.Write("repo.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {tier: prod}}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: lab, labels: {tier: dev}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: cart, namespace: shop}
            spec: {containers: [{name: c, image: "registry.example.com/cart:1"}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: toy, namespace: lab}
            spec: {containers: [{name: c, image: "registry.example.com/toy:1"}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: stray, namespace: elsewhere}
            spec: {containers: [{name: c, image: "registry.example.com/stray:1"}]}
            """);
        using var session = new PowerShellSession();
        var r = session.Run("Test-KyvernoPolicy -LiteralPath $args[0] -Policy $args[1] | ForEach-Object { \"$($_.Rule) $($_.Name) $($_.Result)\" }",
            Path.Combine(dir.Path, "repo.yaml"), Path.Combine(dir.Path, "policy.yaml"));
        r.AssertNoErrors();
        var lines = r.Output.Select(o => (string)o.BaseObject).OrderBy(x => x, StringComparer.Ordinal).ToList();
        // shop is prod: checked and failing; lab is dev: not matched; elsewhere has no Namespace object: undecided.
        Assert.Equal(new[] { "limits cart Fail", "limits stray Error", "not-in-kube-system stray Error" }, lines);

        // Test-GitOpsManifest streams; the Namespace objects come in a later file, so these rules wait for the end.
        string repo = Path.Combine(dir.Path, "repo");
        string[] docs = File.ReadAllText(Path.Combine(dir.Path, "repo.yaml")).Split("---\n");
        dir.Write("repo/a-pods.yaml", string.Join("---\n", docs.Where(d => d.Contains("kind: Pod", StringComparison.Ordinal))));
        dir.Write("repo/z-namespaces.yaml", string.Join("---\n", docs.Where(d => d.Contains("kind: Namespace", StringComparison.Ordinal))));
        var findings = session.Run("Test-GitOpsManifest -LiteralPath $args[0] -Rule GOS1001 -Policy $args[1] | ForEach-Object { \"$($_.RuleId) $($_.Resource.Name)\" }",
            repo, Path.Combine(dir.Path, "policy.yaml"));
        findings.AssertNoErrors();
        Assert.Equal(new[] { "kyverno/prod-needs-limits/limits cart", "kyverno/prod-needs-limits/limits stray", "kyverno/prod-needs-limits/not-in-kube-system stray" },
            findings.Output.Select(o => (string)o.BaseObject).OrderBy(x => x, StringComparer.Ordinal));
    }
}
