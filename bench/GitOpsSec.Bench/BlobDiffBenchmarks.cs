using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using GitOpsSec.Git;
using GitOpsSec.Secrets;
using LibGit2Sharp;

/// <summary>
/// The history scan's blob diffing, one commit or one file each: what a commit changed (the raw trees of a
/// commit touching one file deep under a 1,500-entry folder, from a real git repository made with git
/// fast-import), the lines a new version of a 2,000-line file adds to the old one, and the secret scan of only
/// those lines (with context) beside the scan of the whole new version.
/// Run: dotnet run -c Release --project bench/GitOpsSec.Bench -- --filter '*BlobDiff*'
/// </summary>
[MemoryDiagnoser]
public class BlobDiffBenchmarks
{
    private string _repoDir = null!;
    private Repository _repo = null!;
    private GitObjectReader _objects = null!;
    private ObjectId _commit = null!;
    private string _before = null!, _after = null!;
    private int[] _beforeStarts = null!, _afterStarts = null!;
    private List<(int Start, int Length)> _regions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _repoDir = Directory.CreateTempSubdirectory("gos-blobdiff-").FullName;
        Run("git", "init", "-q", "-b", "main", _repoDir);
        var script = new StringBuilder();
        void Commit(string message, IEnumerable<(string Path, string Text)> files)
        {
            script.Append($"commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata {message.Length}\n{message}\n");
            foreach (var (path, text) in files)
            {
                script.Append($"M 100644 inline {path}\ndata {Encoding.UTF8.GetByteCount(text)}\n{text}\n");
            }
            script.Append('\n');
        }
        Commit("wide", Enumerable.Range(0, 1500).Select(i => ($"charts/chart-{i}/values.yaml", $"replicas: {i}\n"))
            .Append(("clusters/prod/apps/shop/base/deployment.yaml", "replicas: 1\n")));
        Commit("bump", new[] { ("clusters/prod/apps/shop/base/deployment.yaml", "replicas: 2\n"), ("charts/chart-7/values.yaml", "replicas: 70\n") });
        var import = Process.Start(new ProcessStartInfo("git", "fast-import --quiet") { WorkingDirectory = _repoDir, RedirectStandardInput = true })!;
        import.StandardInput.Write(script.ToString());
        import.StandardInput.Close();
        import.WaitForExit();
        _repo = new Repository(_repoDir);
        _objects = new GitObjectReader(_repo);
        _commit = _repo.Head.Tip.Id;

        // A 2,000-line values file and its next version with 20 lines changed (a renovate-style bump), one a token.
        var lines = Enumerable.Range(0, 2000).Select(i => $"  setting{i}: value-{i * 7919 % 10007}").ToList();
        _before = string.Join('\n', lines) + "\n";
        for (int i = 50; i < 2000; i += 100)
        {
            lines[i] = $"  setting{i}: value-{i}-bumped";
        }
        lines[1250] = "  token: ghp_" + new string('a', 20) + "0123456789ABCDEFGHIJ";
        _after = string.Join('\n', lines) + "\n";
        _beforeStarts = SecretText.LineStarts(_before);
        _afterStarts = SecretText.LineStarts(_after);
        _regions = AddedText.Windows(AddedText.Lines(_before, _beforeStarts, _after, _afterStarts), _afterStarts.Length)
            .Select(w => (_afterStarts[w.From - 1], (w.To < _afterStarts.Length ? _afterStarts[w.To] : _after.Length) - _afterStarts[w.From - 1])).ToList();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _objects.Dispose();
        _repo.Dispose();
        Directory.Delete(_repoDir, recursive: true);
    }

    private static void Run(string file, params string[] args) => Process.Start(new ProcessStartInfo(file, args))!.WaitForExit();

    /// <summary>A fresh walker each time: every tree is read from the object database, none from the walker's cache.</summary>
    [Benchmark]
    public int TreeDiffOneCommitUnderAWideFolder() => new TreeDiff(_objects).Changes(_commit).Count;

    [Benchmark]
    public int AddedLinesOf2000LineFile() => AddedText.Lines(_before, _beforeStarts, _after, _afterStarts).Count;

    [Benchmark]
    public int SecretScanOfAddedLinesWithContext() => SecretScanner.Default.Scan(_after, "values.yaml", _regions).Count;

    [Benchmark(Baseline = true)]
    public int SecretScanOfWholeNewVersion() => SecretScanner.Default.Scan(_after, "values.yaml").Count;
}
