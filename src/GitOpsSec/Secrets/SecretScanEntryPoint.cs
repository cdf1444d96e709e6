using System.Text.Json;
using System.Text.Json.Serialization;
using GitOpsSec.Diagnostics;
using GitOpsSec.Reports;
using GitOpsSec.Secrets;

namespace GitOpsSec.Commands.Secrets;

/// <summary>
/// `gitopssec secrets`: the secret scan without starting PowerShell, for git hooks and CI steps where
/// process start time matters. Same engine, options and findings as Find-GitOpsSecret; the host loads
/// this class from the module (so the module's isolated dependencies are used) and calls <see cref="Run"/>.
/// Touches no System.Management.Automation type.
/// </summary>
public static class SecretScanEntryPoint
{
    public const string Usage = """
        usage: gitopssec secrets [--staged | --history [--range A..B] [--revision REV] [--max-count N]]
                                 [--json] [--fail-on Info|Low|Medium|High|Critical] [--min-confidence Low|Medium|High]
                                 [--baseline FILE] [--config FILE] [--max-file-size BYTES] [--show-secret] [--no-ignore] [PATH...]
        Scans files (default), the index (--staged) or the history (--history) for credentials, like
        Find-GitOpsSecret. Files git ignores are skipped unless --no-ignore. Prints one line per finding
        (or JSON lines with --json); errors go to stderr.
        Exit codes: 0 nothing open at or above --fail-on, 1 errors, 2 bad usage, 3 --fail-on failed.
        """;

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var paths = new List<string>();
        bool staged = false, history = false, json = false, show = false, noIgnore = false;
        string? range = null, revision = null, baselineFile = null, configFile = null;
        int? maxCount = null;
        Severity? failOn = null;
        var minConfidence = SecretConfidence.Low;
        long maxFileSize = SecretScanOptions.DefaultMaxFileSize;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--staged": staged = true; break;
                    case "--history": history = true; break;
                    case "--json": json = true; break;
                    case "--show-secret": show = true; break;
                    case "--no-ignore": noIgnore = true; break;
                    case "--range": range = Value(); break;
                    case "--revision": revision = Value(); break;
                    case "--max-count": maxCount = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--baseline": baselineFile = Value(); break;
                    case "--config": configFile = Value(); break;
                    case "--max-file-size": maxFileSize = long.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--fail-on": failOn = Enum.Parse<Severity>(Value(), ignoreCase: true); break;
                    case "--min-confidence": minConfidence = Enum.Parse<SecretConfidence>(Value(), ignoreCase: true); break;
                    case "-h" or "--help": stdout.WriteLine(Usage); return 0;
                    default:
                        if (args[i].StartsWith("--", StringComparison.Ordinal))
                        {
                            throw new ArgumentException($"unknown option {args[i]}");
                        }
                        paths.Add(args[i]);
                        break;
                }
            }
            if (staged && history)
            {
                throw new ArgumentException("--staged and --history exclude each other");
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            stderr.WriteLine("gitopssec secrets: " + e.Message);
            stderr.WriteLine(Usage);
            return 2;
        }
        if (paths.Count == 0)
        {
            paths.Add(".");
        }

        var host = new StreamHost(stderr);
        GitOpsConfig config;
        Baseline? baseline;
        try
        {
            config = configFile is not null ? GitOpsConfig.Load(configFile, confined: false) : GitOpsConfig.ForPath(paths[0], repositoryRoot: staged || history);
            baseline = config.LoadBaseline(baselineFile);
            if (baseline?.KeyMismatch(baselineFile ?? config.BaselinePath ?? string.Empty) is string mismatch)
            {
                stderr.WriteLine("warning: " + mismatch);
            }
        }
        catch (GitOpsSecOperationException e)
        {
            stderr.WriteLine(e.ToScanError().ToString());
            return 2;
        }
        var options = new SecretScanOptions
        {
            Scanner = SecretScanner.For(config.Selection(null, null)),
            ShowSecret = show,
            MinConfidence = minConfidence,
            MaxFileSize = maxFileSize,
            Config = config,
            Baseline = baseline,
            NoIgnore = noIgnore,
        };
        var stats = new SecretScanStatistics();
        IEnumerable<SecretFinding> findings = staged ? SecretSearch.ScanIndex(paths[0], options, host, stats)
            : history ? SecretSearch.ScanHistory(paths[0], new HistoryOptions { Range = range, Revision = revision, MaxCount = maxCount }, options, host, stats)
            : SecretSearch.ScanPaths(paths, options, host, stats);
        int failing = 0;
        foreach (SecretFinding f in findings.Where(f => !f.Suppressed))
        {
            if (f.IsOpen && failOn is Severity threshold && f.Severity >= threshold)
            {
                failing++;
            }
            stdout.WriteLine(json ? JsonSerializer.Serialize(f, Json)
                : $"{f.Severity,-8} {f.RuleId} {f.Location}{(f.Commit is null ? string.Empty : " @" + f.Commit[..12])} {f.Redacted}{(f.Baselined ? " (baselined)" : string.Empty)}  {f.Message}");
        }
        if (failing > 0)
        {
            stderr.WriteLine($"gitopssec secrets: {failing} open secret finding(s) at or above {failOn} ({stats}). Remove them and revoke the credentials, or mark a false positive with a gitopssec:allow comment.");
            return 3;
        }
        return host.Errors > 0 ? 1 : 0;
    }

    private sealed class StreamHost : IScanHost
    {
        private readonly TextWriter _stderr;

        public StreamHost(TextWriter stderr) => _stderr = stderr;

        public int Errors { get; private set; }
        public CancellationToken Cancellation => CancellationToken.None;

        public void Error(ScanError error)
        {
            Errors++;
            _stderr.WriteLine("ERROR: " + error);
        }

        public void Warning(string message) => _stderr.WriteLine("WARNING: " + message);
        public void Verbose(string message) { }
        public void Progress(string activity, string status, int percentComplete) { }
    }
}
