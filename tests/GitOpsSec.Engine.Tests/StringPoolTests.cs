using GitOpsSec.Manifests;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// The pool of short strings the YAML readers share: asked with a slice of a text or with a string, from many
/// threads at once, it answers the same characters, and one instance for one text while it has room.
/// </summary>
public sealed class StringPoolTests
{
    [Fact]
    public void Threads_asking_at_once_get_the_same_characters_and_one_instance_per_text()
    {
        // Words of a 1,600-word vocabulary, and slices of any length across them (many over the pooled length).
        string[] words = Enumerable.Range(0, 1600).Select(i => $"w{i}-{Guid.NewGuid():N}"[..(4 + i % 24)]).ToArray();
        string text = string.Join(' ', Enumerable.Range(0, 3000).Select(i => words[i * 7 % words.Length]));
        var answers = new System.Collections.Concurrent.ConcurrentBag<(string Asked, string Got)>();
        Parallel.For(0, 8, t =>
        {
            var random = new Random(t);
            for (int i = 0; i < 20_000; i++)
            {
                ReadOnlySpan<char> slice = random.Next(4) == 0
                    ? text.AsSpan(random.Next(text.Length - 60), random.Next(0, 60))
                    : words[random.Next(words.Length)].AsSpan();
                string got = random.Next(2) == 0 ? StringPool.Share(slice) : StringPool.Share(new string(slice));
                answers.Add((new string(slice), got));
            }
        });
        foreach (var (asked, got) in answers)
        {
            Assert.Equal(asked, got);
        }
        // While the pool has room (it is the process's: other tests fill it too), a word asked from any thread, as a
        // slice or as a string, is one instance; long texts are never pooled.
        var byText = answers.ToLookup(a => a.Asked, a => a.Got, StringComparer.Ordinal);
        foreach (string word in words)
        {
            var instances = byText[word].Append(StringPool.Share(new string(word.AsSpan()))).Distinct(ReferenceEqualityComparer.Instance).Count();
            Assert.True(instances == 1 || StringPool.Full, $"{word}: {instances} instances");
        }
        string longer = new('x', 33);
        Assert.NotSame(StringPool.Share(longer.AsSpan()), StringPool.Share(longer.AsSpan()));
        Assert.Same(string.Empty, StringPool.Share(ReadOnlySpan<char>.Empty));
    }
}
