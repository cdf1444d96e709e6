using GitOpsSec.Manifests;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Files on disk are read and parsed on every core, a git revision's files on one thread: both must give the
/// same objects and report the same errors, in file order (the revision read is the reference).
/// </summary>
public sealed class ParallelLoadTests
{
    [Fact]
    public void Reading_on_all_cores_gives_the_objects_and_errors_of_a_sequential_read_in_the_same_order()
    {
        using var repo = new GitRepo();
        for (int i = 0; i < 300; i++)
        {
            string body = (i % 11) switch
            {
                3 => "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n", // unterminated flow mapping
                7 => "just: a document\nwithout: kind\n",
                _ => $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: ns-{i % 5}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n",
            };
            repo.Write($"apps/group-{i % 13}/file-{i:000}.yaml", body);
        }
        repo.Commit("many files");
        var options = new GitOpsSec.Manifests.ManifestLoadOptions { RenderKustomize = false, ResolveApplications = false };
        var (disk, diskHost) = Scan.Load(repo.Path, options: options);
        var (revision, revisionHost) = Scan.Load(repo.Path, "HEAD", options);

        Assert.Equal(revision.Select(o => (o.Path, o.Line, o.Kind, o.Name)), disk.Select(o => (o.Path, o.Line, o.Kind, o.Name)));
        Assert.Equal(revisionHost.Errors.Select(e => (e.ErrorId, e.Target, e.Line)), diskHost.Errors.Select(e => (e.ErrorId, e.Target, e.Line)));
        Assert.Equal(27, diskHost.Errors.Count(e => e.Target!.EndsWith(".yaml", StringComparison.Ordinal)));
        Assert.Equal(revisionHost.VerboseMessages.Where(v => v.Contains("not a Kubernetes object", StringComparison.Ordinal)),
            diskHost.VerboseMessages.Where(v => v.Contains("not a Kubernetes object", StringComparison.Ordinal)));
        Assert.Equal(2 * (300 - 27 - 27), disk.Count); // 27 broken files and 27 without a kind
    }

