using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;

namespace GitOpsSec.Reports;

/// <summary>
/// Trust and policy settings from a source that the change under review cannot edit: a config file the
/// user names (-Config), the user's or machine's own config (GITOPSSEC_CONFIG, else
/// ~/.config/gitopssec/gitopssec.yaml), or .gitopssec.yaml at a protected revision (-PolicyRevision
/// origin/main), read from git's object database with the files it names. The working tree's
/// .gitopssec.yaml is never a source of trusted keys: a pull request could add its own key to it.
/// </summary>
public sealed class ProtectedPolicy : IDisposable
{
    public const string UserConfigVariable = "GITOPSSEC_CONFIG";

    private readonly TempFolder? _export;

    private ProtectedPolicy(GitOpsConfig config, string origin, TempFolder? export = null)
    {
        Config = config;
        Origin = origin;
        _export = export;
    }

    /// <summary>The settings.</summary>
    public GitOpsConfig Config { get; }

    /// <summary>Where they came from, for messages: a file path or "revision:.gitopssec.yaml".</summary>
    public string Origin { get; }

    /// <summary>The user's or machine's config file: $GITOPSSEC_CONFIG, else $XDG_CONFIG_HOME (or ~/.config)/gitopssec/gitopssec.yaml.</summary>
    public static string UserConfigPath()
    {
        if (Environment.GetEnvironmentVariable(UserConfigVariable) is { Length: > 0 } explicitPath)
        {
            return Path.GetFullPath(explicitPath);
        }
        return Path.Combine(UserConfigFolder(), "gitopssec.yaml");
    }

    /// <summary>The user's GitOpsSec folder: $XDG_CONFIG_HOME (or ~/.config)/gitopssec. Holds the user config and the fingerprint key.</summary>
    public static string UserConfigFolder()
    {
        string baseDir = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(baseDir, "gitopssec");
    }

    /// <summary>The user's config, or null when there is none. Its paths may point anywhere: the user wrote it.</summary>
    public static ProtectedPolicy? FromUser()
    {
        string path = UserConfigPath();
        return File.Exists(path) ? new ProtectedPolicy(GitOpsConfig.Load(path, confined: false), path) : null;
    }

    /// <summary>A config file the user named on the command line.</summary>
    public static ProtectedPolicy FromFile(string path) => new(GitOpsConfig.Load(path, confined: false), path);

    /// <summary>
    /// .gitopssec.yaml at <paramref name="revision"/> of the repository containing <paramref name="path"/>, with the
    /// trusted keys, baseline and policy files it names taken from the same revision. The defaults when the
    /// revision has no config; null after reporting a revision that does not exist.
    /// </summary>
    public static ProtectedPolicy? FromRevision(string path, string revision, IScanHost host)
    {
        string? root = GitHistory.RepositoryRoot(path);
        if (root is null)
        {
            host.Error(new ScanError(ErrorIds.NotARepository, ScanErrorCategory.ObjectNotFound, $"-PolicyRevision: '{path}' is not inside a git repository.", path));
            return null;
        }
        using GitRevisionTree? tree = GitRevisionTree.Open(root, revision, host);
        if (tree is null)
        {
            return null;
        }
        string origin = $"{revision}:{GitOpsConfig.FileName}";
        if (!tree.FileExists(GitOpsConfig.FileName))
        {
            return new ProtectedPolicy(GitOpsConfig.Default, origin + " (none: the defaults apply)");
        }
        var export = new TempFolder("gitopssec-policy-");
        try
        {
            string configFile = Path.Combine(export.Path, GitOpsConfig.FileName);
            File.WriteAllBytes(configFile, tree.ReadFile(GitOpsConfig.FileName, LoadLimits.Default, host) ?? Array.Empty<byte>());
            GitOpsConfig config = GitOpsConfig.Load(configFile, confined: true, displayName: origin);
            foreach (string named in new[] { config.TrustedKeys, config.Baseline }.OfType<string>().Concat(config.Policies))
            {
                ExportFromTree(tree, named, export.Path, host);
            }
            return new ProtectedPolicy(config, origin, export);
        }
        catch
        {
            export.Dispose();
            throw;
        }
    }

    private static void ExportFromTree(GitRevisionTree tree, string named, string into, IScanHost host)
    {
        string relative = named.Replace('\\', '/');
        while (relative.StartsWith("./", StringComparison.Ordinal))
        {
            relative = relative[2..];
        }
        IEnumerable<string> files = tree.FileExists(relative)
            ? new[] { relative }
            : tree.DirectoryExists(relative) ? tree.EnumerateFiles(host).Where(f => f.StartsWith(relative + "/", StringComparison.Ordinal)) : Array.Empty<string>();
        foreach (string file in files)
        {
            byte[]? data = tree.ReadFile(file, LoadLimits.Default, host);
            if (data is null)
            {
                continue;
            }
            string target = Path.Combine(into, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, data);
        }
    }

