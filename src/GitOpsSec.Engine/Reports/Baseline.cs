using System.Text.Json;
using GitOpsSec.Diagnostics;

namespace GitOpsSec.Reports;

/// <summary>
/// Fingerprints of accepted findings, so that only new ones fail a build. Fingerprints are rule +
/// object identity + field path (no line numbers), so moving or reformatting YAML keeps them.
/// </summary>
public sealed class Baseline
{
    private readonly HashSet<string> _fingerprints;

    private Baseline(HashSet<string> fingerprints, string? keyId)
    {
        _fingerprints = fingerprints;
        FingerprintKeyId = keyId;
    }

    /// <summary>The id of the key secret fingerprints were made with (<see cref="Secrets.SecretDigest.KeyId"/>), null in older baselines.</summary>
    public string? FingerprintKeyId { get; }

    /// <summary>A warning when the baseline's secret fingerprints were made under another key than this machine's, else null.</summary>
    public string? KeyMismatch(string path) =>
        FingerprintKeyId is not null && FingerprintKeyId != Secrets.SecretDigest.KeyId
            ? $"The baseline '{path}' was made with fingerprint key {FingerprintKeyId}; this machine's is {Secrets.SecretDigest.KeyId} ({Secrets.SecretDigest.KeySource}), " +
              $"so its secret findings will not match. Set ${Secrets.SecretDigest.KeyVariable} to the same value on every machine that shares baselines."
            : null;

    public int Count => _fingerprints.Count;

    public bool Contains(Finding finding) => _fingerprints.Contains(finding.Fingerprint);

    public bool Contains(string fingerprint) => _fingerprints.Contains(fingerprint);

    public Finding Apply(Finding finding) => Contains(finding) ? finding with { Baselined = true } : finding;

    public static string Write(IEnumerable<Finding> findings)
    {
        var entries = findings.Where(f => !f.Suppressed)
            .GroupBy(f => f.Fingerprint).Select(g => g.First())
            .OrderBy(f => f.RuleId, StringComparer.Ordinal).ThenBy(f => f.Fingerprint, StringComparer.Ordinal)
            .Select(f => new Dictionary<string, object?>
            {
                ["fingerprint"] = f.Fingerprint, ["ruleId"] = f.RuleId, ["resource"] = f.Resource?.ToString(), ["path"] = f.Path,
            });
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["tool"] = "GitOpsSec",
            ["version"] = 1,
            ["fingerprintKey"] = Secrets.SecretDigest.KeyId,
            ["findings"] = entries.ToList(),
        }, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Reads a baseline file; InvalidBaseline (with the reason) when it is not one.</summary>
    public static Baseline Load(string path)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(GitOpsSec.Diagnostics.SafeFile.ReadAllText(path));
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonElement e in doc.RootElement.GetProperty("findings").EnumerateArray())
            {
                set.Add(e.GetProperty("fingerprint").GetString() ?? throw new FormatException("a fingerprint is null"));
            }
            string? keyId = doc.RootElement.TryGetProperty("fingerprintKey", out JsonElement k) ? k.GetString() : null;
            return new Baseline(set, keyId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or
                                      InvalidOperationException or FormatException)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Baseline.Invalid", ScanErrorCategory.InvalidData,
                $"'{path}' is not a GitOpsSec baseline ({e.Message}). Make one with Export-GitOpsBaseline.", path, e);
        }
    }
}

/// <summary>What a repository scan found, by severity and category, and whether it passes the -FailOn policy.</summary>
/// <summary>Open findings of one deployment unit per severity; a finding whose object several units deploy counts for each.</summary>
public sealed record ApplicationCounts(string Application, int Critical, int High, int Medium, int Low, int Info)
{
    /// <summary>The row of findings no unit deploys (or that are not about an object: history, commits).</summary>
    public const string NoUnit = "(none)";

    public int Total => Critical + High + Medium + Low + Info;

    public static IReadOnlyList<ApplicationCounts> From(IEnumerable<Finding> findings) =>
        Order(findings.Where(f => f.IsOpen)
            .SelectMany(f => (f.Applications.Length > 0 ? f.Applications : new[] { NoUnit }).Select(a => (Application: a, f.Severity)))
            .GroupBy(x => x.Application)
            .Select(g => new ApplicationCounts(g.Key, g.Count(x => x.Severity == Severity.Critical), g.Count(x => x.Severity == Severity.High),
                g.Count(x => x.Severity == Severity.Medium), g.Count(x => x.Severity == Severity.Low), g.Count(x => x.Severity == Severity.Info))));

    /// <summary>Worst first: most critical, then high, then medium, then most findings; ties by name.</summary>
    internal static IReadOnlyList<ApplicationCounts> Order(IEnumerable<ApplicationCounts> rows) =>
        rows.OrderByDescending(a => a.Critical).ThenByDescending(a => a.High).ThenByDescending(a => a.Medium).ThenByDescending(a => a.Total)
            .ThenBy(a => a.Application, StringComparer.Ordinal)
            .ToList();

    public override string ToString() => $"{Application}: {Critical} critical, {High} high, {Medium} medium, {Low} low, {Info} info";
}

public sealed class RepoSummary
{
    public required int Total { get; init; }
    public required int Open { get; init; }
    public required int Suppressed { get; init; }
    public required int Baselined { get; init; }

    /// <summary>Of the suppressed: those the configuration suppressed (exclude), not an annotation or comment.</summary>
    public required int SuppressedByConfig { get; init; }

    /// <summary>Findings whose severity a rules.severity override of the configuration lowered.</summary>
    public required int Downgraded { get; init; }

