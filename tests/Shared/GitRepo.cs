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
    public string TryGitWithInput(string input, params string[] args) => Proc.Check("git", args, Path, GitEnvironment(), input);

    private Dictionary<string, string> GitEnvironment() => new(Environment) { ["GIT_CONFIG_NOSYSTEM"] = "1" };

    /// <summary>Runs git and returns its exit code, standard output and standard error.</summary>
    public (int Exit, string Output, string Error) TryGit(params string[] args) => Proc.Run("git", args, Path, GitEnvironment());

    public void Dispose() => _dir.Dispose();
}

/// <summary>git commands in an existing repository (not deleted).</summary>
public sealed class GitRepoAt
{
    private readonly string _path;

    public GitRepoAt(string path) => _path = path;

    public string Git(params string[] args) => Proc.Check("git", args, _path);
}
