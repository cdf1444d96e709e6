using System.Text.Json;
using System.Xml.Linq;
using GitOpsSec.Reports;
using GitOpsSec.Rules;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

public class ReportTests
{
    private static List<Finding> Insecure() => Scan.Analyze(Path.Combine(TestPaths.Examples, "insecure-repo")).Findings;

    [Fact]
    public void Sarif_has_the_structure_code_scanning_reads()
    {
        var findings = Insecure();
        using JsonDocument doc = JsonDocument.Parse(ReportWriter.Sarif(findings));
        JsonElement root = doc.RootElement;
        Assert.Equal("2.1.0", root.GetProperty("version").GetString());
        JsonElement run = Assert.Single(root.GetProperty("runs").EnumerateArray());
        JsonElement driver = run.GetProperty("tool").GetProperty("driver");
        Assert.Equal("GitOpsSec", driver.GetProperty("name").GetString());
        var rules = driver.GetProperty("rules").EnumerateArray().ToList();
        var ruleIds = rules.Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(ruleIds.Distinct().Count(), ruleIds.Count);
        Assert.All(rules, r =>
        {
            Assert.False(string.IsNullOrEmpty(r.GetProperty("shortDescription").GetProperty("text").GetString()));
            Assert.Contains(r.GetProperty("defaultConfiguration").GetProperty("level").GetString(), new[] { "error", "warning", "note" });
            Assert.True(double.Parse(r.GetProperty("properties").GetProperty("security-severity").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        });
        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(findings.Count, results.Count);
        foreach (JsonElement r in results)
        {
            int index = r.GetProperty("ruleIndex").GetInt32();
            Assert.Equal(r.GetProperty("ruleId").GetString(), ruleIds[index]);
            JsonElement location = r.GetProperty("locations")[0].GetProperty("physicalLocation");
            string uri = location.GetProperty("artifactLocation").GetProperty("uri").GetString()!;
            Assert.False(Path.IsPathRooted(uri), uri);
            Assert.True(File.Exists(Path.Combine(TestPaths.Examples, "insecure-repo", uri)), uri);
            Assert.True(location.GetProperty("region").GetProperty("startLine").GetInt32() >= 1);
            Assert.Matches("^[0-9a-f]{32}$", r.GetProperty("partialFingerprints").GetProperty("gitopssec/v1").GetString());
        }
        int suppressed = results.Count(r => r.TryGetProperty("suppressions", out _));
        Assert.Equal(findings.Count(f => f.Suppressed), suppressed);
        Assert.True(suppressed > 0);
    }

    [Fact]
    public void JUnit_markdown_html_and_csv_carry_the_same_counts_and_no_evidence()
    {
        var findings = Insecure();
        int open = findings.Count(f => !f.Suppressed);

        XDocument junit = XDocument.Parse(ReportWriter.JUnit(findings));
        Assert.Equal(open, int.Parse(junit.Root!.Attribute("failures")!.Value));
        Assert.Equal(findings.Count, junit.Descendants("testcase").Count());
        Assert.Equal(findings.Count(f => f.Suppressed), junit.Descendants("skipped").Count());

        string markdown = ReportWriter.Markdown(findings);
        Assert.Contains($"**{open} open finding(s)**", markdown, StringComparison.Ordinal);
        Assert.Equal(open, markdown.Split('\n').Count(l => l.StartsWith("| Critical | GOS", StringComparison.Ordinal) || l.StartsWith("| High | GOS", StringComparison.Ordinal) ||
                                                         l.StartsWith("| Medium | GOS", StringComparison.Ordinal) || l.StartsWith("| Low | GOS", StringComparison.Ordinal) ||
                                                         l.StartsWith("| Info | GOS", StringComparison.Ordinal)));

        string html = ReportWriter.Html(findings);
        Assert.Contains($"id=\"count-Critical\">{findings.Count(f => !f.Suppressed && f.Severity == Severity.Critical)}<", html, StringComparison.Ordinal);
        string findingsTable = html[html.IndexOf("<table id=\"findings\">", StringComparison.Ordinal)..];
        Assert.Equal(findings.Count, findingsTable.Split("<tr><td class=").Length - 1);

        string csv = ReportWriter.Csv(findings);
        Assert.Equal(findings.Count + 1, csv.TrimEnd('\n').Split('\n').Length);
        foreach (string report in new[] { csv, html, markdown, junit.ToString() })
        {
            Assert.DoesNotContain("ZXhhbXBsZS1ub3QtYS1yZWFsLXBhc3N3b3Jk", report, StringComparison.Ordinal); // the example Secret's value
        }
    }

    [Fact]
    public void Fingerprints_survive_moving_reformatting_and_reordering_yaml()
    {
        using var dir = new TempDir();
        string file = dir.Write("d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec:\n  template:\n    spec:\n      containers:\n        - name: sidecar\n          image: s\n        - name: web\n          image: w\n          securityContext:\n            privileged: true\n");
        var before = Scan.Analyze(file).Findings.Select(f => f.Fingerprint).ToHashSet();
        File.WriteAllText(file, "# moved down by a comment\n\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  namespace: prod\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: w, securityContext: {privileged: true}}\n      - {name: sidecar, image: s}\n");
        var after = Scan.Analyze(file).Findings.Select(f => f.Fingerprint).ToHashSet();
        Assert.NotEmpty(before);
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_baseline_marks_known_findings_and_not_new_ones()
    {
        using var dir = new TempDir();
        var findings = Insecure();
        string file = dir.Write("baseline.json", Baseline.Write(findings.Take(10)));
        Baseline baseline = Baseline.Load(file);
        var applied = findings.Select(baseline.Apply).ToList();
        Assert.Equal(findings.Take(10).Count(f => !f.Suppressed), applied.Take(10).Count(f => f.Baselined));
        Assert.DoesNotContain(applied.Skip(10), f => f.Baselined && !findings.Take(10).Any(k => k.Fingerprint == f.Fingerprint));
        RepoSummary summary = RepoSummary.From(applied, Severity.Critical);
        Assert.Equal(applied.Count(f => f.IsOpen), summary.Open);

        string bad = dir.Write("bad.json", "{\"nope\": 1}");
        Assert.Equal("GitOpsSec.Baseline.Invalid", Assert.Throws<GitOpsSec.Diagnostics.GitOpsSecOperationException>(() => Baseline.Load(bad)).ErrorId);
    }
}

public class SummaryTallyTests
{
    /// <summary>
    /// Test-GitOpsRepo counts findings as they stream out instead of keeping them: the tally of random findings must
    /// equal the counts taken over the whole list (severity, category, unit rows in their worst-first order, FailOn).
    /// </summary>
    [Fact]
    public void Counting_as_findings_stream_gives_the_summary_of_the_whole_list()
    {
        var random = new Random(23);
        var severities = Enum.GetValues<Severity>();
        string[] units = { "Application/argocd/a", "Application/argocd/b", "Kustomization/flux-system/c" };
        var findings = Enumerable.Range(0, 2000).Select(i =>
        {
            bool suppressed = random.Next(5) == 0;
            Severity severity = severities[random.Next(severities.Length)];
            return new Finding
            {
                RuleId = $"GOS{random.Next(1000, 1010)}",
                RuleName = "r",
                Severity = severity,
                OriginalSeverity = random.Next(4) == 0 ? severities[random.Next(severities.Length)] : null,
                Category = new[] { "PodSecurity", "Network", "RBAC" }[random.Next(3)],
                Message = "m",
                Fingerprint = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Suppressed = suppressed,
                SuppressedBy = suppressed ? (random.Next(2) == 0 ? "Config" : "Annotation") : null,
                Baselined = random.Next(6) == 0,
                Applications = units.Where(_ => random.Next(3) == 0).ToArray(),
            };
        }).ToList();
        var tally = new RepoSummary.Tally();
        findings.ForEach(tally.Add);
        RepoSummary s = tally.ToSummary(Severity.High, new[] { "GOS9" }, 7);
        var open = findings.Where(f => f.IsOpen).ToList();
        Assert.InRange(open.Count, 1, findings.Count - 1);
        Assert.Equal((findings.Count, open.Count, findings.Count(f => f.Suppressed), findings.Count(f => f.Baselined && !f.Suppressed),
                findings.Count(f => f.SuppressedBy == "Config"), findings.Count(f => f.OriginalSeverity is Severity b && f.Severity < b)),
            (s.Total, s.Open, s.Suppressed, s.Baselined, s.SuppressedByConfig, s.Downgraded));
        Assert.Equal(severities.OrderByDescending(x => x).Select(x => (x.ToString(), open.Count(f => f.Severity == x))), s.OpenBySeverity.Select(p => (p.Key, p.Value)));
        Assert.Equal(open.GroupBy(f => f.Category).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())), s.OpenByCategory.Select(p => (p.Key, p.Value)));
        Assert.Equal(ApplicationCounts.From(findings), s.ByApplication);
        Assert.Equal(open.Count(f => f.Severity >= Severity.High), s.Failing);
        Assert.Equal((7, "Failed"), (s.Scanned, s.Verdict));
    }
}

public class ConfigTests
{
    [Fact]
    public void A_config_selects_rules_overrides_severity_and_excludes_paths()
    {
        using var dir = new TempDir();
        string file = dir.Write(".gitopssec.yaml", "level: Baseline\nrules:\n  disabled: [GOS1002, rbac-*]\n  severity:\n    host-port: Low\nexclude: [\"legacy/**\"]\nfailOn: high\nbaseline: b.json\n");
        GitOpsConfig config = GitOpsConfig.Load(file);
        Assert.Equal((PodSecurityLevel.Baseline, Severity.High, "b.json"), (config.Level, config.FailOn!.Value, config.Baseline));
        Assert.Equal(new[] { "GOS1002", "rbac-*" }, config.DisabledRules);
        Assert.True(config.IsExcluded("legacy/apps/x.yaml"));
        Assert.False(config.IsExcluded("apps/legacy.yaml"));
        var finding = Scan.Analyze(Path.Combine(TestPaths.RuleFixtures, "GOS1006", "fail-cronjob.yaml")).Findings.First(f => f.RuleId == "GOS1006");
        Assert.Equal(Severity.Medium, finding.Severity);
        Assert.Equal(Severity.Low, config.Apply(finding).Severity);
    }

