using System.Text;
using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace GitOpsSec.Engine.Tests.Secrets;

/// <summary>
/// The labelled corpus (tests/data/secrets/corpus, written by make-corpus.py): tp-* files must be found
/// by the rule of their folder and by no other, fp-* files must produce nothing. Prints recall and
/// false-positive rate per provider.
/// </summary>
public sealed class SecretCorpusTests
{
    private readonly ITestOutputHelper _output;

    public SecretCorpusTests(ITestOutputHelper output) => _output = output;

    private static string Corpus => Path.Combine(TestPaths.RepoRoot, "tests", "data", "secrets", "corpus");

    [Fact]
    public void Corpus_has_full_recall_and_no_false_positives_per_provider()
    {
        var rows = new SortedDictionary<string, (int Tp, int Found, int Fp, int Flagged)>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (string dir in Directory.GetDirectories(Corpus).OrderBy(d => d, StringComparer.Ordinal))
        {
            string ruleId = Path.GetFileName(dir);
            SecretDetector detector = SecretDetectorCatalog.Detectors.Single(d => d.Id == ruleId);
            var row = rows.GetValueOrDefault(detector.Provider);
            foreach (string file in Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                var hits = SecretScanner.Default.Scan(File.ReadAllText(file), name);
                if (name.StartsWith("tp-", StringComparison.Ordinal))
                {
                    row.Tp++;
                    if (hits.Any(h => h.Detector.Id == ruleId) && hits.All(h => h.Detector.Id == ruleId))
                    {
                        row.Found++;
                    }
                    else
                    {
                        failures.Add($"missed {ruleId}/{name}: got [{string.Join(", ", hits.Select(h => h.Detector.Id + "@" + h.Line))}]");
                    }
                }
                else
                {
                    row.Fp++;
                    if (hits.Count > 0)
                    {
                        row.Flagged++;
                        failures.Add($"false positive {ruleId}/{name}: [{string.Join(", ", hits.Select(h => h.Detector.Id + "@" + h.Line + " " + h.Secret[..Math.Min(6, h.Secret.Length)]))}]");
                    }
                }
            }
            rows[detector.Provider] = row;
        }
        var table = new StringBuilder("| Provider | TP files | Recall | FP files | FP rate |\n|---|---:|---:|---:|---:|\n");
        foreach (var (provider, r) in rows)
        {
            table.Append($"| {provider} | {r.Tp} | {(r.Tp == 0 ? "-" : $"{100.0 * r.Found / r.Tp:0}%")} | {r.Fp} | {(r.Fp == 0 ? "-" : $"{100.0 * r.Flagged / r.Fp:0}%")} |\n");
        }
        int tp = rows.Values.Sum(r => r.Tp), found = rows.Values.Sum(r => r.Found), fp = rows.Values.Sum(r => r.Fp), flagged = rows.Values.Sum(r => r.Flagged);
        double recall = (double)found / tp, fpRate = (double)flagged / fp;
        table.Append($"| **all {rows.Count} providers** | {tp} | {100 * recall:0.0}% | {fp} | {100 * fpRate:0.0}% |\n");
        _output.WriteLine(table.ToString());
        _output.WriteLine(string.Join("\n", failures));
        Assert.True(tp >= 900 && fp >= 600, $"the corpus shrank: {tp} true and {fp} false inputs");
        Assert.True(recall >= 0.95, $"recall {recall:0.000} < 0.95:\n" + string.Join("\n", failures));
        Assert.True(fpRate <= 0.03, $"false-positive rate {fpRate:0.000} > 0.03:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Every_provider_the_catalog_names_has_corpus_inputs_and_there_are_at_least_180()
    {
        var providers = SecretDetectorCatalog.Detectors.Select(d => d.Provider).Distinct().ToList();
        Assert.True(providers.Count >= 180, $"{providers.Count} providers");
        var covered = Directory.GetDirectories(Corpus).Select(Path.GetFileName)
            .Select(id => SecretDetectorCatalog.Detectors.Single(d => d.Id == id).Provider).ToHashSet();
        Assert.Empty(providers.Where(p => !covered.Contains(p)));
    }

    [Fact]
    public void Every_pattern_detector_has_corpus_cases_both_ways_and_a_secret_group()
    {
        foreach (SecretDetector d in SecretDetectorCatalog.Detectors)
        {
            string dir = Path.Combine(Corpus, d.Id);
            Assert.True(Directory.GetFiles(dir, "tp-*").Length > 0, $"{d.Id} has no true-positive case");
            Assert.True(Directory.GetFiles(dir, "fp-*").Length > 0, $"{d.Id} has no false-positive case");
            if (d.PatternText is { Length: > 0 })
            {
                // Patterns are built lazily at scan time; every one must compile and name its secret.
                Assert.Contains("secret", d.Pattern!.GetGroupNames());
            }
        }
    }
}
