using System.Text.Json;
using GitOpsSec.Rules.PodSecurity;
using GitOpsSec.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Pod Security at every version boundary: the cases of tests/data/pod-security/cases.json (made by its
/// generate.py from the facts of pod-security-admission's check registrations) evaluated at both levels and
/// at every version from v1.0 to latest; the controls named must be exactly the expected ones.
/// </summary>
public sealed class PodSecurityConformanceTests
{
    private readonly ITestOutputHelper _output;

    public PodSecurityConformanceTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Every_case_gets_the_controls_admission_names_at_every_level_and_version()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "pod-security", "cases.json")));
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToList();
        using var dir = new TempDir();
        string file = dir.Write("cases.yaml", string.Join("\n---\n", cases.Select(c => c.GetProperty("pod").GetRawText())));
        var (objects, host) = Scan.Load(file);
        Assert.Empty(host.Errors);
        Assert.Equal(cases.Count, objects.Count);

        var agreement = new SortedDictionary<string, (int Agree, int Total)>(StringComparer.Ordinal);
        var disagreements = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            string name = cases[i].GetProperty("name").GetString()!;
            foreach (JsonProperty expectation in cases[i].GetProperty("expect").EnumerateObject())
            {
                string[] parts = expectation.Name.Split(':');
                PodSecurityLevel level = PodSecurityAdmission.ParseLevel(parts[0])!.Value;
                PodSecurityVersion version = PodSecurityVersion.TryParseLabel(parts[1])!.Value;
                var expected = expectation.Value.EnumerateArray().Select(e => e.GetString()!).ToHashSet();
                var actual = PodSecurityAdmission.Violations(objects[i], level, version).Select(v => v.Info.Id).ToHashSet();
                bool same = expected.SetEquals(actual);
                var (agree, total) = agreement.GetValueOrDefault(parts[1]);
                agreement[parts[1]] = (agree + (same ? 1 : 0), total + 1);
                if (!same)
                {
                    disagreements.Add($"{name} at {expectation.Name}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
                }
            }
        }
        foreach (var (version, (agree, total)) in agreement)
        {
            _output.WriteLine($"{version,-7} {agree}/{total}");
        }
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(30)));
        Assert.Equal(23, agreement.Count); // v1.0 ... v1.37 boundaries and latest
    }

    [Theory]
    [InlineData("v2.5")]
    [InlineData("banana")]
    [InlineData("1")]
    [InlineData("v1.")]
    public void An_unknown_version_is_an_error_never_latest(string text)
    {
        Assert.Null(PodSecurityVersion.TryParse(text));
        var e = Assert.Throws<GitOpsSec.Diagnostics.GitOpsSecOperationException>(() => PodSecurityVersion.Parse(text, "-KubernetesVersion"));
        Assert.Equal(PodSecurityVersion.InvalidVersionId, e.ErrorId);
    }

    [Theory]
    [InlineData("v1.30", 30, false)]
    [InlineData("1.30", 30, false)]
    [InlineData("latest", 37, true)]
    [InlineData("v1.45", 45, false)]
    public void Versions_parse_as_pod_security_admission_reads_them(string text, int minor, bool latest)
    {
        PodSecurityVersion v = PodSecurityVersion.TryParse(text)!.Value;
        Assert.Equal((minor, latest), (v.Minor, v.IsLatest));
        Assert.True(v.AtLeast(30));
        // Namespace labels must carry the v, as the API server requires.
        Assert.Equal(text.StartsWith('v') || text == "latest", PodSecurityVersion.TryParseLabel(text) is not null);
    }
}
