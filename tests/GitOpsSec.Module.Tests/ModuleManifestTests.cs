using System.Management.Automation;
using System.Reflection;
using System.Xml.Linq;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

public class ModuleManifestTests
{
    private static readonly string[] ExpectedCmdlets =
    {
        "Compare-GitOpsDrift", "ConvertTo-SealedSecret", "Export-GitOpsAuditLog", "Export-GitOpsBaseline", "Export-GitOpsReport", "Export-GitOpsSbom", "Find-GitOpsSecret", "Get-GitOpsApplication", "Get-GitOpsChangeLog", "Get-GitOpsConfig", "Get-GitOpsImage", "Get-GitOpsManifest", "Get-GitOpsRule", "Get-GitOpsSecretReference", "Get-NetworkPolicyCoverage", "Get-RbacExposure", "Get-SealedSecretCertificate",
        "Import-GitOpsVulnerabilityReport", "Install-GitOpsHook", "New-SealedSecretManifest", "Protect-SealedSecretValue", "Test-AdmissionPolicy", "Test-CommitMessage", "Test-CommitSignature", "Test-GitOpsManifest", "Test-GitOpsRepo", "Test-KyvernoPolicy", "Test-RbacAccess", "Unprotect-SealedSecret",
        "Update-SealedSecret",
    };

    [Fact]
    public void Get_Command_lists_exactly_the_exported_cmdlets()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Get-Command -Module GitOpsSec -CommandType Cmdlet | ForEach-Object Name");
        result.AssertNoErrors();
        Assert.Equal(ExpectedCmdlets, result.Output.Select(o => (string)o.BaseObject).OrderBy(n => n, StringComparer.Ordinal));
        var aliases = session.Run("Get-Command -Module GitOpsSec -CommandType Alias | ForEach-Object { \"$($_.Name)=$($_.ResolvedCommand.Name)\" }");
        Assert.Equal(new[] { "Export-GitOpsImageInventory=Export-GitOpsSbom" }, aliases.Output.Select(o => (string)o.BaseObject));
    }

    [Fact]
    public void Every_cmdlet_class_is_exported_and_declares_its_output_type()
    {
        using var session = new PowerShellSession();
        session.Run("Get-Command -Module GitOpsSec");
        Assembly module = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "GitOpsSec");
        var cmdletTypes = module.GetExportedTypes().Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null).ToList();
        Assert.Equal(ExpectedCmdlets, cmdletTypes.Select(t =>
        {
            var a = t.GetCustomAttribute<CmdletAttribute>()!;
            return a.VerbName + "-" + a.NounName;
        }).OrderBy(n => n, StringComparer.Ordinal));
        Assert.All(cmdletTypes, t => Assert.NotNull(t.GetCustomAttribute<OutputTypeAttribute>()));
    }

    [Fact]
    public void The_manifest_declares_core_edition_7_4_formats_and_the_one_version()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Test-ModuleManifest -Path $args[0]", Path.Combine(TestPaths.Module, "GitOpsSec.psd1"));
        result.AssertNoErrors();
        var info = (PSModuleInfo)result.SingleValue();
        string version = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "Directory.Build.props"))
            .Descendants("VersionPrefix").Single().Value;
        Assert.Equal(Version.Parse(version), info.Version);
        Assert.Equal(new[] { "Core" }, info.CompatiblePSEditions);
        Assert.Equal(new Version(7, 4), info.PowerShellVersion);
        Assert.Equal(ExpectedCmdlets, info.ExportedCmdlets.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Contains(info.ExportedFormatFiles, f => f.EndsWith("GitOpsSec.format.ps1xml", StringComparison.Ordinal));
    }

    [Fact]
    public void PowerShell_itself_is_never_shipped_in_the_module_folder()
    {
        var files = Directory.GetFiles(TestPaths.Module, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain("System.Management.Automation.dll", files);
        Assert.DoesNotContain(files, f => f!.StartsWith("PowerShellStandard", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("GitOpsSec.Engine.dll", files);
        Assert.True(File.Exists(Path.Combine(TestPaths.Module, "dependencies", "GitOpsSec.Engine.dll")));
        Assert.False(File.Exists(Path.Combine(TestPaths.Module, "GitOpsSec.Engine.dll")), "the engine must not sit beside GitOpsSec.dll");
        Assert.True(File.Exists(Path.Combine(TestPaths.Module, "en-US", "about_GitOpsSec.help.txt")));
    }

    [Fact]
    public void Every_output_type_has_a_default_view_and_display_property_set()
    {
        // Get-FormatData lives in Microsoft.PowerShell.Utility, which the in-process engine lacks:
        // read the shipped files and check them against the OutputType of every cmdlet instead.
        using var session = new PowerShellSession();
        session.Run("Get-Command -Module GitOpsSec");
        Assembly module = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "GitOpsSec");
        var outputTypes = module.GetExportedTypes()
            .SelectMany(t => t.GetCustomAttributes<OutputTypeAttribute>())
            .SelectMany(a => a.Type.Select(t => t.Name))
            .Where(n => n.StartsWith("GitOpsSec.", StringComparison.Ordinal))
            .Distinct().OrderBy(n => n).ToList();
        var views = XDocument.Load(Path.Combine(TestPaths.Module, "GitOpsSec.format.ps1xml"))
            .Descendants("ViewSelectedBy").Elements("TypeName").Select(e => e.Value).OrderBy(n => n).ToList();
        var displaySets = XDocument.Load(Path.Combine(TestPaths.Module, "GitOpsSec.types.ps1xml"))
            .Descendants("Type").Elements("Name").Select(e => e.Value).OrderBy(n => n).ToList();
        Assert.Equal(outputTypes, views);
        Assert.Equal(outputTypes, displaySets);
        Assert.Equal(23, outputTypes.Count);
    }
}
