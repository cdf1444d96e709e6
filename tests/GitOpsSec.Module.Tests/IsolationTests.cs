using System.Runtime.Loader;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>
/// The module's dependencies load in its own AssemblyLoadContext (this test host already has
/// YamlDotNet 11 in the default context), and libgit2 is found although PowerShell hosts do not
/// probe runtimes/&lt;rid&gt;/native.
/// </summary>
public class IsolationTests
{
    [Fact]
    public void A_different_major_YamlDotNet_in_the_session_does_not_break_the_module()
    {
        // Loaded into the default context before the module: what another module would do.
        var hostYaml = typeof(YamlDotNet.Core.Parser).Assembly;
        Assert.Equal(11, hostYaml.GetName().Version!.Major);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(hostYaml));

        using var session = new PowerShellSession();
        var result = session.Run("Get-GitOpsManifest -Path ./examples/hardened-repo/data/postgres.yaml");
        result.AssertNoErrors();
        Assert.Equal("postgres", (string)result.Single().Name);

        var moduleYaml = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name == "YamlDotNet" && a != hostYaml).ToList();
        var loaded = Assert.Single(moduleYaml);
        Assert.True(loaded.GetName().Version!.Major >= 16, "module YamlDotNet " + loaded.GetName().Version);
        Assert.Equal("GitOpsSec", AssemblyLoadContext.GetLoadContext(loaded)!.Name);
        var engine = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "GitOpsSec.Engine");
        Assert.Equal("GitOpsSec", AssemblyLoadContext.GetLoadContext(engine)!.Name);
        Assert.StartsWith(Path.Combine(TestPaths.Module, "dependencies"), engine.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void Libgit2_is_resolved_from_the_module_runtimes_folder_for_this_platform()
    {
        using var repo = new GitRepo();
        repo.Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-git\n");
        repo.Commit("one");

        using var session = new PowerShellSession();
        var result = session.Run("Get-GitOpsManifest -Path $args[0] -Revision HEAD", repo.Path);
        result.AssertNoErrors();
        Assert.Equal("from-git", (string)result.Single().Name);

        if (OperatingSystem.IsLinux())
        {
            string maps = File.ReadAllText("/proc/self/maps");
            string nativeDir = Path.Combine(TestPaths.Module, "dependencies", "runtimes");
            Assert.Contains(maps.Split('\n'), l => l.Contains(nativeDir, StringComparison.Ordinal) && l.Contains("libgit2", StringComparison.Ordinal));
        }
    }
}
