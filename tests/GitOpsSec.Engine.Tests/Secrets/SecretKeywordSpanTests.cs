using System.Text.RegularExpressions;
using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Secrets;

/// <summary>
/// Running a detector only around its keywords finds exactly what running it over the whole text finds:
/// .NET's own regex engine over the whole text is the oracle, on the provider corpus and on texts that put
/// the keywords at every distance from a token.
/// </summary>
public sealed class SecretKeywordSpanTests
{
    [Theory]
    [InlineData("[a-z0-9]{52}|[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}", 84)]
    [InlineData("(?<x>ab){2,3}c?", 7)]
    [InlineData(@"[\]a-]{3}\.x", 5)]
    [InlineData(@"(?i:sk-)[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}", 51)]
    [InlineData(@"\p{L}{4}", 4)]
    [InlineData("a+", null)]
    [InlineData("a*b", null)]
    [InlineData("x{2,}", null)]
    [InlineData(@"(?s:.{0,40}?)y", 41)]
    public void The_length_bound_is_the_longest_match_or_none(string pattern, int? bound)
    {
        Assert.Equal(bound, SecretDetectorCatalog.MaxLength(pattern));
    }

    [Fact]
    public void Every_spanned_detector_finds_around_its_keywords_what_it_finds_everywhere()
    {
        var texts = Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "tests", "data", "secrets", "corpus"), "*", SearchOption.AllDirectories)
            .Select(File.ReadAllText).ToList();
        // Keywords at every distance before and after a token-like value, on one line and across lines.
        var random = new Random(5);
        var spanned = SecretDetectorCatalog.Detectors.Where(d => d.KeywordSpan is not null).ToList();
        Assert.True(spanned.Count > 100, $"{spanned.Count} detectors run around their keywords");
        foreach (SecretDetector d in spanned.Take(60))
        {
            string keyword = d.Keywords[0];
            for (int gap = 0; gap < 90; gap += 7)
            {
                string value = string.Concat(Enumerable.Range(0, 90).Select(_ => "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"[random.Next(42)]));
                texts.Add($"x: 1\n{keyword.ToUpperInvariant()}_KEY{new string(' ', gap % 30)}:{(gap > 40 ? "\n  " : " ")}{value[..(10 + gap % 70)]}\n{keyword}{value}\n");
            }
        }
        int compared = 0;
        foreach (SecretDetector d in spanned)
        {
            var (lead, reach) = d.KeywordSpan!.Value;
            foreach (string text in texts)
            {
                var everywhere = d.Pattern!.Matches(text).Select(m => (m.Index, m.Length)).ToList();
                var around = SecretScanner.AroundKeywords(text, new[] { (0, text.Length) }, d.Keywords, lead, reach)
                    .SelectMany(w => Matches(d.Pattern!, text, w.Start, w.Length)).Distinct().ToList();
                Assert.True(everywhere.SequenceEqual(around), $"{d.Id} {d.Name}: {everywhere.Count} match(es) everywhere, {around.Count} around the keywords in:\n{text[..Math.Min(300, text.Length)]}");
                compared += everywhere.Count;
            }
        }
        Assert.True(compared > 200, $"only {compared} matches compared");
    }

    private static IEnumerable<(int, int)> Matches(Regex regex, string text, int start, int length)
    {
        for (Match m = regex.Match(text, start, length); m.Success; m = m.NextMatch())
        {
            yield return (m.Index, m.Length);
        }
    }
}
