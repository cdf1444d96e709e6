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

    /// <summary>
    /// Redaction skips a text (no scan, no cache entry) only when the scanner finds nothing in it: over every corpus
    /// file and each of its lines (the short pieces redaction is given), a text SecretScanner.CannotFind passes has no
    /// hit, every true-positive file is scanned, and what redaction returns holds none of the secrets the scan found.
    /// </summary>
    [Fact]
    public void Redaction_skips_only_texts_the_scanner_finds_nothing_in()
    {
        int skipped = 0, scanned = 0, hidden = 0;
        // Besides the corpus: Secret documents whose values no keyword announces (the Kubernetes pass finds them).
        string[] documents =
        {
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {x: q8Kz2PmL0vR7nW3tY6bJ}\n",
            "{\"kind\": \"Secret\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"db\"}, \"data\": {\"x\": \"cTh/S3oyUG1MMHZSN25XM3RZNmJK\"}}",
        };
        foreach (string document in documents)
        {
            Assert.NotEmpty(SecretScanner.Default.Scan(document));
            Assert.False(SecretScanner.Default.CannotFind(document));
        }
        foreach (string file in Directory.GetFiles(Corpus, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            string text = File.ReadAllText(file);
            if (Path.GetFileName(file).StartsWith("tp-", StringComparison.Ordinal))
            {
                Assert.False(SecretScanner.Default.CannotFind(text, Path.GetFileName(file)), file);
            }
            foreach (string piece in text.Split('\n').Where(l => l.Length is > 0 and <= 256).Append(text))
            {
                IReadOnlyList<SecretHit> hits = SecretScanner.Default.Scan(piece);
                if (SecretScanner.Default.CannotFind(piece))
                {
                    Assert.True(hits.Count == 0, $"{file}: skipped a text with {string.Join(", ", hits.Select(h => h.Detector.Id))}");
                    skipped++;
                    continue;
                }
                scanned++;
                string redacted = SecretText.RedactIn(piece);
                foreach (SecretHit hit in hits.Where(h => h.Secret.Length >= 8))
                {
                    Assert.DoesNotContain(hit.Secret, redacted, StringComparison.Ordinal);
                    hidden++;
                }
            }
        }
        Assert.True(skipped > 1000 && scanned > 1000 && hidden > 500, $"{skipped} skipped, {scanned} scanned, {hidden} secrets hidden");
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