    /// <summary>
    /// What <paramref name="head"/> (the config of the change under review) weakens relative to this protected
    /// config: each a sentence naming the setting, with the line of the head config where there is one.
    /// </summary>
    public IEnumerable<(string Setting, int Line, string What)> WeakeningsIn(GitOpsConfig head)
    {
        GitOpsConfig p = Config;
        int Line(string key) => head.KeyLines.TryGetValue(key, out int line) ? line : 0;
        if (p.TrustedKeys is not null && head.TrustedKeys is null)
        {
            yield return ("trustedKeys", 0, "removes trustedKeys: signed commits would no longer be required");
        }
        else if (p.TrustedKeys is not null && !SameContent(p.TrustedKeysPath, head.TrustedKeysPath))
        {
            yield return ("trustedKeys", Line("trustedKeys"), $"changes the trusted keys ({head.TrustedKeys}): a change must not choose the keys its own commits are checked with");
        }
        if (p.FailOn is Severity protectedFailOn && (head.FailOn is not Severity headFailOn || headFailOn > protectedFailOn))
        {
            yield return ("failOn", Line("failOn"), $"raises failOn from {protectedFailOn} to {(head.FailOn?.ToString() ?? "nothing (no failure)")}");
        }
        foreach (string glob in head.Exclude.Except(p.Exclude, StringComparer.Ordinal))
        {
            yield return ("exclude", Line("exclude"), $"excludes '{glob}' from every scan");
        }
        foreach (string rule in head.DisabledRules.Except(p.DisabledRules, StringComparer.OrdinalIgnoreCase))
        {
            yield return ("rules.disabled", Line("rules"), $"disables rule '{rule}'");
        }
        if (head.EnabledRules.Count > 0)
        {
            var protectedRules = p.EnabledRules.Count > 0 ? p.EnabledRules : RuleCatalog.Rules.Select(r => r.Id).ToList();
            var headRules = RuleCatalog.Rules.Where(r => head.EnabledRules.Any(e => RuleSelection.NameMatches(e, r))).Select(r => r.Id).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var dropped = RuleCatalog.Rules.Where(r => protectedRules.Any(e => RuleSelection.NameMatches(e, r)) && !headRules.Contains(r.Id)).Select(r => r.Id).ToList();
            if (dropped.Count > 0)
            {
                yield return ("rules.enabled", Line("rules"), $"runs only rules.enabled, leaving out {dropped.Count} rule(s) the protected config runs ({string.Join(", ", dropped.Take(5))}{(dropped.Count > 5 ? ", …" : string.Empty)})");
            }
        }
        foreach (var (ruleId, severity) in head.SeverityOverrides)
        {
            Severity before = p.SeverityOverrides.TryGetValue(ruleId, out Severity s) ? s : RuleCatalog.Find(ruleId)?.Severity ?? severity;
            if (severity < before)
            {
                yield return ("rules.severity", Line("rules"), $"lowers {ruleId} from {before} to {severity}");
            }
        }
        if (head.Level < p.Level)
        {
            yield return ("level", Line("level"), $"lowers the Pod Security level from {p.Level} to {head.Level}");
        }
        foreach (string registry in head.AllowedRegistries.Except(p.AllowedRegistries, StringComparer.OrdinalIgnoreCase))
        {
            if (p.AllowedRegistries.Count > 0)
            {
                yield return ("allowedRegistries", Line("allowedRegistries"), $"allows images from '{registry}'");
            }
        }
        if (!string.Equals(head.TicketPattern, p.TicketPattern, StringComparison.Ordinal))
        {
            yield return ("ticketPattern", Line("ticketPattern"), "changes ticketPattern");
        }
        if (head.Baseline is not null && !SameContent(p.BaselinePath, head.BaselinePath))
        {
            yield return ("baseline", Line("baseline"), $"changes the baseline ({head.Baseline}): findings it accepts would no longer fail the run");
        }
        foreach (string policy in p.Policies.Except(head.Policies, StringComparer.Ordinal))
        {
            yield return ("policies", Line("policies"), $"no longer runs the policy '{policy}'");
        }
    }

    private static bool SameContent(string? a, string? b)
    {
        static byte[]? Read(string? path)
        {
            try
            {
                return path is not null && File.Exists(path) ? SafeFile.ReadAllBytes(path) : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        byte[]? x = Read(a), y = Read(b);
        return x is not null && y is not null && x.AsSpan().SequenceEqual(y);
    }

    public void Dispose() => _export?.Dispose();

    /// <summary>A temporary folder deleted on Dispose.</summary>
    private sealed class TempFolder : IDisposable
    {
        public TempFolder(string prefix) => Path = Directory.CreateTempSubdirectory(prefix).FullName;

        public string Path { get; }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a temporary folder left behind holds only copies of committed files
            }
        }
    }
}
