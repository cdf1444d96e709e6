using System.Diagnostics;
using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Kyverno;
using GitOpsSec.Reports;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Every pattern a repository author or user writes runs in bounded time: Kyverno wildcards, rule-name
/// wildcards, exclude globs, ticket patterns and JMESPath regex_match. Inputs are the classic catastrophic
/// cases for a backtracking engine (N = 1,000 took 7.8 s and 3,000 did not finish in 100 s before this change).
/// The bound asserted is generous (a hang, not a benchmark); the answers are checked against .NET's own
/// regular-expression semantics.
/// </summary>
public sealed class BoundedPatternTests
{
    private static void Bounded(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_Kyverno_wildcard_against_a_long_label_is_decided_without_backtracking()
    {
        using var dir = new TempDir();
        dir.Write("policy.yaml", "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate:\n        pattern: {metadata: {labels: {env: \"*-*-*-prod\"}}}\n");
        foreach (int n in new[] { 1_000, 3_000, 100_000 })
        {
            dir.Write("pod.yaml", $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    env: \"{new string('-', n)}x\"\nspec:\n  containers: [{{name: c, image: nginx}}]\n");
            var policy = KyvernoPolicies.Load(new[] { Path.Combine(dir.Path, "policy.yaml") }, new CollectingHost()).Single();
            KyvernoRuleResult? result = null;
            Bounded(() => result = KyvernoEvaluator.Evaluate(policy, Scan.Load(Path.Combine(dir.Path, "pod.yaml")).Objects.Single()).Single());
            Assert.Equal(KyvernoResult.Fail, result!.Result);
        }
    }

    [Fact]
    public void Wildcards_agree_with_the_regular_expression_they_stand_for()
    {
        var random = new Random(42);
        const string alphabet = "ab-*?";
        for (int i = 0; i < 20_000; i++)
        {
            string pattern = new(Enumerable.Range(0, random.Next(0, 7)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            string value = new(Enumerable.Range(0, random.Next(0, 9)).Select(_ => "ab-"[random.Next(3)]).ToArray());
            string regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
            Assert.True(Regex.IsMatch(value, regex, RegexOptions.Singleline) == BoundedPattern.Wildcard(pattern, value), $"'{pattern}' vs '{value}'");
        }
        Assert.True(BoundedPattern.Wildcard("GOS3*", "gos3001", ignoreCase: true));
        Assert.False(BoundedPattern.Wildcard("GOS3*", "gos3001"));
    }

    [Fact]
    public void A_catastrophic_ticket_pattern_is_decided_in_linear_time()
    {
        Regex pattern = CommitMessagePolicy.Compile("^(a+)+$");
        CommitMessageResult? result = null;
        Bounded(() => result = CommitMessagePolicy.Check(new string('a', 50_000) + "!", pattern));
        Assert.False(result!.Passed);
        Assert.True(CommitMessagePolicy.Check(new string('a', 50_000), pattern).Passed);
        // A pattern that needs backtracking (a backreference) still works, under a match timeout.
        Regex backreference = CommitMessagePolicy.Compile(@"^(\w+)-\1:");
        Assert.True(CommitMessagePolicy.Check("OPS-OPS: fix", backreference).Passed);
        Assert.Equal(BoundedPattern.MatchTimeout, backreference.MatchTimeout);
        var slow = CommitMessagePolicy.Check(new string('a', 30_000) + "!", CommitMessagePolicy.Compile(@"^(?=(a+)+$)\1"));
        Assert.False(slow.Passed);
        Assert.Contains("took longer than", slow.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Exclude_globs_and_regex_match_are_bounded_too()
    {
        using var dir = new TempDir();
        string file = dir.Write(".gitopssec.yaml", "exclude: [\"**/*-*-*-*-*-*-x/**\"]\n");
        GitOpsConfig config = GitOpsConfig.Load(file);
        string path = string.Concat(Enumerable.Repeat("a-", 20_000)) + "/file.yaml";
        bool excluded = true;
        Bounded(() => excluded = config.IsExcluded(path));
        Assert.False(excluded);
        Assert.True(config.IsExcluded("apps/a-b-c-d-e-f-x/deploy.yaml"));
        object? matched = null;
        Bounded(() => matched = JmesPath.Evaluate("regex_match('^(a|aa)+$', @)", new string('a', 40_000) + "b"));
        Assert.Equal(false, matched);
    }
}
