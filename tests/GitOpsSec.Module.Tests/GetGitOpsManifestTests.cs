using System.Collections;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

public class GetGitOpsManifestTests
{
    [Fact]
    public void Objects_carry_kind_namespace_name_relative_path_and_line()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Get-GitOpsManifest -Path ./examples/insecure-repo/jobs");
        result.AssertNoErrors();
        Assert.Equal(
            new[] { "CronJob|payments-prod|db-backup|db-backup.yaml|1", "Pod|default|debug|debug-pod.yaml|2" },
            result.Output.Select(o => $"{o.Properties["Kind"].Value}|{o.Properties["Namespace"].Value}|{o.Properties["Name"].Value}|{o.Properties["Path"].Value}|{o.Properties["Line"].Value}"));
    }

    [Fact]
    public void The_object_is_walkable_with_member_access_and_member_enumeration()
    {
        using var session = new PowerShellSession();
        var result = session.Run(
            "Get-GitOpsManifest ./examples/hardened-repo/data/postgres.yaml | ForEach-Object { $_.Object.spec.template.spec.containers.name; $_.Object.spec.template.spec.securityContext.runAsUser }");
        result.AssertNoErrors();
        Assert.Equal(new object[] { "postgres", 999L }, result.Output.Select(o => o.BaseObject));
    }

    [Fact]
    public void FileInfo_objects_bind_through_the_pipeline_and_Kind_filters()
    {
        // The in-process engine has no Get-ChildItem (Microsoft.PowerShell.Management), so the test
        // pipes .NET FileInfo objects (bound by FullName) and objects shaped like Get-ChildItem's
        // output, with a provider-qualified PSPath.
        using var session = new PowerShellSession();
        string dir = Path.Combine(TestPaths.Examples, "insecure-repo", "infrastructure");
        var result = session.Run(
            "[System.IO.DirectoryInfo]::new($args[0]).GetFiles('*.yaml', 'AllDirectories') | Get-GitOpsManifest -Kind Daemon* | ForEach-Object Name", dir);
        result.AssertNoErrors();
        Assert.Equal(new[] { "fluentd", "node-exporter" }, result.Output.Select(o => (string)o.BaseObject).OrderBy(n => n));

        var childItem = session.Run(
            "[pscustomobject]@{ PSPath = 'Microsoft.PowerShell.Core\\FileSystem::' + $args[0] } | Get-GitOpsManifest | ForEach-Object Name",
            Path.Combine(dir, "logging", "fluentd.yaml"));
        childItem.AssertNoErrors();
        Assert.Equal("fluentd", (string)childItem.SingleValue());
    }

    [Fact]
    public void Wildcard_paths_and_namespace_filter_compose_with_Where_Object()
    {
        using var session = new PowerShellSession();
        var result = session.Run(
            "Get-GitOpsManifest ./examples/*-repo -NoRender -Namespace payments* | Where-Object Kind -eq 'CronJob' | ForEach-Object Name");
        result.AssertNoErrors();
        Assert.Equal("db-backup", (string)result.SingleValue());
    }

    [Fact]
    public void Kustomize_overlays_are_rendered_and_point_back_at_the_base()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Get-GitOpsManifest ./examples/insecure-repo -Kind Deployment");
        result.AssertNoErrors();
        var d = result.Single();
        Assert.Equal("prod-payments-api", (string)d.Name);
        Assert.Equal("Kustomize", (string)d.Source);
        Assert.Equal("apps/payments/base/deployment.yaml", (string)d.Path);
        Assert.Equal(4L, ((IDictionary)((IDictionary)d.Object)["spec"]!)["replicas"]);
    }

    [Fact]
    public void Revision_reads_an_older_commit_of_a_repository_made_with_git()
    {
        using var repo = new GitRepo();
        repo.Write("deploy/app.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-v1\n");
        string v1 = repo.Commit("v1");
        repo.Write("deploy/app.yaml", "# v2\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-v2\n");
        repo.Commit("v2");

        using var session = new PowerShellSession(repo.Path);
        var old = session.Run("Get-GitOpsManifest -Path ./deploy -Revision $args[0]", v1[..8]);
        old.AssertNoErrors();
        var o = old.Single();
        Assert.Equal(("app-v1", "app.yaml", 1, v1), ((string)o.Name, (string)o.Path, (int)o.Line, (string)o.Revision));

        var head = session.Run("Get-GitOpsManifest -Path ./deploy -Revision main");
        Assert.Equal(("app-v2", 2), ((string)head.Single().Name, (int)head.Single().Line));

        var missing = session.Run("Get-GitOpsManifest -Path ./deploy -Revision does-not-exist");
        Assert.Empty(missing.Output);
        Assert.Equal(new[] { "GitOpsSec.Git.RevisionNotFound" }, missing.ErrorIds);
    }

    [Fact]
    public void Each_bad_input_gives_its_error_id_and_the_valid_file_beside_it_is_still_read()
    {
        using var dir = new TempDir();
        var cases = new Dictionary<string, string>
        {
            ["malformed.yaml"] = "GitOpsSec.Manifest.InvalidYaml",
            ["bomb.yaml"] = "GitOpsSec.Manifest.AliasLimitExceeded",
            ["deep.yaml"] = "GitOpsSec.Manifest.NestingTooDeep",
            ["binary.yaml"] = "GitOpsSec.Manifest.BinaryFile",
            ["latin1.yaml"] = "GitOpsSec.Manifest.InvalidEncoding",
            ["duplicate.yaml"] = "GitOpsSec.Manifest.DuplicateKey",
            ["large.yaml"] = "GitOpsSec.Manifest.FileTooLarge",
            ["unreadable.yaml"] = "GitOpsSec.Manifest.ReadFailed",
        };
        dir.Write("malformed.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n");
        var bomb = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 9; i++)
        {
            bomb.Append($"a{i}: &a{i} [").Append(string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))).Append("]\n");
        }
        dir.Write("bomb.yaml", bomb.ToString());
        dir.Write("deep.yaml", new string('[', 5000) + new string(']', 5000) + "\n");
        dir.WriteBytes("binary.yaml", new byte[] { 0x7f, 0x45, 0x4c, 0x46, 0, 0, 1 });
        dir.WriteBytes("latin1.yaml", new byte[] { (byte)'k', (byte)':', (byte)' ', 0xE9, (byte)'\n' });
        dir.Write("duplicate.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: dup}\nspec:\n  containers: []\n  containers: [{name: c, image: i, securityContext: {privileged: true}}]\n");
        dir.Write("large.yaml", "data: \"" + new string('a', 11 * 1024 * 1024) + "\"\n");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "unreadable.yaml"), Path.Combine(dir.Path, "gone.yaml"));
        dir.Write("valid.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: valid}\nspec:\n  containers:\n    - name: c\n      image: i\n      securityContext: {privileged: true}\n");

        using var session = new PowerShellSession();
        var result = session.Run("Test-GitOpsManifest -Path $args[0] -Rule privileged-container", dir.Path);

        var byTarget = result.Errors.ToDictionary(e => Path.GetFileName(e.TargetObject?.ToString() ?? "?"), e => e.FullyQualifiedErrorId.Split(',')[0]);
        foreach (var (file, id) in cases)
        {
            Assert.True(byTarget.TryGetValue(file, out string? actual), $"no error for {file}; got: {string.Join("; ", byTarget)}");
            Assert.Equal(id, actual);
        }
        Assert.All(result.Errors, e => Assert.NotEqual(System.Management.Automation.ErrorCategory.NotSpecified, e.CategoryInfo.Category));
        // The valid file and the duplicate-key file (last value wins) still yield their findings.
        Assert.Equal(new[] { "dup", "valid" }, result.Findings().Select(f => f.Name).OrderBy(n => n));
        Assert.Equal(8, result.Findings().Single(f => f.Name == "valid").Line);
    }

    [Fact]
    public void A_path_that_does_not_exist_is_a_non_terminating_error_and_other_paths_still_run()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Get-GitOpsManifest -Path ./no/such/dir, ./examples/hardened-repo/jobs/report.yaml; 'after'");
        Assert.Equal(new[] { "GitOpsSec.Manifest.PathNotFound" }, result.ErrorIds);
        Assert.Equal("nightly-report", (string)((dynamic)result.Output[0]).Name);
        Assert.Equal("after", result.Output[^1].BaseObject);
    }
}
