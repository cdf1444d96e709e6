using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using GitOpsSec;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;

if (args.Length == 2 && args[0] == "--drift")
{
    await DriftBench.RunAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args.Length == 3 && args[0] == "--signed-history")
{
    SignedHistory.Create(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args.Length == 2 && args[0] == "--parse-floor")
{
    ParseFloor.Run(args[1]);
    return;
}

if (args.Length > 0 && args[0] == "--phases")
{
    // Quick phase timing without BenchmarkDotNet, for finding where time goes.
    var rbac = new RbacBenchmarks();
    rbac.Setup();
    var watch = System.Diagnostics.Stopwatch.StartNew();
    GitOpsSec.Rbac.RbacModel model = GitOpsSec.Rbac.RbacModel.Build(rbac.Objects, new CollectingHost());
    Console.WriteLine($"model: {watch.ElapsedMilliseconds} ms, {model.Roles.Count} roles, {model.Bindings.Count} bindings");
    for (int depth = 0; depth <= 2; depth++)
    {
        watch.Restart();
        int rows = new GitOpsSec.Rbac.RbacExposureAnalyzer(model, new GitOpsSec.Rbac.RbacExposureOptions { MaxDepth = depth }).Analyze().Count;
        Console.WriteLine($"  depth {depth}: {watch.ElapsedMilliseconds} ms, {rows} rows");
    }
    watch.Restart();
    var exposures = new GitOpsSec.Rbac.RbacExposureAnalyzer(model).Analyze();
    Console.WriteLine($"exposures: {watch.ElapsedMilliseconds} ms, {exposures.Count} rows, {exposures.Count(e => e.Via != "Direct")} derived, GC {GC.GetTotalAllocatedBytes() / 1_000_000} MB allocated");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(ManifestScanBenchmarks).Assembly).Run(args);

/// <summary>
/// Engine throughput: loading and checking the bundled examples (with and without kustomize
/// rendering, which spawns kubectl) and a generated folder of 2,000 workloads.
/// Run: dotnet run -c Release --project bench/GitOpsSec.Bench -- --filter '*'
/// </summary>
[MemoryDiagnoser]
public class ManifestScanBenchmarks
{
    private string _repoRoot = null!;
    private string _synthetic = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "GitOpsSec.sln")))
        {
            dir = dir.Parent ?? throw new InvalidOperationException("run from the repository");
        }
        _repoRoot = dir.FullName;
        _synthetic = Path.Combine(Path.GetTempPath(), "gitopssec-bench-2000");
        if (!Directory.Exists(_synthetic))
        {
            Directory.CreateDirectory(_synthetic);
            string template = File.ReadAllText(Path.Combine(_repoRoot, "examples/insecure-repo/apps/payments/base/deployment.yaml"));
            for (int i = 0; i < 2000; i++)
            {
                string ns = $"team-{i % 50}";
                Directory.CreateDirectory(Path.Combine(_synthetic, ns));
                File.WriteAllText(Path.Combine(_synthetic, ns, $"app-{i}.yaml"),
                    template.Replace("name: payments-api", $"name: app-{i}\n  namespace: {ns}"));
            }
        }
    }

    private static int Scan(string path, bool render)
    {
        var host = new CollectingHost();
        using IManifestTree tree = ManifestSource.Open(path, null, host)!;
        var analyzer = new ManifestAnalyzer(new RuleSelection(), host);
        int findings = 0;
        foreach (ManifestObject obj in new ManifestLoader(new ManifestLoadOptions { RenderKustomize = render }, host).Load(tree))
        {
            findings += analyzer.Analyze(obj).Count();
        }
        return findings;
    }

    [Benchmark]
    public int InsecureExampleRendered() => Scan(Path.Combine(_repoRoot, "examples/insecure-repo"), render: true);

    [Benchmark]
    public int InsecureExampleRaw() => Scan(Path.Combine(_repoRoot, "examples/insecure-repo"), render: false);

    [Benchmark]
    public int HardenedExampleRendered() => Scan(Path.Combine(_repoRoot, "examples/hardened-repo"), render: true);

    [Benchmark]
    public int Synthetic2000Workloads() => Scan(_synthetic, render: false);
}
