namespace GitOpsSec.Module.Tests;

public class GetGitOpsRuleTests
{
    [Fact]
    public void Lists_the_catalog_and_filters_by_wildcard_level_and_severity()
    {
        using var session = new PowerShellSession();
        var all = session.Run("Get-GitOpsRule").Rules();
        Assert.Equal(67 + 257 + 5 + 1, all.Count);
        Assert.Equal(5, session.Run("Get-GitOpsRule -Category Provenance").Output.Count);
        var detectors = session.Run("Get-GitOpsRule -Category Secrets | Where-Object Provider").Rules();
        Assert.Equal(257, detectors.Count);
        int providers = session.Run("Get-GitOpsRule -Category Secrets | Where-Object Provider | ForEach-Object Provider").Output
            .Select(o => o.ToString()).Distinct(StringComparer.Ordinal).Count();
        Assert.True(providers >= 180, $"Get-GitOpsRule -Category Secrets lists {providers} providers");
        Assert.Contains(detectors, r => r.Id == "GOS2110");
        Assert.Equal(12, session.Run("Get-GitOpsRule -Level Baseline").Output.Count);
        Assert.Equal(6, session.Run("Get-GitOpsRule GOS11*").Output.Count);
        var byName = session.Run("Get-GitOpsRule privileged-container").Rules();
        Assert.Equal("GOS1003", Assert.Single(byName).Id);
        Assert.All(session.Run("Get-GitOpsRule -Severity Critical").Rules(), r => Assert.Equal("Critical", r.Severity));
    }

    [Fact]
    public void An_unknown_rule_is_a_non_terminating_error()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Get-GitOpsRule GOS0000, GOS1001");
        Assert.Equal(new[] { "GitOpsSec.Rule.NotFound" }, result.ErrorIds);
        Assert.Equal("GOS1001", Assert.Single(result.Rules()).Id);
    }
}