    [Theory]
    [InlineData("levle: Baseline\n", 1, "unknown setting 'levle'")]
    [InlineData("level: Strictest\n", 1, "level must be one of")]
    [InlineData("rules:\n  disabled: [GOS9999]\n", 2, "no rule matches 'GOS9999'")]
    [InlineData("rules:\n  severity:\n    GOS1003: Catastrophic\n", 3, "severity must be one of")]
    [InlineData("exclude: vendor\n", 1, "'exclude' must be a list")]
    [InlineData("ticketPattern: '([A-Z'\n", 1, "not a valid regular expression")]
    [InlineData("failOn: [High]\n", 1, "failOn must be one of")]
    [InlineData("level: Baseline\nfailOn: High\n  bad: indent\n", 3, "Invalid YAML")]
    public void A_bad_config_is_an_error_naming_its_line(string yaml, int line, string reason)
    {
        using var dir = new TempDir();
        string file = dir.Write(".gitopssec.yaml", yaml);
        var e = Assert.Throws<GitOpsSec.Diagnostics.GitOpsSecOperationException>(() => GitOpsConfig.Load(file));
        Assert.Equal("GitOpsSec.Config.Invalid", e.ErrorId);
        Assert.Contains($".gitopssec.yaml:{line}:", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}

public class ConfinedConfigTests
{
    [Theory]
    [InlineData("trustedKeys: ../../home/attacker/allowed_signers\n", "trustedKeys")]
    [InlineData("baseline: /etc/gitopssec/baseline.json\n", "baseline")]
    [InlineData("policies: [policies, ../shared/policies]\n", "policies")]
    [InlineData("trustedKeys: ~/.ssh/allowed_signers\n", "trustedKeys")]
    public void A_repository_config_may_not_name_files_outside_the_repository(string yaml, string key)
    {
        using var dir = new TempDir();
        string file = dir.Write(".gitopssec.yaml", yaml);
        var e = Assert.Throws<GitOpsSec.Diagnostics.GitOpsSecOperationException>(() => GitOpsConfig.Load(file));
        Assert.Equal("GitOpsSec.Config.OutsideRepository", e.ErrorId);
        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(".gitopssec.yaml:1:", e.Message, StringComparison.Ordinal);
        // The same file named by the user (-Config, the user config) may point anywhere.
        Assert.NotNull(GitOpsConfig.Load(file, confined: false));
    }

    [Fact]
    public void Paths_inside_the_repository_are_accepted()
    {
        using var dir = new TempDir();
        string file = dir.Write(".gitopssec.yaml", "trustedKeys: ./.gitopssec/allowed_signers\nbaseline: baselines/b..json\npolicies: [policies/kyverno]\n");
        GitOpsConfig config = GitOpsConfig.Load(file);
        Assert.Equal("./.gitopssec/allowed_signers", config.TrustedKeys);
        Assert.Equal(1, config.KeyLines["trustedKeys"]);
        Assert.Equal(3, config.KeyLines["policies"]);
    }
}

public class SarifSchemaTests
{
    private static readonly Lazy<Json.Schema.JsonSchema> Schema = new(() =>
        Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "sarif", "sarif-schema-2.1.0.json"))));

