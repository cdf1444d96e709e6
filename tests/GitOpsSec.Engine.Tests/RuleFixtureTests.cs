using GitOpsSec.Rules;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>Every Pod Security Standards control against its failing and passing fixtures.</summary>
public class RuleFixtureTests
{
    public static IEnumerable<object[]> Cases() => TestPaths.RuleFixtureCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fixture_yields_findings_exactly_on_marked_lines(string ruleId, string file)
    {
        string path = Path.Combine(TestPaths.RuleFixtures, ruleId, file);
        // A rule with settings reads them from the fixture folder (allowed-registries.txt for GOS6003).
        string registries = Path.Combine(TestPaths.RuleFixtures, ruleId, "allowed-registries.txt");
        var (findings, host) = Scan.Analyze(path, new RuleSelection
        {
            Include = new[] { ruleId },
            // A Pod Security control is checked at its own level: at the restricted level some baseline controls are replaced (capabilities, seccomp).
            Level = RuleCatalog.Find(ruleId)?.Level == GitOpsSec.PodSecurityLevel.Baseline ? GitOpsSec.PodSecurityLevel.Baseline : GitOpsSec.PodSecurityLevel.Restricted,
            AllowedRegistries = File.Exists(registries) ? File.ReadAllLines(registries).Where(l => l.Length > 0).ToArray() : Array.Empty<string>(),
            RequireSignedCommits = File.Exists(Path.Combine(TestPaths.RuleFixtures, ruleId, "require-signed-commits")),
        });

        Assert.Empty(host.Errors);
        var lines = new SortedSet<int>(findings.Select(f => f.Line));
        SortedSet<int> expected = TestPaths.MarkedLines(path, ruleId);
        if (file.StartsWith("pass", StringComparison.Ordinal))
        {
            Assert.Empty(findings);
        }
        else
        {
            Assert.NotEmpty(expected);
            Assert.Equal(expected, lines);
            Assert.All(findings, f =>
            {
                Assert.Equal(ruleId, f.RuleId);
                Assert.Equal(file, f.Path);
                Assert.False(f.Suppressed);
                Assert.Matches("^[0-9a-f]{32}$", f.Fingerprint);
                Assert.DoesNotContain("{", f.Message, StringComparison.Ordinal);
            });
        }
    }

    [Fact]
    public void Every_catalog_rule_has_one_implementation_and_fixtures_both_ways()
    {
        var implemented = RuleCatalog.Implementations.Select(r => r.Id).ToList();
        Assert.Equal(implemented.Distinct().Count(), implemented.Count);
        Assert.Equal(RuleCatalog.ManifestRules.Select(r => r.Id).OrderBy(x => x), implemented.OrderBy(x => x));
        foreach (RuleInfo rule in RuleCatalog.Rules.Where(r => r.Level != GitOpsSec.PodSecurityLevel.None))
        {
            string dir = Path.Combine(TestPaths.RuleFixtures, rule.Id);
            Assert.True(Directory.GetFiles(dir, "fail-*.yaml").Length > 0, $"{rule.Id} has no failing fixture");
            Assert.True(Directory.GetFiles(dir, "pass-*.yaml").Length > 0, $"{rule.Id} has no passing fixture");
        }
    }

    [Fact]
    public void Catalog_entries_are_complete_and_names_are_kebab_case()
    {
        Assert.Equal(67, RuleCatalog.ManifestRules.Count);
        Assert.Equal(67 + GitOpsSec.Secrets.SecretDetectorCatalog.Detectors.Count + GitOpsSec.Git.ProvenanceRules.All.Count + 1, RuleCatalog.Rules.Count);
        Assert.Equal(5, GitOpsSec.Git.ProvenanceRules.All.Count);
        Assert.All(RuleCatalog.Rules, r =>
        {
            Assert.Matches("^GOS[0-9]{4}$", r.Id);
            Assert.Matches("^[a-z0-9]+(-[a-z0-9]+)*$", r.Name);
            Assert.NotEmpty(r.References);
            Assert.False(string.IsNullOrWhiteSpace(r.Remediation));
        });
        Assert.Equal(RuleCatalog.Rules.Count, RuleCatalog.Rules.Select(r => r.Name).Distinct().Count());
    }

