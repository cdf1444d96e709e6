using System.Diagnostics;
using System.Management.Automation.Language;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>The gitopssec executable (the no-pwsh host) and the repository's PowerShell scripts.</summary>
public class HostAndScriptTests
{
    internal static string HostExecutable()
    {
        string bin = Path.Combine(TestPaths.RepoRoot, "src", "GitOpsSec.Cli", "bin");
        string? exe = Directory.GetFiles(bin, OperatingSystem.IsWindows() ? "gitopssec.exe" : "gitopssec", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        return exe ?? throw new InvalidOperationException("gitopssec was not built under " + bin);
    }

    internal static (int Exit, string Out, string Err) RunHost(params string[] args)
    {
        var start = new ProcessStartInfo(HostExecutable())
        {
            WorkingDirectory = TestPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    [Fact]
    public void The_host_runs_the_main_job_on_the_example_and_prints_a_table()
    {
        var (exit, output, error) = RunHost("Test-GitOpsManifest -Path ./examples/insecure-repo");
        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, error.Trim());
        Assert.Contains("Severity", output, StringComparison.Ordinal);
        Assert.Contains("GOS1003", output, StringComparison.Ordinal);
        Assert.Contains("apps/payments/base/deployment.yaml:25", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_host_prints_json_and_reports_errors_with_their_id_and_exit_code_1()
    {
        var (exit, output, error) = RunHost("--format", "json", "Get-GitOpsManifest ./examples/hardened-repo/jobs, ./missing");
        Assert.Equal(1, exit);
        Assert.Contains("[GitOpsSec.Manifest.PathNotFound", error, StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal("nightly-report", doc.RootElement[0].GetProperty("Name").GetString());
    }

    [Fact]
    public void A_pipeline_that_ends_in_Format_Table_prints_the_table_pwsh_would()
    {
        var (exit, output, error) = RunHost("Get-GitOpsApplication ./examples/gitops-apps | Format-Table Id, ObjectCount");
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("ClassId2e4f51ef21dd47e99d3c952918aff9cd", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^Application/argocd/guestbook\s+3\s*$", output);
    }

    [Fact]
    public void The_host_has_the_utility_cmdlets_and_exits_2_on_a_binding_error()
    {
        var (exit, output, error) = RunHost("--format", "json",
            "Test-GitOpsManifest ./examples/insecure-repo | Group-Object RuleId | Sort-Object Count -Descending | Select-Object -First 2 Name, Count | ConvertTo-Json | ConvertFrom-Json");
        Assert.True(exit == 0, error);
        Assert.Contains("\"Name\"", output, StringComparison.Ordinal);
        Assert.Contains("\"Count\"", output, StringComparison.Ordinal);
        var (bindExit, _, bindError) = RunHost("Get-GitOpsRule -NoSuchParameter 1");
        Assert.Equal(2, bindExit);
        Assert.Contains("NamedParameterNotFound", bindError, StringComparison.Ordinal);
        Assert.Equal(2, RunHost("Get-GitOpsRule -Severity Catastrophic").Exit);   // a value that does not bind
        Assert.Equal(2, RunHost("Get-NoSuchCommand").Exit);
    }

    [Fact]
    public void The_docs_syntax_parameters_and_outputs_are_current_and_every_parameter_has_help()
    {
        string xml = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src", "GitOpsSec", "bin"), "GitOpsSec.xml", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        var (exit, output, error) = RunHost("--render-docs", Path.Combine(TestPaths.RepoRoot, "docs"), xml, "--check");
        Assert.True(exit == 0, "docs are stale or parameters undocumented (run gitopssec --render-docs docs <GitOpsSec.xml>):\n" + error + output);
    }

    [Fact]
    public void The_host_exits_2_on_a_terminating_error()
    {
        var (exit, _, error) = RunHost("throw 'boom'");
        Assert.Equal(2, exit);
        Assert.Contains("boom", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_host_syntax_check_fails_on_a_broken_script()
    {
        using var dir = new TempDir();
        string bad = dir.Write("bad.ps1", "function f { if ($true) { 'x' \n");
        string good = dir.Write("good.ps1", "function f { 'x' }\n");
        var (exit, output, error) = RunHost("--check-syntax", good, bad);
        Assert.Equal(1, exit);
        Assert.Contains("1 passed, 1 failed", output, StringComparison.Ordinal);
        Assert.Contains("bad.ps1:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_PowerShell_file_in_the_repository_parses()
    {
        var files = Directory.GetFiles(TestPaths.RepoRoot, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".ps1", StringComparison.Ordinal) || f.EndsWith(".psm1", StringComparison.Ordinal) || f.EndsWith(".psd1", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}out{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(files, f => f.EndsWith("build.ps1", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains("Pester", StringComparison.Ordinal));
        foreach (string file in files)
        {
            Parser.ParseFile(file, out _, out ParseError[] errors);
            Assert.True(errors.Length == 0, $"{file}: {string.Join("; ", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"))}");
        }
    }
}

public class HostOptionTests
{
    private static (int, string, string) Run(params string[] args) => HostAndScriptTests.RunHost(args);

    [Fact]
    public void Unquoted_commands_json_lines_and_the_policy_exit_code()
    {
        var (exit, output, _) = Run("--json", "-Command", "Test-GitOpsRepo", "-Path", "./examples/insecure-repo", "-FailOn", "High");
        Assert.Equal(3, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 40);
        Assert.All(lines, l => Assert.StartsWith("GOS", System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("RuleId").GetString(), StringComparison.Ordinal));

        var (passExit, _, passErr) = Run("Test-GitOpsRepo", "-Path", "./examples/hardened-repo", "-FailOn", "Low");
        Assert.Equal(0, passExit);
        Assert.Equal(string.Empty, passErr.Trim());
    }
}
