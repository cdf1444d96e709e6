using System.Diagnostics;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>The folder walk (listed on every core) and the bytes the application model's search keeps for the loader.</summary>
public class FileSystemTreeTests
{
    private static List<ScanError> Errors(out IScanHost host)
    {
        var collecting = new CollectingHost();
        host = collecting;
        return collecting.Errors;
    }

    [Fact]
    public void The_walk_lists_what_find_lists_and_reports_as_a_walk_on_one_thread_would()
    {
        using var dir = new TempDir();
        var random = new Random(11);
        for (int i = 0; i < 600; i++)
        {
            string folder = string.Join('/', Enumerable.Range(0, random.Next(0, 5)).Select(_ => "d" + random.Next(6)));
            dir.Write(Path.Combine(folder, $"f{i}.yaml"), "a: 1\n");
        }
        dir.Write(".git/HEAD", "ref: refs/heads/main\n"); // git's own files are not manifests
        Directory.CreateDirectory(Path.Combine(dir.Path, "outside"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "d0", "linked-folder"), Path.Combine(dir.Path, "d1"));
        string elsewhere = Path.Combine(Path.GetTempPath(), "gos-elsewhere-" + Guid.NewGuid().ToString("N")[..8] + ".yaml");
        File.WriteAllText(elsewhere, "a: 1\n");
        try
        {
            File.CreateSymbolicLink(Path.Combine(dir.Path, "d2", "escape.yaml"), elsewhere);

            var tree = new FileSystemTree(dir.Path);
            List<ScanError> errors = Errors(out IScanHost host);
            List<string> listed = tree.EnumerateFiles(host).ToList();

            // find, an independent walk: regular files outside .git, not through the symlinked folder.
            var find = Process.Start(new ProcessStartInfo("find", $". -path ./.git -prune -o -type f -print") { WorkingDirectory = dir.Path, RedirectStandardOutput = true })!;
            List<string> expected = find.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p[2..]).OrderBy(p => p, StringComparer.Ordinal).ToList();
            find.WaitForExit();
            Assert.Equal(expected, listed);
            Assert.Equal(600, listed.Count);
            Assert.Equal(ErrorIds.OutsideRoot, Assert.Single(errors).ErrorId);
            Assert.Equal("d2/escape.yaml", errors[0].Target);

            // The same listing, in the same order, however often it is walked.
            for (int k = 0; k < 5; k++)
            {
                Assert.Equal(listed, new FileSystemTree(dir.Path).EnumerateFiles(new CollectingHost()).ToList());
            }
        }
        finally
        {
            File.Delete(elsewhere);
        }
    }

    [Fact]
    public void A_kept_file_is_read_once_and_read_again_when_it_changed_or_went_away()
    {
        using var dir = new TempDir();
        dir.Write("same.yaml", "kind: A\n");
        dir.Write("longer.yaml", "kind: B\n");
        dir.Write("touched.yaml", "kind: C\n");
        dir.Write("gone.yaml", "kind: D\n");
        var tree = new FileSystemTree(dir.Path);
        _ = tree.EnumerateFiles(new CollectingHost()).ToList();
        var kept = new Dictionary<string, byte[]>();
        foreach (string f in new[] { "same.yaml", "longer.yaml", "touched.yaml", "gone.yaml" })
        {
            kept[f] = tree.ReadAndKeep(f, LoadLimits.Default, new CollectingHost())!;
        }

        File.WriteAllText(Path.Combine(dir.Path, "longer.yaml"), "kind: Bigger\n");
        File.WriteAllText(Path.Combine(dir.Path, "touched.yaml"), "kind: X\n"); // the same size
        File.SetLastWriteTimeUtc(Path.Combine(dir.Path, "touched.yaml"), DateTime.UtcNow.AddMinutes(5));
        File.Delete(Path.Combine(dir.Path, "gone.yaml"));

        List<ScanError> errors = Errors(out IScanHost host);
        Assert.Same(kept["same.yaml"], tree.ReadFile("same.yaml", LoadLimits.Default, host)); // no second read
        Assert.Equal("kind: Bigger\n", System.Text.Encoding.UTF8.GetString(tree.ReadFile("longer.yaml", LoadLimits.Default, host)!));
        Assert.Equal("kind: X\n", System.Text.Encoding.UTF8.GetString(tree.ReadFile("touched.yaml", LoadLimits.Default, host)!));
        Assert.Null(tree.ReadFile("gone.yaml", LoadLimits.Default, host));
        Assert.Equal(ErrorIds.ReadFailed, Assert.Single(errors).ErrorId);

        // Taken once: the next read is a read.
        Assert.NotSame(kept["same.yaml"], tree.ReadFile("same.yaml", LoadLimits.Default, host));
    }

    [Fact]
    public void What_is_kept_stays_within_its_budget_and_is_let_go()
    {
        using var dir = new TempDir();
        byte[] big = new byte[(int)(FileSystemTree.KeepBudget / 3) + 1];
        Array.Fill(big, (byte)'a');
        for (int i = 0; i < 4; i++)
        {
            dir.WriteBytes($"f{i}.yaml", big);
        }
        var tree = new FileSystemTree(dir.Path);
        var limits = LoadLimits.Default with { MaxFileBytes = big.Length + 1 };
        _ = tree.EnumerateFiles(new CollectingHost()).ToList();
        var first = Enumerable.Range(0, 4).Select(i => tree.ReadAndKeep($"f{i}.yaml", limits, new CollectingHost())!).ToList();
        // Two fit the budget, the third does not: it is read again.
        Assert.Same(first[0], tree.ReadFile("f0.yaml", limits, new CollectingHost()));
        Assert.Same(first[1], tree.ReadFile("f1.yaml", limits, new CollectingHost()));
        Assert.NotSame(first[2], tree.ReadFile("f2.yaml", limits, new CollectingHost()));
        // Taken files free their share; what is let go is read again.
        byte[] again = tree.ReadAndKeep("f3.yaml", limits, new CollectingHost())!;
        tree.ForgetKept();
        Assert.NotSame(again, tree.ReadFile("f3.yaml", limits, new CollectingHost()));
    }
}

