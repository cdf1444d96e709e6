namespace GitOpsSec.Tests.Shared;

/// <summary>Locations in the source tree, found from the test assembly's folder.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitOpsSec.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("GitOpsSec.sln not found above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => LazyRoot.Value;
    public static string Examples => Path.Combine(RepoRoot, "examples");
    public static string RuleFixtures => Path.Combine(RepoRoot, "tests", "data", "rules");
    public static string Module => Path.Combine(RepoRoot, "out", "GitOpsSec");

    /// <summary>The lines of a fixture marked "# &lt;- RULEID".</summary>
    public static SortedSet<int> MarkedLines(string file, string ruleId)
    {
        var lines = new SortedSet<int>();
        string[] text = File.ReadAllLines(file);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i].Contains("# <- " + ruleId, StringComparison.Ordinal))
            {
                lines.Add(i + 1);
            }
        }
        return lines;
    }

    /// <summary>Every fixture file as (rule id, file, expect findings).</summary>
    public static IEnumerable<object[]> RuleFixtureCases() =>
        Directory.GetDirectories(RuleFixtures).OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(dir => Directory.GetFiles(dir, "*.yaml").OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => new object[] { Path.GetFileName(dir), Path.GetFileName(f) }));
}

/// <summary>A scratch folder deleted when disposed.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gos-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string content)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>A sub-folder only the owner may enter (0700), as gpg and gpgsm require of a GNUPGHOME.</summary>
    public string PrivateFolder(string relative)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(full);
        File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return full;
    }

    public string WriteBytes(string relative, byte[] content)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
