using GitOpsSec.Diagnostics;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>The git hooks GitOpsSec installs.</summary>
public enum GitHookKind
{
    PreCommit,
    CommitMsg,
}

/// <summary>What Install-GitOpsHook did for one hook.</summary>
public sealed record GitHookInstallation
{
    public required GitHookKind Hook { get; init; }
    public required string Path { get; init; }

    /// <summary>Installed (new), Updated (ours, rewritten), Replaced (someone else's, backed up first).</summary>
    public required string Action { get; init; }

    public string? BackupPath { get; init; }
}

/// <summary>
/// Writes pre-commit and commit-msg hooks that run GitOpsSec: through the `gitopssec` host when it is
/// on PATH (or named by GITOPSSEC_HOST), else pwsh with the module; with neither, the hook refuses the
/// commit (fail closed). Honours core.hooksPath.
/// </summary>
public static class GitHookInstaller
{
    public const string Marker = "# gitopssec-hook:";

    public static string FileName(GitHookKind kind) => kind == GitHookKind.PreCommit ? "pre-commit" : "commit-msg";

    /// <summary>Where git looks for hooks in the repository containing <paramref name="path"/>: core.hooksPath, else $GIT_DIR/hooks.</summary>
    public static string HooksDirectory(string path)
    {
        string? discovered = Repository.Discover(System.IO.Path.GetFullPath(path))
            ?? throw new GitOpsSecOperationException(ErrorIds.NotARepository, ScanErrorCategory.ObjectNotFound, $"'{path}' is not inside a git repository.", path);
        using var repo = new Repository(discovered);
        string? configured = repo.Config.Get<string>("core.hooksPath")?.Value;
        if (string.IsNullOrWhiteSpace(configured))
        {
            return System.IO.Path.Combine(repo.Info.Path, "hooks");
        }
        if (configured.StartsWith("~/", StringComparison.Ordinal))
        {
            configured = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), configured[2..]);
        }
        return System.IO.Path.GetFullPath(configured, repo.Info.WorkingDirectory ?? repo.Info.Path);
    }

    /// <summary>
    /// The hook script. <paramref name="ticketPattern"/> is for commit-msg (null: the repository's configured
    /// pattern). No text of the user's reaches the script as code: the pattern travels base64-encoded (an
    /// alphabet that cannot end a quoted string in sh or PowerShell) and is decoded at run time. The marker line
    /// carries a SHA-256 of the rest, so that a hook edited by hand is not taken for an untouched one.
    /// </summary>
    public static string Script(GitHookKind kind, string? ticketPattern, string version)
    {
        string command = kind == GitHookKind.PreCommit
            ? "Find-GitOpsSecret -Path . -Staged -FailOn Low"
            : "Test-CommitMessage -MessageFile $env:GITOPSSEC_MESSAGE_FILE -FailOnViolation" +
              (ticketPattern is null ? string.Empty : " -Pattern ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($env:GITOPSSEC_TICKET_PATTERN_B64)))");
        string what = kind == GitHookKind.PreCommit
            ? "Blocks a commit whose staged content (the index, not the working files) contains a credential."
            : "Blocks a commit whose message has no ticket reference.";
        string shQuoted = "'" + command.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        string pattern = ticketPattern is null ? ": # the repository's ticketPattern applies"
            : $"GITOPSSEC_TICKET_PATTERN_B64='{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ticketPattern))}'; export GITOPSSEC_TICKET_PATTERN_B64";
        // The host's `secrets` verb runs the same scan without starting PowerShell: a faster hook.
        string hostRun = kind == GitHookKind.PreCommit ? "secrets --staged --fail-on Low" : "-Command \"$gos_cmd\"";
        string body = $"""
            # Installed by Install-GitOpsHook. {what}
            # It runs: {command}
            # through `gitopssec` (the GitOpsSec host, no pwsh needed{(kind == GitHookKind.PreCommit ? ": gitopssec secrets --staged --fail-on Low" : string.Empty)})
            # or `pwsh` with the GitOpsSec module. Bypass once, deliberately: git commit --no-verify
            gos_cmd={shQuoted}
            {pattern}
            {(kind == GitHookKind.CommitMsg ? "GITOPSSEC_MESSAGE_FILE=\"$1\"; export GITOPSSEC_MESSAGE_FILE" : ": # git runs the hook at the top of the working tree")}
            if [ -n "$GITOPSSEC_HOST" ]; then exec "$GITOPSSEC_HOST" {hostRun}; fi
            if command -v gitopssec >/dev/null 2>&1; then exec gitopssec {hostRun}; fi
            if command -v pwsh >/dev/null 2>&1; then exec pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module GitOpsSec -ErrorAction Stop; $gos_cmd"; fi
            echo "GitOpsSec {FileName(kind)} hook: neither gitopssec nor pwsh was found, so the commit is refused (fail closed)." >&2
            echo "Install the gitopssec tool (dotnet tool install -g GitOpsSec.Cli) or the GitOpsSec module for pwsh, or commit with --no-verify." >&2
            exit 1

            """;
        return $"#!/bin/sh\n{Marker} {FileName(kind)} (GitOpsSec {version}) sha256={BodyHash(body)}\n{body}";
    }

    private static string BodyHash(string body) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body))).ToLowerInvariant();

    /// <summary>
    /// Whether the file at <paramref name="path"/> is a hook GitOpsSec wrote and nobody changed since: its marker
    /// line's hash matches the rest. A hook that carries the marker but was edited is someone's customisation.
    /// </summary>
    public static bool IsOurs(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        string text = File.ReadAllText(path);
        string[] head = text.Split('\n', 3);
        if (head.Length < 3 || !head[1].StartsWith(Marker, StringComparison.Ordinal))
        {
            return false;
        }
        int at = head[1].LastIndexOf(" sha256=", StringComparison.Ordinal);
        return at >= 0 && head[1][(at + 8)..] == BodyHash(head[2]);
    }

    /// <summary>
    /// Writes the hook into <paramref name="hooksDirectory"/>. Someone else's hook is kept unless
    /// <paramref name="force"/>, and then backed up first (GitOpsSec.Hook.Exists otherwise).
    /// </summary>
    public static GitHookInstallation Install(GitHookKind kind, string hooksDirectory, string? ticketPattern, bool force, string version)
    {
        string file = System.IO.Path.Combine(hooksDirectory, FileName(kind));
        string action = "Installed";
        string? backup = null;
        if (File.Exists(file))
        {
            if (IsOurs(file))
            {
                action = "Updated";
            }
            else if (!force)
            {
                throw new GitOpsSecOperationException("GitOpsSec.Hook.Exists", ScanErrorCategory.InvalidOperation,
                    $"'{file}' already exists and was not written by GitOpsSec, or was edited since. Use -Force to replace it (it is backed up first), or call GitOpsSec from it yourself.", file);
            }
            else
            {
                backup = $"{file}.gitopssec-backup-{DateTime.UtcNow:yyyyMMddHHmmss}";
                File.Copy(file, backup, overwrite: false);
                action = "Replaced";
            }
        }
        try
        {
            Directory.CreateDirectory(hooksDirectory);
            Manifests.AtomicFile.WriteAllText(file, Script(kind, ticketPattern, version));
            if (!OperatingSystem.IsWindows())
            {
                // 0755 whatever the umask: a hook others can write is a way to run code as whoever commits.
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Hook.WriteFailed", ScanErrorCategory.PermissionDenied, $"'{file}' could not be written: {e.Message}", file, e);
        }
        return new GitHookInstallation { Hook = kind, Path = file, Action = action, BackupPath = backup };
    }
}
