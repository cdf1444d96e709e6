using GitOpsSec.Diagnostics;
using GitOpsSec.Kyverno;
using GitOpsSec.Manifests;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>Kyverno validate policies evaluated offline against `kyverno test`-style expectations (tests/data/kyverno).</summary>
public class KyvernoTests
{
    public static IEnumerable<object[]> Cases() =>
        Directory.GetDirectories(Path.Combine(TestPaths.RepoRoot, "tests", "data", "kyverno")).OrderBy(d => d, StringComparer.Ordinal)
            .Select(d => new object[] { Path.GetFileName(d) });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Results_match_the_kyverno_test_expectations(string folder)
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "tests", "data", "kyverno", folder);
        var host = new CollectingHost();
        var policies = KyvernoPolicies.Load(new[] { Path.Combine(dir, "policy.yaml") }, host);
        var (resources, loadHost) = Scan.Load(Path.Combine(dir, "resources.yaml"));
        Assert.Empty(host.Errors);
        Assert.Empty(loadHost.Errors);
        Assert.NotEmpty(policies);
        var actual = policies.SelectMany(p => resources.SelectMany(r => KyvernoEvaluator.Evaluate(p, r)))
            .ToDictionary(r => (r.Policy, r.Rule, r.Name), r => r);

        var test = (YMapping)YamlDocumentReader.Read(File.ReadAllText(Path.Combine(dir, "kyverno-test.yaml")), "kyverno-test.yaml", LoadLimits.Default, _ => { }).Single().Root;
        var expected = new HashSet<(string, string, string)>();
        foreach (YMapping result in test.Seq("results")!.Items.OfType<YMapping>())
        {
            foreach (YScalar name in result.Seq("resources")!.Items.OfType<YScalar>())
            {
                var key = (result.Text("policy")!, result.Text("rule")!, name.Value);
                expected.Add(key);
                string want = result.Text("result")!;
                Assert.True(actual.TryGetValue(key, out var got), $"{key}: no result (expected {want})");
                Assert.True(string.Equals(want, got!.Result.ToString(), StringComparison.OrdinalIgnoreCase), $"{key}: expected {want}, got {got.Result}: {got.Message}");
            }
        }
        // Anything else the policies touched was skipped, never silently failed or passed.
        Assert.All(actual.Where(a => !expected.Contains(a.Key)), a => Assert.Equal(KyvernoResult.Skip, a.Value.Result));
    }

    [Fact]
    public void A_foreach_failure_message_names_the_failing_elements_of_every_level()
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "tests", "data", "kyverno", "image-tags-foreach");
        var policy = KyvernoPolicies.Load(new[] { Path.Combine(dir, "policy.yaml") }, new CollectingHost()).Single();
        var pod = Scan.Load(Path.Combine(dir, "resources.yaml")).Objects.Single(o => o.Name == "debug-ssh");
        var results = KyvernoEvaluator.Evaluate(policy, pod).ToDictionary(r => r.Rule);
        Assert.Equal(KyvernoResult.Fail, results["no-ssh-port"].Result);
        Assert.StartsWith("Container shell exposes port 22.", results["no-ssh-port"].Message, StringComparison.Ordinal);
        Assert.Contains("containers[1]", results["no-ssh-port"].Message, StringComparison.Ordinal);
        Assert.Contains("ports[1]", results["no-ssh-port"].Message, StringComparison.Ordinal);
        var sidecar = KyvernoEvaluator.Evaluate(policy, Scan.Load(Path.Combine(dir, "resources.yaml")).Objects.Single(o => o.Name == "floating-sidecar"))
            .Single(r => r.Rule == "sidecars-pinned");
        Assert.StartsWith("Sidecar log-sidecar (container 1) must be pinned by digest.", sidecar.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failure_messages_never_show_secret_values()
    {
        using var dir = new TempDir();
        dir.Write("policy.yaml", "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      match: {any: [{resources: {kinds: [Secret]}}]}\n      validate:\n        pattern: {data: {password: \"abc*\"}}\n");
        dir.Write("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: c3VwZXItc2VjcmV0}\n");
        var policy = KyvernoPolicies.Load(new[] { Path.Combine(dir.Path, "policy.yaml") }, new CollectingHost()).Single();
        var result = KyvernoEvaluator.Evaluate(policy, Scan.Load(Path.Combine(dir.Path, "secret.yaml")).Objects.Single()).Single();
        Assert.Equal(KyvernoResult.Fail, result.Result);
        Assert.Contains("data.password", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c3VwZXItc2VjcmV0", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantities_compare_as_Kubernetes_does()
    {
        Assert.Equal(0.1, KyvernoEvaluatorQuantity("100m"), 6);
        Assert.Equal(1024d * 1024 * 512, KyvernoEvaluatorQuantity("512Mi"));
        Assert.Null(GitOpsSec.Manifests.KubernetesQuantity.Parse("abc"));
    }

    private static double KyvernoEvaluatorQuantity(string s) => GitOpsSec.Manifests.KubernetesQuantity.Parse(s)!.Value;
}