    /// <summary>Rules the configuration switched off (rules.disabled): they did not run, so their findings are unknown.</summary>
    public IReadOnlyList<string> DisabledRules { get; init; } = Array.Empty<string>();
    public required IReadOnlyDictionary<string, int> OpenBySeverity { get; init; }
    public required IReadOnlyDictionary<string, int> OpenByCategory { get; init; }
    public Severity? FailOn { get; init; }
    public required int Failing { get; init; }

    /// <summary>Open findings per deployment unit (Application/argocd/guestbook, Kustomization/flux-system/apps, or (none)), worst first.</summary>
    public IReadOnlyList<ApplicationCounts> ByApplication { get; init; } = Array.Empty<ApplicationCounts>();

    /// <summary>What was scanned: manifest objects plus files read by the secret scan. Nothing scanned is never a pass.</summary>
    public int Scanned { get; init; } = -1;

    /// <summary>The policy failed: findings at or above FailOn, or a FailOn policy and nothing scanned (fail closed).</summary>
    public bool PolicyFailed => Failing > 0 || (FailOn is not null && Scanned == 0);

    /// <summary>Passed only when there was something to scan and a -FailOn policy that it meets.</summary>
    public bool Passed => Verdict == "Passed";

    /// <summary>
    /// NotScanned (nothing to scan, or the path could not be read), Failed (the -FailOn policy is not met),
    /// NoPolicy (no -FailOn and no failOn: no verdict can be given) or Passed.
    /// </summary>
    public string Verdict => Scanned == 0 ? "NotScanned" : Failing > 0 ? "Failed" : FailOn is null ? "NoPolicy" : "Passed";

    /// <summary>Open findings per severity as one line, for the default table view: "Critical 7, High 36".</summary>
    public string BySeverity => string.Join(", ", OpenBySeverity.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value}")) is { Length: > 0 } s ? s : "none";

    public static RepoSummary From(IReadOnlyList<Finding> findings, Severity? failOn, IReadOnlyList<string>? disabledRules = null, int scanned = -1)
    {
        var tally = new Tally();
        foreach (Finding f in findings)
        {
            tally.Add(f);
        }
        return tally.ToSummary(failOn, disabledRules, scanned);
    }

    /// <summary>
    /// The counts of a summary, kept as findings stream by, so that a scan of any size summarises without keeping
    /// its findings: a few integers per severity, category and deployment unit.
    /// </summary>
    public sealed class Tally
    {
        private static readonly Severity[] Severities = { Severity.Critical, Severity.High, Severity.Medium, Severity.Low, Severity.Info };
        private int _total, _open, _suppressed, _baselined, _suppressedByConfig, _downgraded;
        private readonly int[] _openBySeverity = new int[Severities.Length];
        private readonly Dictionary<string, int> _openByCategory = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int[]> _openByApplication = new(StringComparer.Ordinal);

        public void Add(Finding f)
        {
            _total++;
            _suppressed += f.Suppressed ? 1 : 0;
            _baselined += f.Baselined && !f.Suppressed ? 1 : 0;
            _suppressedByConfig += f.Suppressed && f.SuppressedBy == "Config" ? 1 : 0;
            _downgraded += f.OriginalSeverity is Severity before && f.Severity < before ? 1 : 0;
            if (!f.IsOpen)
            {
                return;
            }
            _open++;
            int severity = Array.IndexOf(Severities, f.Severity);
            _openBySeverity[severity]++;
            _openByCategory[f.Category] = _openByCategory.GetValueOrDefault(f.Category) + 1;
            foreach (string application in f.Applications.Length > 0 ? f.Applications : new[] { ApplicationCounts.NoUnit })
            {
                if (!_openByApplication.TryGetValue(application, out int[]? counts))
                {
                    _openByApplication[application] = counts = new int[Severities.Length];
                }
                counts[severity]++;
            }
        }

        public RepoSummary ToSummary(Severity? failOn, IReadOnlyList<string>? disabledRules = null, int scanned = -1) => new()
        {
            Total = _total,
            Open = _open,
            Suppressed = _suppressed,
            Baselined = _baselined,
            SuppressedByConfig = _suppressedByConfig,
            Downgraded = _downgraded,
            DisabledRules = disabledRules ?? Array.Empty<string>(),
            OpenBySeverity = Enumerable.Range(0, Severities.Length).ToDictionary(i => Severities[i].ToString(), i => _openBySeverity[i]),
            OpenByCategory = _openByCategory.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
            FailOn = failOn,
            Failing = failOn is Severity threshold ? Enumerable.Range(0, Severities.Length).Where(i => Severities[i] >= threshold).Sum(i => _openBySeverity[i]) : 0,
            Scanned = scanned,
            ByApplication = ApplicationCounts.Order(_openByApplication.Select(p => new ApplicationCounts(p.Key, p.Value[0], p.Value[1], p.Value[2], p.Value[3], p.Value[4]))),
        };
    }

    public override string ToString() =>
        $"{Verdict}: {Open} open ({string.Join(", ", OpenBySeverity.Where(p => p.Value > 0).Select(p => $"{p.Value} {p.Key}"))}), {Suppressed} suppressed" +
        (SuppressedByConfig > 0 ? $" ({SuppressedByConfig} by configuration)" : string.Empty) + $", {Baselined} baselined" +
        (Downgraded > 0 ? $", {Downgraded} downgraded by configuration" : string.Empty) +
        (DisabledRules.Count > 0 ? $", rules disabled by configuration: {string.Join(", ", DisabledRules)}" : string.Empty);
}
