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

    /// <summary>Extra environment for every git command (e.g. GITOPSSEC_HOST for hooks).</summary>
    public Dictionary<string, string> Environment { get; } = new();

    public string Git(params string[] args)
    {
        var (exit, output, error) = TryGit(args);
        if (exit != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        }
        return output;
    }

    /// <summary>Runs git with <paramref name="input"/> on standard input; returns standard output.</summary>
    public string TryGitWithInput(string input, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Path, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        Task<string> error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error.Result}");
    }

    /// <summary>Runs git and returns its exit code, standard output and standard error.</summary>
    public (int Exit, string Output, string Error) TryGit(params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }
        using var p = Process.Start(start)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, error.Result);
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>git commands in an existing repository (not deleted).</summary>
public sealed class GitRepoAt
{
    private readonly string _path;

    public GitRepoAt(string path) => _path = path;

    public string Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = _path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error.Result}");
    }
}