    private static Json.Schema.EvaluationResults Validate(string sarif) =>
        Schema.Value.Evaluate(JsonDocument.Parse(sarif).RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });

    private static bool IsValid(System.Text.Json.Nodes.JsonNode node) => Validate(node.ToJsonString()).IsValid;

    [Fact]
    public void Sarif_output_is_valid_against_the_official_schema()
    {
        var findings = Scan.Analyze(Path.Combine(TestPaths.Examples, "insecure-repo")).Findings;
        var result = Validate(ReportWriter.Sarif(findings));
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? new List<Json.Schema.EvaluationResults>())
            .Where(d => d.Errors is { Count: > 0 }).Take(10).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}")));
        Assert.True(Validate(ReportWriter.Sarif(Array.Empty<Finding>())).IsValid);
    }

    [Fact]
    public void Secret_and_provenance_findings_make_valid_sarif_too()
    {
        using var dir = new GitOpsSec.Tests.Shared.TempDir();
        dir.Write("ci.env", $"T={GitOpsSec.Tests.Shared.FakeTokens.GitHub(200)}\n");
        var secrets = GitOpsSec.Secrets.SecretSearch.ScanPaths(new[] { dir.Path }, new GitOpsSec.Secrets.SecretScanOptions(), new GitOpsSec.Diagnostics.CollectingHost(), new())
            .Select(f => f.ToFinding()).ToList();
        var message = GitOpsSec.Git.CommitMessagePolicy.Check("quick fix", GitOpsSec.Git.CommitMessagePolicy.Compile("^OPS-\\d+:"), new string('a', 40), "Dev <d@x>");
        var findings = secrets.Append(GitOpsSec.Git.ProvenanceRules.ToFinding(message)!).ToList();
        Assert.Equal(2, findings.Count);
        string sarif = ReportWriter.Sarif(findings);
        var result = Validate(sarif);
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? new List<Json.Schema.EvaluationResults>())
            .Where(d => d.Errors is { Count: > 0 }).Take(10).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}")));
        Assert.DoesNotContain(GitOpsSec.Tests.Shared.FakeTokens.GitHub(200), sarif, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schema_check_rejects_a_broken_log()
    {
        var findings = Scan.Analyze(Path.Combine(TestPaths.Examples, "insecure-repo")).Findings;
        var node = System.Text.Json.Nodes.JsonNode.Parse(ReportWriter.Sarif(findings))!;
        node["runs"]![0]!["results"]![0]!["level"] = "severe";
        Assert.False(IsValid(node));
        node = System.Text.Json.Nodes.JsonNode.Parse(ReportWriter.Sarif(findings))!;
        node["runs"]![0]!["results"]![0]!["locations"]![0]!["physicalLocation"]!["region"]!["startLine"] = 0;
        Assert.False(IsValid(node));
    }
}

