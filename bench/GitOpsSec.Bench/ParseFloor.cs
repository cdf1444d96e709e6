using System.Diagnostics;
using YamlDotNet.Core;

/// <summary>
/// The physical floor of a manifest scan, for the scale benchmark: the time to read every YAML file of a tree
/// (from the page cache) and the time YamlDotNet's parser alone takes over the same text, on one core and on
/// every core, with nothing built from its events. Prints one line of key=value pairs for bench/suite.py.
/// </summary>
internal static class ParseFloor
{
    public static void Run(string root)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}.git{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        var watch = Stopwatch.StartNew();
        var texts = files.Select(File.ReadAllText).ToArray();
        double read = watch.Elapsed.TotalSeconds;
        long chars = texts.Sum(t => (long)t.Length);
        Parse(texts); // warm the JIT
        watch.Restart();
        long events = Parse(texts);
        double one = watch.Elapsed.TotalSeconds;
        watch.Restart();
        long parallelEvents = 0;
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, texts.Length, 256), range =>
            Interlocked.Add(ref parallelEvents, Parse(texts[range.Item1..range.Item2])));
        double all = watch.Elapsed.TotalSeconds;
        if (parallelEvents != events)
        {
            throw new InvalidOperationException("the parallel parse saw other events");
        }
        Console.WriteLine($"files={files.Count} mb={chars / 1e6:F1} read={read:F2} parse1={one:F2} parseN={all:F2} cores={Environment.ProcessorCount} events={events}");
    }

    private static long Parse(IEnumerable<string> texts)
    {
        long events = 0;
        foreach (string text in texts)
        {
            try
            {
                var parser = new Parser(new StringReader(text));
                while (parser.MoveNext())
                {
                    events++;
                }
            }
            catch (YamlException)
            {
                events++;
            }
        }
        return events;
    }
}
