using System.Diagnostics;

namespace GitOpsSec.Tests.Shared;

/// <summary>A real git repository made with the git command line, for tests that read history.</summary>
public sealed class GitRepo : IDisposable
{
    private readonly TempDir _dir = new();

    public GitRepo()
    {
        Git("init", "-q", "-b", "main");
        Git("config", "user.email", "dev@example.com");
        Git("config", "user.name", "Dev Example");
        Git("config", "commit.gpgsign", "false");
    }

    public string Path => _dir.Path;

    public string Write(string relative, string content) => _dir.Write(relative, content);

    public void Delete(string relative) => File.Delete(System.IO.Path.Combine(Path, relative));

    /// <summary>Stages everything and commits; returns the new commit id.</summary>
    public string Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    public string Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        using var p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        }
        return output;
    }

    public void Dispose() => _dir.Dispose();
}