    [Fact]
    public void Baseline_level_runs_only_baseline_controls()
    {
        string path = Path.Combine(TestPaths.Examples, "insecure-repo");
        var (baseline, _) = Scan.Analyze(path, new RuleSelection { Level = GitOpsSec.PodSecurityLevel.Baseline });
        var (restricted, _) = Scan.Analyze(path, new RuleSelection { Level = GitOpsSec.PodSecurityLevel.Restricted });
        Assert.NotEmpty(baseline);
        Assert.DoesNotContain(baseline, f => f.RuleId.StartsWith("GOS11", StringComparison.Ordinal));
        Assert.Contains(baseline, f => f.RuleId.StartsWith("GOS10", StringComparison.Ordinal));
        Assert.Contains(restricted, f => f.RuleId.StartsWith("GOS11", StringComparison.Ordinal));
        Assert.True(restricted.Count > baseline.Count);
    }

    [Theory]
    [InlineData("Pod", "spec")]
    [InlineData("Deployment", "spec.template.spec")]
    [InlineData("StatefulSet", "spec.template.spec")]
    [InlineData("DaemonSet", "spec.template.spec")]
    [InlineData("ReplicaSet", "spec.template.spec")]
    [InlineData("ReplicationController", "spec.template.spec")]
    [InlineData("Job", "spec.template.spec")]
    [InlineData("CronJob", "spec.jobTemplate.spec.template.spec")]
    [InlineData("PodTemplate", "template.spec")]
    public void Every_pod_bearing_kind_is_checked(string kind, string specPath)
    {
        using var dir = new TempDir();
        var sb = new System.Text.StringBuilder($"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: x\n");
        string[] parts = specPath.Split('.');
        for (int i = 0; i < parts.Length; i++)
        {
            sb.Append(new string(' ', 2 * i)).Append(parts[i]).Append(":\n");
        }
        string indent = new(' ', 2 * parts.Length);
        sb.Append($"{indent}containers:\n{indent}  - name: c\n{indent}    image: i\n{indent}    securityContext:\n{indent}      privileged: true\n");
        string file = dir.Write("w.yaml", sb.ToString());

        var (findings, host) = Scan.Analyze(file, new RuleSelection { Include = new[] { "privileged-container" } });

        Assert.Empty(host.Errors);
        Finding f = Assert.Single(findings);
        Assert.Equal(specPath + ".containers[c].securityContext.privileged", f.Field);
        Assert.Equal(5 + parts.Length + 4, f.Line);
    }

    [Fact]
    public void Hardened_example_passes_restricted_and_insecure_example_fails_many_controls()
    {
        var (hardened, h1) = Scan.Analyze(Path.Combine(TestPaths.Examples, "hardened-repo"));
        Assert.Empty(h1.Errors);
        Assert.Empty(hardened);

        var (insecure, h2) = Scan.Analyze(Path.Combine(TestPaths.Examples, "insecure-repo"));
        Assert.Empty(h2.Errors);
        var rules = insecure.Select(f => f.RuleId).Distinct().ToList();
        Assert.True(rules.Count >= 14, "insecure-repo should break most controls, broke: " + string.Join(",", rules));
    }
}

public class DocumentationTests
{
    [Fact]
    public void The_rule_reference_documents_every_rule()
    {
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "rules.md"));
        Assert.All(RuleCatalog.Rules, r => Assert.Contains($"## {r.Id} {r.Name}", doc, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_exported_cmdlet_has_a_page()
    {
        string psd1 = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "module", "GitOpsSec.psd1"));
        psd1 = psd1[psd1.IndexOf("CmdletsToExport", StringComparison.Ordinal)..psd1.IndexOf("FunctionsToExport", StringComparison.Ordinal)];
        var cmdlets = System.Text.RegularExpressions.Regex.Matches(psd1, "'([A-Z][A-Za-z]+-[A-Za-z]+)'").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(30, cmdlets.Count);
        Assert.All(cmdlets, c => Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, "docs", c + ".md")), c));
    }
}