/// <summary>
/// The folder listing through readdir on Linux (<see cref="PosixDirectory"/>): the entries and types find reports,
/// and a walk that finds, skips and reports exactly what the .NET listing does.
/// </summary>
[Collection("PosixDirectory")] // the .NET reference is switched on for the whole process
public class PosixDirectoryTests
{
    private static string Odd(TempDir dir)
    {
        dir.Write("plain.yaml", "a: 1\n");
        dir.Write(".hidden.yaml", "a: 1\n");
        dir.Write("sub/inner.yaml", "a: 1\n");
        dir.Write("with space é ü.yaml", "a: 1\n");
        dir.Write("sub/.git/HEAD", "ref: refs/heads/main\n");
        dir.Write("bare/HEAD", "ref: refs/heads/main\n"); // a bare repository inside the tree: git's files, not manifests
        Directory.CreateDirectory(Path.Combine(dir.Path, "bare", "objects"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "bare", "refs"));
        dir.Write("bare/objects/not-a-manifest.yaml", "a: 1\n");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "to-file.yaml"), Path.Combine(dir.Path, "plain.yaml"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "to-folder"), Path.Combine(dir.Path, "sub"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "dangling.yaml"), Path.Combine(dir.Path, "missing.yaml"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "outside.yaml"), "/etc/hostname");
        Proc.Check("mkfifo", new[] { Path.Combine(dir.Path, "pipe.yaml") });
        return dir.Path;
    }

    [Fact]
    public void Entries_and_their_types_are_those_find_reports()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var dir = new TempDir();
        string root = Odd(dir);
        Assert.True(PosixDirectory.Available);
        foreach (string folder in new[] { root, Path.Combine(root, "sub"), Path.Combine(root, "bare") })
        {
            var find = Process.Start(new ProcessStartInfo("find", new[] { folder, "-mindepth", "1", "-maxdepth", "1", "-printf", "%y\t%f\n" }) { RedirectStandardOutput = true })!;
            var expected = find.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('\t')).Select(p => (p[1], p[0] switch { "d" => PosixDirectory.EntryType.Directory, "l" => PosixDirectory.EntryType.Link, _ => PosixDirectory.EntryType.Other }))
                .OrderBy(e => e.Item1, StringComparer.Ordinal).ToList();
            find.WaitForExit();
            var listed = PosixDirectory.TryList(folder)!.Select(e => (e.Name, e.Type)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            Assert.Equal(expected, listed);
        }
        Assert.Null(PosixDirectory.TryList(Path.Combine(root, "plain.yaml"))); // not a folder: the .NET way reports it
        Assert.Null(PosixDirectory.TryList(Path.Combine(root, "missing")));
    }

    private sealed class Recording : IScanHost
    {
        public List<string> Events { get; } = new();
        public CancellationToken Cancellation => CancellationToken.None;
        public void Error(ScanError error) => Events.Add("error " + error.ErrorId + " " + error.Target);
        public void Warning(string message) => Events.Add("warning " + message);
        public void Verbose(string message) => Events.Add("verbose " + message);
        public void Progress(string activity, string status, int percentComplete) { }
    }

    [Fact]
    public void A_walk_finds_skips_and_reports_what_the_dotnet_listing_does()
    {
        using var dir = new TempDir();
        string root = Odd(dir);
        var random = new Random(5);
        for (int i = 0; i < 300; i++)
        {
            dir.Write(Path.Combine(string.Join('/', Enumerable.Range(0, random.Next(0, 4)).Select(_ => "d" + random.Next(5))), $"f{i}.yaml"), "a: 1\n");
        }
        (List<string> Files, List<string> Events) Walk()
        {
            var host = new Recording();
            return (new FileSystemTree(root).EnumerateFiles(host).ToList(), host.Events);
        }
        var native = Walk();
        PosixDirectory.Disabled = true;
        try
        {
            var dotnet = Walk();
            Assert.Equal(dotnet.Files, native.Files);
            Assert.Equal(dotnet.Events, native.Events);
        }
        finally
        {
            PosixDirectory.Disabled = false;
        }
        Assert.Contains("pipe.yaml", native.Files); // listed; reading it is declined later
        Assert.Contains("dangling.yaml", native.Files);
        Assert.DoesNotContain(native.Files, f => f.StartsWith("bare/", StringComparison.Ordinal) || f.Contains(".git/", StringComparison.Ordinal) || f.StartsWith("to-folder/", StringComparison.Ordinal));
        Assert.Contains(native.Events, e => e.StartsWith("verbose Not following symlinked folder to-folder", StringComparison.Ordinal));
        Assert.Contains(native.Events, e => e == "error " + ErrorIds.OutsideRoot + " outside.yaml");
    }
}
