using System.Management.Automation;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Tests that count temporary folders or stop pipelines run alone, so no other test's files are mistaken for leftovers.</summary>
[CollectionDefinition(nameof(NotInParallel), DisableParallelization = true)]
public sealed class NotInParallel
{
}

/// <summary>
/// Findings stream (the first is on the pipeline before the scan has read the last file) and a stopped
/// pipeline (Ctrl+C: StopProcessing) ends promptly and leaves no temporary folders or half-written files.
/// </summary>
[Collection(nameof(NotInParallel))]
public class StreamingAndStopTests
{
    private static string Privileged(int i) => $"""
        apiVersion: v1
        kind: Pod
        metadata: {"{"}name: p{i:000}, namespace: stream{"}"}
        spec:
          containers: [{"{"}name: c, image: "registry.example.com/app:1", securityContext: {"{"}privileged: true{"}"}{"}"}]
        """;

    [Theory]
    [InlineData("Test-GitOpsManifest -LiteralPath $args[0] -Rule GOS1003")]
    [InlineData("Test-GitOpsRepo -LiteralPath $args[0] -Rule GOS1003 -NoSecretScan")]
    [InlineData("Get-GitOpsManifest -LiteralPath $args[0]")]
    public void Output_streams_while_the_scan_is_still_reading(string command)
    {
        using var dir = new TempDir();
        for (int i = 0; i < 300; i++)
        {
            dir.Write($"{i:000}.yaml", Privileged(i));
        }
        string last = Path.Combine(dir.Path, "299.yaml");
        using var session = new PowerShellSession();
        // The first object on the pipeline deletes the last file. A cmdlet that streams has not read it
        // yet (it reports it gone); one that collected everything first would still output its object.
        var r = session.RunBounded(TimeSpan.FromSeconds(120),
            "$last = $args[1]; " + command + " | ForEach-Object -Begin { $first = $true } -Process { if ($first) { [IO.File]::Delete($last); $first = $false }; $_ }", dir.Path, last);
        Assert.NotEmpty(r.Output);
        Assert.DoesNotContain(r.Output, o => (o.Properties["Path"]?.Value as string) == "299.yaml");
        Assert.Contains("GitOpsSec.Manifest.ReadFailed", r.ErrorIds);
        Assert.Equal(299, r.Output.Count);
    }

    private static string[] TempExports() =>
        Directory.GetDirectories(Path.GetTempPath(), "gitopssec-*");

    /// <summary>Starts a pipeline, stops it as Ctrl+C does once it has written <paramref name="after"/> objects, and returns how long stopping took.</summary>
    private static (PSInvocationState State, TimeSpan StopTook, int Output) StopAfter(PowerShellSession session, string script, int after, params object[] args)
    {
        using var ps = session.CreatePipeline(script, args);
        var output = new PSDataCollection<PSObject>();
        var reached = new ManualResetEventSlim();
        output.DataAdded += (_, _) =>
        {
            if (output.Count >= after)
            {
                reached.Set();
            }
        };
        IAsyncResult pending = ps.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(reached.Wait(TimeSpan.FromSeconds(120)) || pending.IsCompleted, "the pipeline wrote nothing within 120 s");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        ps.Stop();
        Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the pipeline did not stop within 30 s");
        return (ps.InvocationStateInfo.State, watch.Elapsed, output.Count);
    }

    [Fact]
    public void Stopping_a_render_at_a_revision_removes_its_temporary_export()
    {
        using var repo = new GitRepo();
        for (int i = 0; i < 40; i++)
        {
            repo.Write($"apps/a{i}/base/pod.yaml", Privileged(i));
            repo.Write($"apps/a{i}/base/kustomization.yaml", "resources: [pod.yaml]\n");
            repo.Write($"apps/a{i}/prod/kustomization.yaml", "resources: [../base]\nnamePrefix: prod-\n");
        }
        repo.Commit("forty kustomized apps");
        var before = TempExports().ToHashSet();
        using var session = new PowerShellSession();
        var (state, took, written) = StopAfter(session, "Get-GitOpsManifest -Path $args[0] -Revision HEAD", 1, repo.Path);
        Assert.Equal(PSInvocationState.Stopped, state);
        Assert.True(written < 80, $"the pipeline ran to the end ({written} objects) instead of stopping");
        Assert.Empty(TempExports().Where(d => !before.Contains(d)));
    }

    [Fact]
    public void Stopping_an_in_place_seal_leaves_every_file_whole_and_no_temporary_files()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 200; i++)
        {
            dir.Write($"s{i:000}.yaml", $"apiVersion: v1\nkind: Secret\nmetadata: {{name: s{i:000}, namespace: apps}}\nstringData: {{password: not-a-real-password-{i}}}\n");
        }
        using var session = new PowerShellSession();
        var (state, _, _) = StopAfter(session,
            "ConvertTo-SealedSecret -Path ([IO.Directory]::GetFiles($args[0], '*.yaml')) -CertificatePath ./tests/data/sealed-secrets/rotated-cert.pem -ReplaceInPlace -PassThru",
            5, dir.Path);
        Assert.Equal(PSInvocationState.Stopped, state);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
        int sealedCount = 0;
        foreach (string file in Directory.GetFiles(dir.Path, "*.yaml"))
        {
            string text = File.ReadAllText(file);
            if (text.Contains("kind: SealedSecret", StringComparison.Ordinal))
            {
                sealedCount++;
                Assert.Contains("encryptedData:", text, StringComparison.Ordinal);
                Assert.DoesNotContain("not-a-real-password", text, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("kind: Secret", text, StringComparison.Ordinal); // untouched, not half-written
            }
        }
        Assert.InRange(sealedCount, 5, 199);
    }

    [Fact]
    public void Stopping_a_history_scan_ends_it_promptly()
    {
        using var dir = new TempDir();
        Proc.Check("python3", new[] { Path.Combine(TestPaths.RepoRoot, "bench", "scale", "generate.py"), Path.Combine(dir.Path, "repo"),
            "--manifests", "4000", "--namespaces", "20", "--commits", "3000", "--kustomize", "0" }, TestPaths.RepoRoot);
        using var session = new PowerShellSession();
        // Each commit's output runs the pipeline; the first one to arrive stops it.
        var (state, took, _) = StopAfter(session, "Get-GitOpsChangeLog -Path $args[0]", 1, Path.Combine(dir.Path, "repo"));
        Assert.Equal(PSInvocationState.Stopped, state);
        Assert.True(took < TimeSpan.FromSeconds(10), $"stopping took {took}");
    }
}
