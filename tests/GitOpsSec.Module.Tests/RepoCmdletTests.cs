using System.Text.Json;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

public class RepoCmdletTests
{
    [Fact]
    public void FailOn_High_fails_the_insecure_example_and_the_hardened_one_passes()
    {
        using var session = new PowerShellSession();
        var failed = session.Run("try { Test-GitOpsRepo ./examples/insecure-repo -FailOn High -Summary; 'not reached' } catch { $_.FullyQualifiedErrorId }");
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
