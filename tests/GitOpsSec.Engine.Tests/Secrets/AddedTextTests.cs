using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Secrets;

/// <summary>
/// The lines a version adds, checked against `git diff --no-index`: every line whose text the old version
/// does not have is one git's patch adds, and every line git adds that the old version does not have is one
/// of ours (a line git shows as added only because it moved is not new text).
/// </summary>
public sealed class AddedTextTests
{
    [Fact]
    public void Added_lines_are_the_lines_git_adds_whose_text_is_new()
    {
        using var dir = new TempDir();
        var random = new Random(3);
        string[] vocabulary = Enumerable.Range(0, 40).Select(i => i % 9 == 0 ? string.Empty : $"key{i}: value{i}").Append("dup").Append("  token: x\r").ToArray();
        for (int round = 0; round < 60; round++)
        {
            var old = Enumerable.Range(0, random.Next(0, 60)).Select(_ => vocabulary[random.Next(vocabulary.Length)]).ToList();
            var now = new List<string>(old);
            for (int edit = random.Next(1, 8); edit > 0; edit--)
            {
                int at = now.Count == 0 ? 0 : random.Next(now.Count);
                switch (random.Next(4))
                {
                    case 0: now.Insert(at, $"new{round}-{edit}: {random.Next(1000)}"); break;
                    case 1: if (now.Count > 0) { now.RemoveAt(at); } break;
                    case 2: if (now.Count > 1) { string moved = now[at]; now.RemoveAt(at); now.Insert(random.Next(now.Count), moved); } break;
                    default: now.Insert(at, vocabulary[random.Next(vocabulary.Length)]); break;
                }
            }
            string before = string.Join('\n', old) + (random.Next(2) == 0 ? "\n" : string.Empty);
            string after = string.Join('\n', now) + (random.Next(2) == 0 ? "\n" : string.Empty);
            dir.Write("a.txt", before);
            dir.Write("b.txt", after);
            var (_, patch, _) = Proc.Run("git", new[] { "diff", "--no-index", "--no-color", "-U0", "a.txt", "b.txt" }, dir.Path);
            var gitAdded = new HashSet<int>();
            foreach (string header in patch.Split('\n').Where(l => l.StartsWith("@@", StringComparison.Ordinal)))
            {
                string plus = header.Split(' ')[2][1..];
                int start = int.Parse(plus.Split(',')[0]), count = plus.Contains(',') ? int.Parse(plus.Split(',')[1]) : 1;
                for (int k = 0; k < count; k++)
                {
                    gitAdded.Add(start + k);
                }
            }
            int[] beforeStarts = SecretText.LineStarts(before), afterStarts = SecretText.LineStarts(after);
            var ours = AddedText.Lines(before, beforeStarts, after, afterStarts).SelectMany(r => Enumerable.Range(r.From, r.To - r.From + 1)).ToHashSet();
            string[] beforeLines = before.Split('\n'), afterLines = after.Split('\n');
            Assert.Subset(gitAdded.Where(n => n <= afterLines.Length).ToHashSet(), ours.Where(n => afterLines[n - 1].Length > 0 || n < afterLines.Length).ToHashSet());
            foreach (int n in gitAdded.Where(n => n <= afterLines.Length && !beforeLines.Contains(afterLines[n - 1])))
            {
                Assert.Contains(n, ours);
            }
        }
    }

    [Fact]
    public void Windows_keep_three_lines_of_context_and_merge_where_they_touch()
    {
        Assert.Equal(new[] { (1, 8), (12, 20) }, AddedText.Windows(new() { (2, 2), (5, 5), (15, 17) }, 20));
        Assert.Equal(new[] { (1, 3) }, AddedText.Windows(new() { (1, 1) }, 3));
        Assert.True(AddedText.Touches(new() { (3, 4), (10, 12) }, 11, 30));
        Assert.False(AddedText.Touches(new() { (3, 4), (10, 12) }, 5, 9));
    }
}
