using System.Diagnostics;
using System.Globalization;
using GitOpsSec.Diagnostics;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// The four-call read of small regular files on Linux (<see cref="PosixFile"/>): the same bytes, size and write time as
/// .NET and coreutils' stat see, and everything that is not a plain file left to the .NET read, which reports it as before.
/// </summary>
public class PosixFileTests
{
    private static string Run(string file, string arguments)
    {
        var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {arguments}: {p.StandardError.ReadToEnd()}");
        return output.Trim();
    }

    [Fact]
    public void On_linux_the_short_path_is_taken()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var dir = new TempDir();
        string path = dir.Write("a.yaml", "a: 1\n");
        Assert.NotNull(PosixFile.TryRead(path, 100, out _));
        Assert.True(PosixFile.Available); // libc and statx were found: the scan does not fall back file after file
    }

    /// <summary>Sizes and write times (to the nanosecond, as .NET keeps them: 100 ns ticks) agree with coreutils' stat and with FileInfo.</summary>
    [Fact]
    public void Size_and_write_time_agree_with_stat_and_with_FileInfo()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var dir = new TempDir();
        string[] stamps = { "2024-01-02 03:04:05.123456789", "1999-12-31 23:59:59.999999999", "2038-01-19 03:14:08.000000001", "1969-07-20 20:17:40.5" };
        for (int i = 0; i < stamps.Length; i++)
        {
            string path = dir.Write($"f{i}.yaml", new string('x', 37 * (i + 1)));
            Run("touch", $"-d \"{stamps[i]} UTC\" \"{path}\"");
            var (length, written, regular) = PosixFile.Stat(path)!.Value;
            Assert.True(regular);
            Assert.Equal(long.Parse(Run("stat", $"-c %s \"{path}\""), CultureInfo.InvariantCulture), length);
            // stat %.9Y: seconds since the epoch with nine decimals; .NET keeps 100 ns ticks and truncates.
            decimal seconds = decimal.Parse(Run("stat", $"-c %.9Y \"{path}\""), CultureInfo.InvariantCulture);
            long ticks = (long)decimal.Floor(seconds * TimeSpan.TicksPerSecond);
            Assert.Equal(DateTime.UnixEpoch.AddTicks(ticks), written);
            Assert.Equal(new FileInfo(path).LastWriteTimeUtc, written);
            Assert.Equal(DateTimeKind.Utc, written.Kind);
        }
    }

    [Fact]
    public void Plain_files_read_as_dotnet_reads_them_links_followed_and_names_in_utf8()
    {
        using var dir = new TempDir();
        var random = new Random(5);
        var files = new List<string>();
        foreach (int size in new[] { 1, 2, 4095, 4096, 4097, 65_536, 1_000_003 })
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            string path = Path.Combine(dir.Path, $"r{size}.bin");
            File.WriteAllBytes(path, bytes);
            files.Add(path);
        }
        files.Add(dir.Write("überprüfung/日本語 ünïcödé.yaml", "kind: ConfigMap\n"));
        string link = Path.Combine(dir.Path, "link.yaml");
        File.CreateSymbolicLink(link, files[^1]);
        files.Add(link);
        foreach (string path in files)
        {
            byte[] expected = File.ReadAllBytes(path);
            if (OperatingSystem.IsLinux())
            {
                Assert.Equal(expected, PosixFile.TryRead(path, 2_000_000, out DateTime written));
                Assert.Equal(new FileInfo(path).LastWriteTimeUtc, written);
            }
            Assert.Equal(expected, SafeFile.ReadAllBytes(path, 2_000_000));
        }
    }

    /// <summary>
    /// Empty files, pipes, folders, missing files, dangling links, link loops and files over the bound are not the
    /// short path's (null, at once: a pipe is never waited on) and SafeFile answers for them as it did before.
    /// </summary>
    [Fact]
    public void What_is_not_a_small_regular_file_is_left_to_the_dotnet_read()
    {
        using var dir = new TempDir();
        string empty = dir.Write("empty.yaml", "");
        string large = dir.Write("large.yaml", new string('a', 5000));
        string folder = Path.Combine(dir.Path, "folder.yaml");
        Directory.CreateDirectory(folder);
        string missing = Path.Combine(dir.Path, "missing.yaml");
        string dangling = Path.Combine(dir.Path, "dangling.yaml");
        File.CreateSymbolicLink(dangling, Path.Combine(dir.Path, "nowhere.yaml"));
        string loop = Path.Combine(dir.Path, "loop.yaml");
        File.CreateSymbolicLink(loop, loop);
        string nul = Path.Combine(dir.Path, "a\0b.yaml");
        var cases = new List<string> { empty, large, folder, missing, dangling, loop, nul };
        string? pipe = null;
        if (OperatingSystem.IsLinux())
        {
            pipe = Path.Combine(dir.Path, "pipe.yaml");
            Run("mkfifo", $"\"{pipe}\"");
            cases.Add(pipe);
        }
        foreach (string path in cases)
        {
            var clock = Stopwatch.StartNew();
            Assert.Null(PosixFile.TryRead(path, 4096, out DateTime written));
            Assert.Equal(default, written);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), path);
        }
        Assert.Empty(SafeFile.ReadAllBytes(empty, 4096));
        Assert.Equal(5000, Assert.Throws<FileTooLargeException>(() => SafeFile.ReadAllBytes(large, 4096)).Length);
        Assert.Equal(5000, SafeFile.ReadAllBytes(large, 5000).Length);
        Assert.ThrowsAny<UnauthorizedAccessException>(() => SafeFile.ReadAllBytes(folder, 4096));
        Assert.ThrowsAny<FileNotFoundException>(() => SafeFile.ReadAllBytes(missing, 4096));
        Assert.ThrowsAny<FileNotFoundException>(() => SafeFile.ReadAllBytes(dangling, 4096));
        Assert.ThrowsAny<IOException>(() => SafeFile.ReadAllBytes(loop, 4096));
        if (pipe is not null)
        {
            Assert.Empty(SafeFile.ReadAllBytes(pipe, 4096)); // reports no size: never opened, never waited on
        }
    }
}
