using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Reports;
using GitOpsSec.Rules;
using GitOpsSec.Secrets;

namespace GitOpsSec.Commands.Secrets;

/// <summary>
/// Find-GitOpsSecret: leaked credentials in files (the working tree), in what the next commit records
/// (-Staged) or in what every commit of the history adds (-History). Values are redacted unless -ShowSecret.
/// </summary>
[Cmdlet(VerbsCommon.Find, "GitOpsSecret", DefaultParameterSetName = FilesSet)]
[OutputType(typeof(SecretFinding))]
public sealed class FindGitOpsSecretCommand : GitOpsCmdlet
{
    private const string FilesSet = "Files";
    private const string StagedSet = "Staged";
    private const string HistorySet = "History";

    private readonly List<string> _paths = new();

    /// <summary>Files or folders (wildcards allowed); for -Staged and -History a folder inside the repository. Default: the current folder.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>Scan what `git commit` would record (the index), not the working files: the pre-commit check.</summary>
    [Parameter(Mandatory = true, ParameterSetName = StagedSet)]
    public SwitchParameter Staged { get; set; }

    /// <summary>Scan what every commit of the history adds (the lines each commit adds to each file, with three lines of context, as git log -p shows them); findings name the commit that introduced them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = HistorySet)]
    public SwitchParameter History { get; set; }

    /// <summary>History: only commits in this range (from..to).</summary>
    [Parameter(ParameterSetName = HistorySet)]
    [ValidateNotNullOrEmpty]
    public string? Range { get; set; }

    /// <summary>History: only commits reachable from this revision (default: every branch, tag and remote ref).</summary>
    [Parameter(ParameterSetName = HistorySet)]
    [ValidateNotNullOrEmpty]
    public string? Revision { get; set; }

    /// <summary>History: only commits committed on or after this date.</summary>
    [Parameter(ParameterSetName = HistorySet)]
    public DateTime? Since { get; set; }

    /// <summary>History: only the newest N commits.</summary>
    [Parameter(ParameterSetName = HistorySet)]
    [ValidateRange(1, int.MaxValue)]
    public int? MaxCount { get; set; }

    /// <summary>Only these detectors (ids or names, wildcards allowed; Get-GitOpsRule -Category Secrets lists them).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(SecretRuleCompleter))]
    public string[]? Rule { get; set; }

    /// <summary>Not these detectors.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(SecretRuleCompleter))]
    public string[]? ExcludeRule { get; set; }

    /// <summary>Drop findings below this confidence (Low: keyword + entropy; Medium; High: format or checksum proven).</summary>
    [Parameter]
    [ValidateSet("Low", "Medium", "High", IgnoreCase = true)]
    public string MinConfidence { get; set; } = "Low";

    /// <summary>A baseline from Export-GitOpsBaseline: findings in it are marked Baselined and do not fail -FailOn.</summary>
    [Parameter]
    public string? Baseline { get; set; }

    /// <summary>The configuration file; by default .gitopssec.yaml at the root of the (first) path or repository.</summary>
    [Parameter]
    public string? Config { get; set; }

    /// <summary>Put the clear value in the Secret property. Think twice: output ends up in logs.</summary>
    [Parameter]
    public SwitchParameter ShowSecret { get; set; }

    /// <summary>Also emit findings suppressed by an inline gitopssec:allow comment.</summary>
    [Parameter]
    public SwitchParameter IncludeSuppressed { get; set; }

    /// <summary>Files (or blobs) larger than this many bytes are not scanned and reported as errors. Default 10 MiB.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaxFileSize { get; set; } = SecretScanOptions.DefaultMaxFileSize;

    /// <summary>Fail when open findings at or above this severity remain: after every finding, the non-terminating error GitOpsSec.Policy.Failed ($? is false); with -EnableExit the process exits with 3.</summary>
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical", IgnoreCase = true)]
    public string? FailOn { get; set; }

    /// <summary>For CI: after writing every finding, make the hosting process exit with 3 when -FailOn failed, 1 when errors were written, else 0.</summary>
    [Parameter]
    public SwitchParameter EnableExit { get; set; }

