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

    [Fact]
    public void Checking_a_batch_on_all_cores_gives_the_findings_and_errors_of_one_object_at_a_time()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 120; i++)
        {
            string annotation = i % 9 == 0 ? "\n  annotations:\n    gitopssec.io/suppress.privileged-container: \"\"" : i % 9 == 1 ? "\n  annotations:\n    gitopssec.io/suppress.privileged-container: lab cluster" : string.Empty;
            dir.Write($"apps/app-{i:000}.yaml",
                $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: ns-{i % 4}{annotation}\nspec:\n  template:\n    spec:\n      containers:\n" +
                $"        - name: c\n          image: nginx:{(i % 3 == 0 ? "latest" : "1.27")}\n          securityContext: {{privileged: {(i % 2 == 0 ? "true" : "false")}}}\n");
        }
        foreach (string path in new[] { dir.Path, Path.Combine(TestPaths.RepoRoot, "examples", "insecure-repo") })
        {
            var (objects, _) = Scan.Load(path);
            var oneHost = new GitOpsSec.Diagnostics.CollectingHost();
            var one = new GitOpsSec.Rules.ManifestAnalyzer(new GitOpsSec.Rules.RuleSelection(), oneHost);
            var sequential = objects.SelectMany(one.Analyze).Select(f => (f.RuleId, f.Path, f.Line, f.Message, f.SuppressedBy)).ToList();
            var batchHost = new GitOpsSec.Diagnostics.CollectingHost();
            var batch = new GitOpsSec.Rules.ManifestAnalyzer(new GitOpsSec.Rules.RuleSelection(), batchHost);
            var parallel = objects.Chunk(37).SelectMany(c => batch.AnalyzeEach(c)).SelectMany(x => x.Findings).Select(f => (f.RuleId, f.Path, f.Line, f.Message, f.SuppressedBy)).ToList();
            Assert.NotEmpty(sequential);
            Assert.Equal(sequential, parallel);
            Assert.Equal(oneHost.Errors.Select(e => (e.ErrorId, e.Target, e.Line)), batchHost.Errors.Select(e => (e.ErrorId, e.Target, e.Line)));
            if (path == dir.Path)
            {
                Assert.Contains(batchHost.Errors, e => e.ErrorId == GitOpsSec.Diagnostics.ErrorIds.SuppressionWithoutReason);
                Assert.Contains(parallel, f => f.SuppressedBy is not null);
            }
            Assert.Equal(one.AnalyzeRepository().Select(f => f.Fingerprint), batch.AnalyzeRepository().Select(f => f.Fingerprint));
        }
    }
}
