using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Test-GitOpsRepo as the one command: findings from every area on the insecure example, none on the hardened one; images and their SBOM.</summary>
public class RepoAreasTests
{
    private static void CopyTree(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void The_insecure_example_has_findings_in_every_area_and_fails_FailOn_High()
    {
        using var repo = new GitRepo();
        CopyTree(Path.Combine(TestPaths.Examples, "insecure-repo"), repo.Path);
        repo.Commit("OPS-1: import the example");
        repo.Write("config/extra.env", "LOG=debug\n");
        repo.Commit("quick fix without ticket");
        using var session = new PowerShellSession(repo.Path);
        var result = session.Run("Test-GitOpsRepo -Path . -Range HEAD~1..HEAD -FailOn High -ErrorVariable gosErr -ErrorAction SilentlyContinue | ForEach-Object Category; $gosErr[-1].FullyQualifiedErrorId");
        var categories = result.Output.Select(o => (string)o.BaseObject).ToList();
        Assert.StartsWith("GitOpsSec.Policy.Failed", categories[^1], StringComparison.Ordinal);
        Assert.Superset(new SortedSet<string> { "PodSecurity", "Secrets", "RBAC", "Network", "Images", "GitOps", "Provenance" },
            new SortedSet<string>(categories.Take(categories.Count - 1)));
    }

    [Fact]
    public void Images_and_their_CycloneDX_SBOM_through_the_pipeline()
    {
        using var dir = new TempDir();
        using var session = new PowerShellSession();
        var images = session.Run("Get-GitOpsImage ./examples/insecure-repo -Unpinned | ForEach-Object Image");
        images.AssertNoErrors();
        Assert.Contains("ubuntu:24.04", images.Output.Select(o => (string)o.BaseObject));
        Assert.Empty(session.Run("Get-GitOpsImage ./examples/hardened-repo -Unpinned").Output);
        string bom = Path.Combine(dir.Path, "bom.json");
        var written = session.Run("Get-GitOpsImage ./examples/hardened-repo | Export-GitOpsSbom $args[0] -Name hardened", bom);
        written.AssertNoErrors();
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(bom));
        Assert.Equal("1.5", doc.RootElement.GetProperty("specVersion").GetString());
        Assert.Equal("hardened", doc.RootElement.GetProperty("metadata").GetProperty("component").GetProperty("name").GetString());
        Assert.Equal(session.Run("Get-GitOpsImage ./examples/hardened-repo").Output.Count, doc.RootElement.GetProperty("components").GetArrayLength());
        // The image-inventory name the issue tracker and older scripts use is an exported alias.
        var aliased = session.Run("Get-GitOpsImage ./examples/insecure-repo | Export-GitOpsImageInventory -Format CycloneDX -Name insecure");
        aliased.AssertNoErrors();
        using var fromAlias = System.Text.Json.JsonDocument.Parse((string)aliased.Output.Single().BaseObject);
        Assert.Equal("CycloneDX", fromAlias.RootElement.GetProperty("bomFormat").GetString());
        Assert.Equal("insecure", fromAlias.RootElement.GetProperty("metadata").GetProperty("component").GetProperty("name").GetString());
    }

    [Fact]
    public void Test_KyvernoPolicy_evaluates_library_style_policies_through_the_pipeline()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Test-KyvernoPolicy -Path ./tests/data/kyverno/disallow-latest-tag/resources.yaml -Policy ./tests/data/kyverno/disallow-latest-tag/policy.yaml | Where-Object Result -eq 'Fail' | ForEach-Object { \"$($_.Rule) $($_.Name)\" }");
        result.AssertNoErrors();
        Assert.Equal(new object[] { "validate-image-tag latest", "require-image-tag untagged" }, result.Output.Select(o => o.BaseObject));
        var piped = session.Run("Get-GitOpsManifest ./tests/data/kyverno/global-anchor/resources.yaml | Test-KyvernoPolicy -Policy ./tests/data/kyverno/global-anchor/policy.yaml -IncludeSkipped | ForEach-Object { \"$($_.Result)\" }");
        Assert.Equal(new object[] { "Skip", "Pass", "Fail" }, piped.Output.Select(o => o.BaseObject));
        Assert.Equal(new[] { "GitOpsSec.Kyverno.NoPolicy" }, session.Run("Test-KyvernoPolicy ./examples/hardened-repo -Policy ./examples/hardened-repo/jobs").ErrorIds);
    }

    [Fact]
    public void Trusted_keys_in_the_config_make_Argo_CD_projects_verify_signatures()
    {
        using var dir = new TempDir();
        dir.Write("argocd/project.yaml", File.ReadAllText(Path.Combine(TestPaths.RuleFixtures, "GOS7006", "fail-no-signature-keys.yaml")));
        using var session = new PowerShellSession();
        Assert.Empty(session.Run("Test-GitOpsRepo -Path $args[0] -Rule GOS7006 -NoSecretScan", dir.Path).Output);
        dir.Write(".gitopssec.yaml", "trustedKeys: .gitsigners\n");
        var findings = session.Run("Test-GitOpsRepo -Path $args[0] -Rule GOS7006 -NoSecretScan", dir.Path).Findings();
        Assert.Equal(("GOS7006", "argocd/project.yaml", 6), (Assert.Single(findings).RuleId, findings[0].Path, findings[0].Line));
    }
}