    /// <summary>
    /// Only secrets in files that these deployment units deploy (ids such as Kustomization/flux-system/apps, or unit
    /// names; wildcards; "(none)" for files no unit deploys). Each finding then carries its Applications.
    /// </summary>
    [Parameter(ParameterSetName = FilesSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ApplicationCompleter))]
    public string[]? Application { get; set; }

    /// <summary>Also scan files git ignores (.gitignore, .git/info/exclude); by default they are skipped, as git and ripgrep skip them. Files git tracks are always scanned.</summary>
    [Parameter(ParameterSetName = FilesSet)]
    public SwitchParameter NoIgnore { get; set; }

    protected override void ProcessRecord() => _paths.AddRange(Path is { Length: > 0 } ? Path : new[] { "." });

    protected override void EndProcessing()
    {
        var resolved = PathResolver.Resolve(this, ScanHost, _paths.ToArray(), literal: false).ToList();
        if (resolved.Count == 0)
        {
            return;
        }
        GitOpsConfig config;
        Baseline? baseline;
        try
        {
            config = Config is not null ? GitOpsConfig.Load(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Config), confined: false)
                : GitOpsConfig.ForPath(resolved[0], repositoryRoot: ParameterSetName != FilesSet);
            baseline = config.LoadBaseline(Baseline is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Baseline));
            if (baseline?.KeyMismatch(Baseline ?? config.BaselinePath ?? string.Empty) is string mismatch)
            {
                WriteWarning(mismatch);
            }
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
            return;
        }
        RuleSelection selection = config.Selection(Rule, ExcludeRule);
        foreach (string name in (Rule ?? Array.Empty<string>()).Concat(ExcludeRule ?? Array.Empty<string>()))
        {
            if (!SecretDetectorCatalog.Detectors.Any(d => RuleSelection.NameMatches(name, d.Info)))
            {
                WriteError(ToErrorRecord(new ScanError(ErrorIds.RuleNotFound, ScanErrorCategory.InvalidArgument,
                    $"No secret detector has the id or name '{name}'. Get-GitOpsRule -Category Secrets lists them.", name)));
            }
        }
        var options = new SecretScanOptions
        {
            Scanner = SecretScanner.For(selection),
            MaxFileSize = MaxFileSize,
            ShowSecret = ShowSecret,
            MinConfidence = Enum.Parse<SecretConfidence>(MinConfidence, ignoreCase: true),
            Config = config,
            Baseline = baseline,
            NoIgnore = NoIgnore,
        };
        var stats = new SecretScanStatistics();
        var findings = new List<SecretFinding>();
        RunCancellable(() =>
        {
            IEnumerable<SecretFinding> scan = ParameterSetName switch
            {
                StagedSet => SecretSearch.ScanIndex(resolved[0], options, ScanHost, stats),
                HistorySet => SecretSearch.ScanHistory(resolved[0], new HistoryOptions
                {
                    Range = Range,
                    Revision = Revision,
                    Since = Since is DateTime since ? new DateTimeOffset(since) : null,
                    MaxCount = MaxCount,
                }, options, ScanHost, stats),
                _ => SecretSearch.ScanPaths(resolved, options, ScanHost, stats),
            };
            var applications = new ApplicationFilter(Application);
            var models = applications.Active ? Models(resolved) : null;
            foreach (SecretFinding found in scan)
            {
                SecretFinding finding = found;
                if (models is not null)
                {
                    string[] units = models.Select(m => m.UnitsForFile(found.Path)).FirstOrDefault(u => u.Count > 0)?.Select(u => u.Id).ToArray() ?? Array.Empty<string>();
                    if (!applications.Selects(units))
                    {
                        continue;
                    }
                    finding = found with { Applications = units };
                }
                findings.Add(finding);
                if (!finding.Suppressed || IncludeSuppressed)
                {
                    WriteObject(finding);
                }
            }
        });
        WriteVerbose($"Secret scan: {stats}; {findings.Count} finding(s), {findings.Count(f => f.Suppressed)} suppressed inline, {findings.Count(f => f.Baselined)} baselined");
        Severity? threshold = FailOn is null ? null : Enum.Parse<Severity>(FailOn, ignoreCase: true);
        int failing = threshold is null ? 0 : findings.Count(f => f.IsOpen && f.Severity >= threshold);
        CompletePolicy(failing > 0, () =>
            $"{failing} open secret finding(s) at or above {threshold}. Remove them (and revoke the credentials), suppress a false positive with a gitopssec:allow comment, or accept it in a baseline.",
            failing, EnableExit);
    }

    /// <summary>The application model of each folder scanned (for -Application); a pattern that names no unit is an error.</summary>
    private List<GitOpsSec.Applications.ApplicationModel> Models(IEnumerable<string> roots)
    {
        var models = new List<GitOpsSec.Applications.ApplicationModel>();
        var filter = new ApplicationFilter(Application);
        foreach (string root in roots.Where(Directory.Exists))
        {
            var model = GitOpsSec.Applications.ApplicationModel.ForFolder(root, ScanHost);
            models.Add(model);
            foreach (ScanError error in filter.Unmatched(model, root))
            {
                WriteError(ToErrorRecord(error));
            }
        }
        return models;
    }
}
