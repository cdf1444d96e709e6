using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;

namespace GitOpsSec.Reports;

/// <summary>
/// The repository's .gitopssec.yaml: which rules run, severity overrides, excluded paths, allowed
/// registries, ticket pattern, trusted keys, baseline and the -FailOn default. One options class, one
/// loader; an unknown key or a wrong value is an error naming its line.
/// </summary>
public sealed class GitOpsConfig
{
    public const string FileName = ".gitopssec.yaml";

    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "level", "rules", "exclude", "allowedRegistries", "ticketPattern", "trustedKeys", "baseline", "failOn", "policies",
        "kubernetesVersion", "podSecurityDefault",
    };

    /// <summary>The file the settings came from; null when the defaults apply.</summary>
    public string? Source { get; private init; }
    public PodSecurityLevel Level { get; private init; } = PodSecurityLevel.Restricted;

    /// <summary>The Kubernetes version the Pod Security checks follow (kubernetesVersion:); latest when unset.</summary>
    public GitOpsSec.Rules.PodSecurity.PodSecurityVersion KubernetesVersion { get; private init; } = GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Latest;

    /// <summary>What the cluster enforces in a namespace the repository does not label (podSecurityDefault: level, version); privileged at latest when unset.</summary>
    public (PodSecurityLevel Level, GitOpsSec.Rules.PodSecurity.PodSecurityVersion Version) PodSecurityDefault { get; private init; } =
        (PodSecurityLevel.None, GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Latest);
    public IReadOnlyList<string> EnabledRules { get; private init; } = Array.Empty<string>();
    public IReadOnlyList<string> DisabledRules { get; private init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, Severity> SeverityOverrides { get; private init; } = new Dictionary<string, Severity>();
    public IReadOnlyList<string> Exclude { get; private init; } = Array.Empty<string>();
    public IReadOnlyList<string> AllowedRegistries { get; private init; } = Array.Empty<string>();
    public string TicketPattern { get; private init; } = @"^[A-Z][A-Z0-9]+-\d+:";
    public string? TrustedKeys { get; private init; }
    public string? Baseline { get; private init; }
    public Severity? FailOn { get; private init; }

    /// <summary>Kyverno ClusterPolicy / Policy files or folders (relative to the config file) that Test-GitOpsRepo evaluates too.</summary>
    public IReadOnlyList<string> Policies { get; private init; } = Array.Empty<string>();

    /// <summary><see cref="Policies"/> as full paths.</summary>
    public IReadOnlyList<string> PolicyPaths => Source is null ? Policies : Policies.Select(p => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Source)!, p))).ToList();

    public static GitOpsConfig Default { get; } = new();

    /// <summary>The baseline file named by the config, resolved against the config's folder; null when none.</summary>
    public string? BaselinePath => Baseline is not null && Source is not null ? Path.Combine(Path.GetDirectoryName(Source)!, Baseline) : null;

    /// <summary>The trusted-keys file named by the config, resolved against the config's folder; null when none.</summary>
    public string? TrustedKeysPath => TrustedKeys is not null && Source is not null ? Path.Combine(Path.GetDirectoryName(Source)!, TrustedKeys) : null;

    /// <summary>
    /// The rules to run: <paramref name="include"/> (a -Rule parameter) or else the config's enabled list,
    /// minus <paramref name="exclude"/> and the config's disabled list.
    /// </summary>
    public Rules.RuleSelection Selection(IReadOnlyCollection<string>? include, IEnumerable<string>? exclude) => new()
    {
        Include = include ?? (EnabledRules.Count > 0 ? EnabledRules.ToArray() : null),
        Exclude = (exclude ?? Array.Empty<string>()).Concat(DisabledRules).ToArray(),
        AllowedRegistries = AllowedRegistries,
        RequireSignedCommits = TrustedKeys is not null,
    };

    /// <summary>The config at the root of <paramref name="directory"/>, or the defaults when there is none.</summary>
    public static GitOpsConfig ForDirectory(string directory)
    {
        string file = Path.Combine(directory, FileName);
        return File.Exists(file) ? Load(file) : Default;
    }

    /// <summary>
    /// The config that governs <paramref name="path"/>: .gitopssec.yaml in its folder (the path itself when it
    /// is one), or with <paramref name="repositoryRoot"/> at the top of the git repository that contains it.
    /// </summary>
    public static GitOpsConfig ForPath(string path, bool repositoryRoot = false)
    {
        string full = Path.GetFullPath(path);
        string folder = Directory.Exists(full) ? full : Path.GetDirectoryName(full) ?? full;
        return ForDirectory(repositoryRoot && Git.GitHistory.RepositoryRoot(folder) is string top ? top : folder);
    }

    /// <summary>The baseline to apply: <paramref name="explicitPath"/> when given, else the config's; null when neither names one.</summary>
    public Baseline? LoadBaseline(string? explicitPath) =>
        (explicitPath ?? BaselinePath) is string file ? Reports.Baseline.Load(file) : null;

    /// <summary>The line of each top-level setting in the file (for findings that point at a setting).</summary>
    public IReadOnlyDictionary<string, int> KeyLines { get; private init; } = new Dictionary<string, int>();

    /// <summary>
    /// Reads a config file; GitOpsSec.Config.Invalid with the line of the first problem. A <paramref name="confined"/>
    /// config (a repository's own) may name files only inside its folder: trustedKeys, baseline and policies with
    /// an absolute path or a ".." segment are refused. <paramref name="displayName"/> names it in errors (a revision).
    /// </summary>
    public static GitOpsConfig Load(string path, bool confined = true, string? displayName = null)
    {
        string shown = displayName ?? path;
        string text;
        try
        {
            text = GitOpsSec.Diagnostics.SafeFile.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(shown, 0, $"it could not be read: {e.Message}", e);
        }
        var errors = new List<ScanError>();
        YNode? root = YamlDocumentReader.Read(text, path, LoadLimits.Default, errors.Add).FirstOrDefault()?.Root;
        if (errors.Count > 0)
        {
            throw Invalid(shown, errors[0].Line ?? 0, errors[0].Message);
        }
        if (root is null)
        {
            return new GitOpsConfig { Source = path };
        }
        if (root is not YMapping map)
        {
            throw Invalid(shown, root.Line, "the file must be a mapping of settings");
        }
        foreach (var entry in map.Entries.Where(e => !KnownKeys.Contains(e.Key.Value)))
        {
            throw Invalid(shown, entry.Key.Line, $"unknown setting '{entry.Key.Value}' (known: {string.Join(", ", KnownKeys.Order())})");
        }
        YMapping? rules = map["rules"] as YMapping;
        if (map["rules"] is not null and not YMapping)
        {
            throw Invalid(shown, map["rules"]!.Line, "'rules' must be a mapping with enabled, disabled and severity");
        }
        var overrides = new Dictionary<string, Severity>(StringComparer.OrdinalIgnoreCase);
        if (rules?["severity"] is YMapping severities)
        {
            foreach (var (key, value) in severities.Entries)
            {
                RuleInfo rule = RuleCatalog.Find(key.Value) ?? throw Invalid(shown, key.Line, $"no rule has the id or name '{key.Value}'");
                overrides[rule.Id] = ParseEnum<Severity>(value, shown, "severity");
            }
        }
        foreach (var entry in rules?.Entries.Where(e => e.Key.Value is not ("enabled" or "disabled" or "severity")) ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
        {
            throw Invalid(shown, entry.Key.Line, $"unknown setting 'rules.{entry.Key.Value}' (known: enabled, disabled, severity)");
        }
        string? ticket = Scalar(map, "ticketPattern", shown);
        if (ticket is not null)
        {
            try
            {
                _ = GitOpsSec.Diagnostics.BoundedPattern.Compile(ticket);
            }
            catch (ArgumentException e)
            {
                throw Invalid(shown, map["ticketPattern"]!.Line, $"ticketPattern is not a valid regular expression: {e.Message}");
            }
        }
        return new GitOpsConfig
        {
            Source = path,
            Level = map["level"] is YNode level ? ParseEnum<PodSecurityLevel>(level, shown, "level") : PodSecurityLevel.Restricted,
            KubernetesVersion = Scalar(map, "kubernetesVersion", shown) is string kv
                ? GitOpsSec.Rules.PodSecurity.PodSecurityVersion.TryParse(kv) ?? throw new GitOpsSecOperationException(GitOpsSec.Rules.PodSecurity.PodSecurityVersion.InvalidVersionId,
                    ScanErrorCategory.InvalidData, $"{shown}:{map["kubernetesVersion"]!.Line}: kubernetesVersion '{kv}' must be v1.N, 1.N or latest", shown)
                : GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Latest,
            PodSecurityDefault = PodSecurityDefaultOf(map, shown),
            EnabledRules = RuleList(rules, "enabled", shown),
            DisabledRules = RuleList(rules, "disabled", shown),
            SeverityOverrides = overrides,
            Exclude = List(map, "exclude", shown),
            AllowedRegistries = List(map, "allowedRegistries", shown),
            TicketPattern = ticket ?? Default.TicketPattern,
            TrustedKeys = Confined(map, "trustedKeys", Scalar(map, "trustedKeys", shown), confined, shown),
            Baseline = Confined(map, "baseline", Scalar(map, "baseline", shown), confined, shown),
            FailOn = map["failOn"] is YNode failOn ? ParseEnum<Severity>(failOn, shown, "failOn") : null,
            KeyLines = map.Entries.ToDictionary(e => e.Key.Value, e => e.Key.Line, StringComparer.Ordinal),
            Policies = Confined(map, "policies", List(map, "policies", shown), confined, shown),
        };
    }

    /// <summary>Whether a path (relative to the repository root) is excluded by a glob (** any depth, * within a folder).</summary>
    public bool IsExcluded(string? relativePath) => ExcludedBy(relativePath) is not null;

    /// <summary>The exclude glob that matches <paramref name="relativePath"/>, or null.</summary>
    public string? ExcludedBy(string? relativePath)
    {
        if (relativePath is null)
        {
            return null;
        }
        for (int i = 0; i < ExcludeRegexes.Length; i++)
        {
            if (ExcludeRegexes[i].IsMatch(relativePath))
            {
                return Exclude[i];
            }
        }
        return null;
    }

    private Regex[]? _excludeRegexes;

    private Regex[] ExcludeRegexes => _excludeRegexes ??= Exclude.Select(GlobToRegex).ToArray();

    /// <summary>
    /// A finding with what this config does to it, visibly: in an excluded path it is kept as suppressed (SuppressedBy
    /// Config, the glob as reason), never dropped; a severity override keeps the rule's own severity in OriginalSeverity.
    /// </summary>
    public Finding Apply(Finding finding)
    {
        if (SeverityOverrides.TryGetValue(finding.RuleId, out Severity s) && s != finding.Severity)
        {
            finding = finding with { OriginalSeverity = finding.Severity, Severity = s };
        }
        if (!finding.Suppressed && ExcludedBy(finding.Path) is string glob)
        {
            finding = finding with { Suppressed = true, SuppressedBy = "Config", SuppressionReason = $"excluded by '{glob}' in {ToString()}" };
        }
        return finding;
    }

    public override string ToString() => Source ?? "(defaults)";

    private static Regex GlobToRegex(string glob)
    {
        string pattern = Regex.Escape(glob.Replace('\\', '/'))
            .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal);
        return GitOpsSec.Diagnostics.BoundedPattern.Compile("^" + pattern + "(/.*)?$");
    }

    private static (PodSecurityLevel, GitOpsSec.Rules.PodSecurity.PodSecurityVersion) PodSecurityDefaultOf(YMapping map, string shown)
    {
        if (map["podSecurityDefault"] is not YNode node)
        {
            return (PodSecurityLevel.None, GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Latest);
        }
        if (node is not YMapping setting || setting.Entries.Any(e => e.Key.Value is not ("level" or "version")))
        {
            throw Invalid(shown, node.Line, "podSecurityDefault must be a mapping with level (privileged, baseline, restricted) and version (v1.N or latest)");
        }
        string levelText = setting.Text("level") ?? "privileged";
        PodSecurityLevel level = GitOpsSec.Rules.PodSecurity.PodSecurityAdmission.ParseLevel(levelText)
            ?? throw Invalid(shown, setting["level"]!.Line, $"podSecurityDefault.level '{levelText}' must be privileged, baseline or restricted");
        string versionText = setting.Text("version") ?? "latest";
        var version = GitOpsSec.Rules.PodSecurity.PodSecurityVersion.TryParse(versionText)
            ?? throw Invalid(shown, setting["version"]!.Line, $"podSecurityDefault.version '{versionText}' must be v1.N, 1.N or latest");
        return (level, version);
    }

    private static IReadOnlyList<string> Confined(YMapping map, string key, IReadOnlyList<string> paths, bool confined, string shown)
    {
        foreach (string p in paths)
        {
            _ = Confined(map, key, p, confined, shown);
        }
        return paths;
    }

    /// <summary>A file named by a repository's config must stay inside the repository: no absolute path, no ".." segment.</summary>
    private static string? Confined(YMapping map, string key, string? path, bool confined, string shown)
    {
        if (confined && path is not null &&
            (Path.IsPathRooted(path) || path.StartsWith('~') || path.Replace('\\', '/').Split('/').Contains("..")))
        {
            throw new GitOpsSecOperationException("GitOpsSec.Config.OutsideRepository", ScanErrorCategory.InvalidData,
                $"{shown}:{map[key]!.Line}: '{key}' names '{path}', which is outside the repository; a repository's config may only name files inside it (give other files as parameters or in the user config).", shown);
        }
        return path;
    }

    private static IReadOnlyList<string> RuleList(YMapping? rules, string key, string path)
    {
        var list = List(rules, key, path);
        foreach (string pattern in list)
        {
            if (!RuleCatalog.Rules.Any(r => RuleSelection.NameMatches(pattern, r)))
            {
                throw Invalid(path, rules![key]!.Line, $"rules.{key}: no rule matches '{pattern}'");
            }
        }
        return list;
    }

    private static IReadOnlyList<string> List(YMapping? map, string key, string path) => map?[key] switch
    {
        null => Array.Empty<string>(),
        YSequence seq when seq.Items.All(i => i is YScalar) => seq.Items.Cast<YScalar>().Select(s => s.Value).ToArray(),
        YNode other => throw Invalid(path, other.Line, $"'{key}' must be a list of strings"),
    };

    private static string? Scalar(YMapping map, string key, string path) => map[key] switch
    {
        null => null,
        YScalar s => s.Value,
        YNode other => throw Invalid(path, other.Line, $"'{key}' must be a string"),
    };

    private static T ParseEnum<T>(YNode node, string path, string what) where T : struct, Enum =>
        node is YScalar s && Enum.TryParse(s.Value, ignoreCase: true, out T value) && Enum.IsDefined(value)
            ? value
            : throw Invalid(path, node.Line, $"{what} must be one of {string.Join(", ", Enum.GetNames<T>())}");

    private static GitOpsSecOperationException Invalid(string path, int line, string message, Exception? inner = null) =>
        new("GitOpsSec.Config.Invalid", ScanErrorCategory.InvalidData,
            $"{path}{(line > 0 ? ":" + line : string.Empty)}: {message}", path, inner);
}