    /// <summary>
    /// Kustomizations on disk are rendered ahead of the reading (one per core), and their objects still come out where a
    /// sequential read of the same tree at a git revision has them, with the same errors: 24 rendered apps (one whose
    /// kustomization names a file that is not there) between plain files.
    /// </summary>
    [Fact]
    public void Renders_started_ahead_come_out_where_a_sequential_read_has_them()
    {
        using var repo = new GitRepo();
        for (int i = 0; i < 24; i++)
        {
            repo.Write($"apps/app-{i:00}/base/cm.yaml", $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\n");
            repo.Write($"apps/app-{i:00}/base/kustomization.yaml", i == 13 ? "resources: [cm.yaml, missing.yaml]\n" : "resources: [cm.yaml]\n");
            repo.Write($"apps/app-{i:00}/prod/kustomization.yaml", $"resources: [../base]\nnamePrefix: prod-\nnamespace: ns-{i % 3}\n");
            for (int k = 0; k < 15; k++)
            {
                repo.Write($"apps/app-{i:00}/plain/s{k:00}.yaml", $"apiVersion: v1\nkind: Service\nmetadata: {{name: s-{i}-{k}}}\n");
            }
        }
        repo.Commit("rendered apps between plain files");
        var options = new GitOpsSec.Manifests.ManifestLoadOptions { ResolveApplications = false };
        var (disk, diskHost) = Scan.Load(repo.Path, options: options);
        var (revision, revisionHost) = Scan.Load(repo.Path, "HEAD", options);
        Assert.Equal(revision.Select(o => (o.Path, o.Line, o.Kind, o.Name, o.RenderedFrom)), disk.Select(o => (o.Path, o.Line, o.Kind, o.Name, o.RenderedFrom)));
        Assert.Equal(23, disk.Count(o => o.RenderedFrom is not null && (o.Name?.StartsWith("prod-cm-", StringComparison.Ordinal) ?? false)));
        Assert.Equal(24 * 15, disk.Count(o => o.Kind == "Service"));
        Assert.Equal(revisionHost.Errors.Select(e => (e.ErrorId, e.Target)), diskHost.Errors.Select(e => (e.ErrorId, e.Target)));
        Assert.Contains(diskHost.Errors, e => e.Target!.Contains("app-13", StringComparison.Ordinal));
    }

    /// <summary>A host that records errors in one list with the findings the test adds as it enumerates them.</summary>
    private sealed class Recording : GitOpsSec.Diagnostics.IScanHost
    {
        public List<string> Events { get; } = new();
        public CancellationToken Cancellation => CancellationToken.None;
        public void Error(GitOpsSec.Diagnostics.ScanError error) => Events.Add($"error {error.ErrorId} {error.Target} {error.Line}");
        public void Warning(string message) => Events.Add("warning " + message);
        public void Verbose(string message) { }
        public void Progress(string activity, string status, int percentComplete) { }
    }

    private static string Show(GitOpsSec.Finding f) => $"finding {f.RuleId} {f.Path}:{f.Line} {f.Message} {f.SuppressedBy}";

    /// <summary>
    /// Checked on the thread pool a batch at a time (8, 16, 32, 64, 128 objects), the findings and the errors come out
    /// interleaved exactly as checking one object at a time gives them, and the repository rules see the same objects.
    /// </summary>
    [Fact]
    public void Checking_batches_on_the_thread_pool_gives_the_findings_and_errors_of_one_object_at_a_time()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 300; i++)
        {
            string annotation = i % 9 == 0 ? "\n  annotations:\n    gitopssec.io/suppress.privileged-container: \"\"" : i % 9 == 1 ? "\n  annotations:\n    gitopssec.io/suppress.privileged-container: lab cluster" : string.Empty;
            dir.Write($"apps/app-{i:000}.yaml",
                $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: ns-{i % 4}{annotation}\nspec:\n  template:\n    spec:\n      containers:\n" +
                $"        - name: c\n          image: nginx:{(i % 3 == 0 ? "latest" : "1.27")}\n          securityContext: {{privileged: {(i % 2 == 0 ? "true" : "false")}}}\n");
        }
        foreach (string path in new[] { dir.Path, Path.Combine(TestPaths.RepoRoot, "examples", "insecure-repo") })
        {
            var (objects, _) = Scan.Load(path);
            var oneHost = new Recording();
            var one = new GitOpsSec.Rules.ManifestAnalyzer(new GitOpsSec.Rules.RuleSelection(), oneHost);
            foreach (ManifestObject obj in objects)
            {
                foreach (GitOpsSec.Finding f in one.Analyze(obj))
                {
                    oneHost.Events.Add(Show(f));
                }
            }
            var streamHost = new Recording();
            var stream = new GitOpsSec.Rules.ManifestAnalyzer(new GitOpsSec.Rules.RuleSelection(), streamHost);
            foreach (var (_, findings) in stream.AnalyzeStream(objects))
            {
                foreach (GitOpsSec.Finding f in findings)
                {
                    streamHost.Events.Add(Show(f));
                }
            }
            Assert.Contains(oneHost.Events, e => e.StartsWith("finding", StringComparison.Ordinal));
            Assert.Equal(oneHost.Events, streamHost.Events);
            if (path == dir.Path)
            {
                Assert.Contains(streamHost.Events, e => e.Contains(GitOpsSec.Diagnostics.ErrorIds.SuppressionWithoutReason, StringComparison.Ordinal));
                Assert.Contains(streamHost.Events, e => e.StartsWith("finding", StringComparison.Ordinal) && e.EndsWith("Annotation", StringComparison.Ordinal));
            }
            Assert.Equal(one.AnalyzeRepository().Select(f => f.Fingerprint), stream.AnalyzeRepository().Select(f => f.Fingerprint));
        }
    }

    /// <summary>
    /// The first findings come out while the source has handed over only the first few batches (at most one more than the
    /// batches in flight), not after the whole stream was read; and a consumer that stops early stops the reading.
    /// </summary>
    [Fact]
    public void Findings_come_out_before_the_stream_is_read_and_stopping_early_stops_reading()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 40; i++)
        {
            dir.Write($"p{i:00}.yaml", $"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: a}}\nspec:\n  containers: [{{name: c, image: \"nginx:1\", securityContext: {{privileged: true}}}}]\n");
        }
        var (objects, _) = Scan.Load(dir.Path);
        var analyzer = new GitOpsSec.Rules.ManifestAnalyzer(new GitOpsSec.Rules.RuleSelection(), new GitOpsSec.Diagnostics.CollectingHost());
        int pulled = 0;
        IEnumerable<ManifestObject> Source()
        {
            for (int k = 0; k < 5000; k++)
            {
                pulled++;
                yield return objects[k % objects.Count];
            }
        }
        int bound = 0, size = GitOpsSec.Rules.ManifestAnalyzer.FirstBatch;
        for (int b = 0; b <= Environment.ProcessorCount; b++)
        {
            bound += size;
            size = Math.Min(2 * size, GitOpsSec.Rules.ManifestAnalyzer.LastBatch);
        }
        int seen = 0;
        foreach (var (_, findings) in analyzer.AnalyzeStream(Source()))
        {
            Assert.NotEmpty(findings);
            if (++seen == 1)
            {
                Assert.InRange(pulled, GitOpsSec.Rules.ManifestAnalyzer.FirstBatch, bound);
            }
            if (seen == 100)
            {
                break;
            }
        }
        // Stopped after 100 objects: the source was read no further than the batches in flight.
        Assert.InRange(pulled, 100, 100 + (Environment.ProcessorCount + 1) * GitOpsSec.Rules.ManifestAnalyzer.LastBatch);
    }
}
