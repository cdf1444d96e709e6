using BenchmarkDotNet.Attributes;
using GitOpsSec.Cel;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;
using GitOpsSec.Secrets;

/// <summary>
/// The hot paths of a repository scan, one operation each, in memory (no disk): the YAML reader with line numbers,
/// every rule over one workload, the secret scanner on a file without and with keywords and on the short texts redaction
/// asks about, and a CEL admission
/// expression. Each reports bytes per operation, so throughput (MB/s) can be set beside the disk's read speed.
/// Run: dotnet run -c Release --project bench/GitOpsSec.Bench -- --filter '*HotPath*'
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private string _yaml = null!;
    private ManifestObject _deployment = null!;
    private ManifestAnalyzer _analyzer = null!;
    private string _plainFile = null!;
    private string _keywordFile = null!;
    private string[] _shortTexts = null!;
    private CelProgram _cel = null!;
    private Dictionary<string, object?> _celVars = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "GitOpsSec.sln")))
        {
            dir = dir.Parent ?? throw new InvalidOperationException("run from the repository");
        }
        string deployment = File.ReadAllText(Path.Combine(dir.FullName, "examples/insecure-repo/apps/payments/base/deployment.yaml"));
        // 100 documents, about 100 KB: a large manifest file.
        _yaml = string.Join("---\n", Enumerable.Range(0, 100).Select(i => deployment.Replace("name: payments-api", $"name: app-{i}")));
        var host = new CollectingHost();
        using (IManifestTree tree = ManifestSource.Open(Path.Combine(dir.FullName, "examples/insecure-repo/apps/payments/base/deployment.yaml"), null, host)!)
        {
            _deployment = new ManifestLoader(new ManifestLoadOptions { RenderKustomize = false, ResolveApplications = false }, host)
                .Load(tree).First(o => o.Kind == "Deployment");
        }
        _analyzer = new ManifestAnalyzer(new RuleSelection(), host);
        // 64 KB of configuration text with no secret keyword, and the same with keywords and a fake token.
        _plainFile = string.Concat(Enumerable.Repeat("replicas: 3\nimage: registry.example.com/app:1.2.3\nlogLevel: info\n", 1000));
        _keywordFile = _plainFile + "password: correct-horse\napi_key: " + new string('x', 12) + "\nAKIAABCDEFGHIJKLMNOP\n";
        // What redaction asks about for each finding of a monorepo: names, images, fields and evidence, each unique.
        _shortTexts = Enumerable.Range(0, 1000).SelectMany(i => new[]
        {
            $"app-{i:00000}", $"registry.example.com/ns-{i % 200:000}/app-{i:00000}:1.{i % 7}.0", "securityContext.privileged",
            $"image: registry.example.com/ns-{i % 200:000}/app-{i:00000}:1.{i % 7}.0 with imagePullPolicy IfNotPresent (default)",
        }).ToArray();
        _cel = CelProgram.Compile("object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && c.image.startsWith('registry.example.com/'))",
            new[] { "object" });
        _celVars = new Dictionary<string, object?> { ["object"] = GitOpsSec.Admission.AdmissionContext.CelValueOf(_deployment.Node, 0) };
    }

    [Benchmark]
    public int YamlReadWithLineNumbers() => YamlDocumentReader.Read(_yaml, "bench.yaml", LoadLimits.Default, _ => { }).Count();

    [Benchmark]
    public int EveryRuleOnOneDeployment() => _analyzer.Analyze(_deployment).Count();

    [Benchmark]
    public int SecretScanNoKeywords64KB() => SecretScanner.Default.Scan(_plainFile).Count;

    [Benchmark]
    public int SecretScanWithKeywords64KB() => SecretScanner.Default.Scan(_keywordFile).Count;

    /// <summary>4,000 short texts (names, images, evidence) scanned one by one, as redaction scans each unique one.</summary>
    [Benchmark]
    public int SecretScanShortTexts4000()
    {
        int hits = 0;
        foreach (string text in _shortTexts)
        {
            hits += SecretScanner.Default.Scan(text).Count;
        }
        return hits;
    }

    /// <summary>The same texts through redaction (SecretText.RedactIn), with its cache of pieces, made unique per run as a monorepo's names are.</summary>
    [Benchmark]
    public int RedactShortTexts4000()
    {
        int length = 0;
        string run = (++_run).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string text in _shortTexts)
        {
            length += SecretText.RedactIn(text + run).Length;
        }
        return length;
    }

    private int _run;

    [Benchmark]
    public object? CelValidationOnOneDeployment() => _cel.Evaluate(_celVars);
}