public class BaselineScopeTests
{
    [Fact]
    public void Accepting_a_finding_in_one_overlay_does_not_accept_it_in_another()
    {
        using var dir = new TempDir();
        dir.Write("base/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        securityContext: {privileged: true}\n");
        dir.Write("base/kustomization.yaml", "resources: [deployment.yaml]\n");
        dir.Write("overlays/dev/kustomization.yaml", "namespace: shop\nresources: [../../base]\n");
        dir.Write("overlays/prod/kustomization.yaml", "namespace: shop\nresources: [../../base]\n");
        var privileged = Scan.Analyze(Path.Combine(dir.Path, "overlays")).Findings.Where(f => f.RuleId == "GOS1003").ToList();
        Assert.Equal(2, privileged.Count);
        Assert.Equal(2, privileged.Select(f => f.Fingerprint).Distinct().Count());
        string file = dir.Write("baseline.json", Baseline.Write(privileged.Take(1)));
        Baseline baseline = Baseline.Load(file);
        Assert.Equal(1, privileged.Count(baseline.Contains));
        Assert.Equal(GitOpsSec.Secrets.SecretDigest.KeyId, baseline.FingerprintKeyId);
        Assert.Null(baseline.KeyMismatch(file));
    }
}

public class NamespaceFindingScopeTests
{
    private const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: team-a-api
          namespace: shared
          annotations:
            gitopssec.io/suppress.GOS5001: "team A says it is fine"
        spec:
          selector: {matchLabels: {app: a}}
          template: {metadata: {labels: {app: a}}, spec: {containers: [{name: a, image: nginx:1.27}]}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: team-b-payments, namespace: shared}
        spec:
          selector: {matchLabels: {app: b}}
          template: {metadata: {labels: {app: b}}, spec: {containers: [{name: b, image: nginx:1.27}]}}
        """;

    [Fact]
    public void A_workload_annotation_cannot_suppress_a_finding_about_the_whole_namespace()
    {
        using var dir = new TempDir();
        dir.Write("apps.yaml", Workloads);
        Finding ns = Scan.Analyze(dir.Path).Findings.Single(f => f.RuleId == "GOS5001");
        Assert.False(ns.Suppressed);
        Assert.Equal(new GitOpsSec.Manifests.ResourceRef("Namespace", null, "shared"), ns.Resource);
        Assert.Equal("apps.yaml", ns.Path); // still shown where the namespace's first workload is
    }

    [Fact]
    public void The_Namespace_object_itself_can_suppress_it()
    {
        using var dir = new TempDir();
        dir.Write("apps.yaml", Workloads);
        dir.Write("namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shared\n  annotations:\n    gitopssec.io/suppress.GOS5001: \"egress handled by the mesh\"\n");
        Finding ns = Scan.Analyze(dir.Path).Findings.Single(f => f.RuleId == "GOS5001");
        Assert.True(ns.Suppressed);
        Assert.Equal("namespace.yaml", ns.Path);
    }
}

public class TrustSourceTests
{
    [Fact]
    public void The_working_tree_config_is_never_a_trust_source_and_cannot_stop_a_verification()
    {
        using var dir = new TempDir();
        dir.Write("allowed_signers", "dev@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEm0g0nC3z4v8cYb5M8hZr6w2m4H3XqYf6a0s6m3yQ9x\n");
        dir.Write(".gitopssec.yaml", "trustedKeys: allowed_signers\n");
        var host = new GitOpsSec.Diagnostics.CollectingHost();
        var trust = GitOpsSec.Git.SignatureTrust.FromSources(Array.Empty<string>(), null, dir.Path, host);
        Assert.Null(trust.Origin);
        Assert.Contains(host.Warnings, w => w.Contains("is not used", StringComparison.Ordinal));
        // A config the change broke on purpose: still no trust, no exception.
        dir.Write(".gitopssec.yaml", "trustedKeys: [broken\n");
        Assert.Null(GitOpsSec.Git.SignatureTrust.FromSources(Array.Empty<string>(), null, dir.Path, new GitOpsSec.Diagnostics.CollectingHost()).Origin);
    }
}
