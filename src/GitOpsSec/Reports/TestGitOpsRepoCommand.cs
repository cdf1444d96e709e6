using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Reports;
using GitOpsSec.Rules;
using GitOpsSec.Secrets;

namespace GitOpsSec.Commands.Reports;

/// <summary>
/// Test-GitOpsRepo: every analysis over a repository (manifest rules with overlays rendered, Pod
/// Security Standards, plaintext Secrets, RBAC and network policy rules, and the secret scan of the
/// files, optionally of the whole history), with baselines, a summary and a -FailOn policy that makes
/// a CI job or runbook fail.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "GitOpsRepo", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Finding), typeof(RepoSummary))]
public sealed class TestGitOpsRepoCommand : RuleSelectionCmdlet
{
    /// <summary>The summary's counts, kept as findings stream out (the findings themselves are not kept).</summary>
    private readonly RepoSummary.Tally _tally = new();
    private ManifestAnalyzer? _analyzer;
    private Baseline? _baseline;
    private GitOpsConfig _config = GitOpsConfig.Default;
    private ProtectedPolicy? _protected;

    /// <summary>Fail when open findings at or above this severity remain: after every result, the non-terminating error GitOpsSec.Policy.Failed ($? is false); with -EnableExit the process exits with 3. Default: failOn in .gitopssec.yaml, else no policy (the verdict is NoPolicy).</summary>
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical", IgnoreCase = true)]
    public string? FailOn { get; set; }

    /// <summary>For CI: after writing every result, make the hosting process (pwsh -File, a runbook job) exit with 3 when the policy failed, 1 when errors were written, else 0.</summary>
    [Parameter]
    public SwitchParameter EnableExit { get; set; }

    /// <summary>Emit one summary object instead of the findings.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>A baseline from Export-GitOpsBaseline: its findings are marked Baselined and do not fail the run.</summary>
    [Parameter]
    public string? Baseline { get; set; }

    /// <summary>The configuration file; by default .gitopssec.yaml at the root of the (first) path.</summary>
    [Parameter]
    public string? Config { get; set; }

    /// <summary>Also scan what every commit of the git history adds for secrets (Find-GitOpsSecret -History), not only the files.</summary>
    [Parameter]
    public SwitchParameter History { get; set; }

    /// <summary>
    /// Also check the provenance of these commits (from..to, e.g. origin/main..HEAD): signatures against the
    /// trustedKeys of .gitopssec.yaml and ticket references against its ticketPattern (rules GOS4001-GOS4004).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Range { get; set; }

    /// <summary>Trivy or Grype JSON reports: their vulnerabilities in images the repository deploys become findings (GOS8001).</summary>
    [Parameter]
    public string[]? VulnerabilityReport { get; set; }

    /// <summary>
    /// Take the settings (trusted keys, failOn, exclude, rules, baseline, policies) from .gitopssec.yaml at this
    /// protected revision (e.g. origin/main), not from the change under review; every setting the working tree's
    /// config weakens relative to it is a finding (GOS4005).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PolicyRevision { get; set; }

    /// <summary>Skip the secret scan (manifest, RBAC and network rules only).</summary>
    [Parameter]
    public SwitchParameter NoSecretScan { get; set; }

    private readonly List<string> _roots = new();

    /// <summary>Manifest objects analysed and files the secret scan read: nothing scanned is never a pass.</summary>
    private long _scanned;

    protected override void BeginProcessing()
    {
        try
        {
            // A config that cannot be read stops the run: scanning with other rules than the repository asks for would mislead.
            string root = SessionState.Path.GetUnresolvedProviderPathFromPSPath((ParameterSetName == LiteralPathSet ? LiteralPath : Path)?.FirstOrDefault() ?? ".");
            _protected = PolicyRevision is not null
                ? ProtectedPolicy.FromRevision(root, PolicyRevision, ScanHost) ?? throw new GitOpsSecOperationException(ErrorIds.RevisionNotFound,
                    ScanErrorCategory.InvalidArgument, $"-PolicyRevision '{PolicyRevision}' could not be read, so the protected settings are unknown.", PolicyRevision)
                : Config is not null ? ProtectedPolicy.FromFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Config)) : null;
            _config = _protected?.Config ?? GitOpsConfig.ForPath(root);
            WriteVerbose($"Configuration: {_protected?.Origin ?? _config.ToString()}");
            _analyzer = CreateAnalyzer(_config);
            // Objects no repository rule reads are not kept to the end; the few scans whose rules need them all read them again.
            _analyzer.Reread = ReadManifestsAgain;
            if (PolicyRevision is not null)
            {
                ReportWeakenings(root);
            }
            LoadPolicies(_config);
            string? baseline = Baseline is not null ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(Baseline) : _config.BaselinePath;
            _baseline = _config.LoadBaseline(baseline);
            if (_baseline is not null)
            {
                WriteVerbose($"Baseline {baseline}: {_baseline.Count} accepted finding(s)");
                if (_baseline.KeyMismatch(baseline!) is string mismatch)
                {
                    WriteWarning(mismatch);
                }
            }
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
        }
    }

    protected override void ProcessRecord() => RunCancellable(() =>
    {
        bool literal = ParameterSetName == LiteralPathSet;
        _roots.AddRange(PathResolver.Resolve(this, new CollectingHost(), literal ? LiteralPath : Path ?? new[] { "." }, literal));
        int read = 0;
        // Objects are read on this thread and checked on the thread pool a batch at a time while the next are read;
        // findings come out in object order, each object's rule findings before its Kyverno findings.
        IEnumerable<ManifestObject> counted = ReadManifests().Select(obj =>
        {
            _scanned++;
            if (++read % 100 == 0)
            {
                WriteProgress(new ProgressRecord(2, "Test-GitOpsRepo", $"{read} objects read") { PercentComplete = -1 });
            }
            return obj;
        });
        foreach (var (obj, findings) in _analyzer!.AnalyzeStream(counted))
        {
            Emit(findings);
            Emit(KyvernoFindings(_analyzer, obj));
        }
    });

    protected override void EndProcessing()
    {
        // The objects have streamed through; what the repository rules read is what was kept. The garbage of the
        // stream (files read and parsed ahead, checks in flight) is given back before those rules allocate.
        GiveBackBetweenPhases();
        RunCancellable(() =>
        {
            Emit(_analyzer!.AnalyzeRepository());
            WriteVerbose($"Repository rules: {_analyzer.NotKept} object(s) no repository rule reads were not kept, " +
                $"{_analyzer.Compacted} workload(s) were kept compact (their Pod Security verdicts at every level and version, not their pod spec)" +
                (_analyzer.ReadAgain ? "; the repository holds admission or image-verification policies, so every object was read again for them." : "."));
            Emit(DeferredKyvernoFindings(_analyzer));
        });
        // The repository rules are done with what they kept: given back before the secret scan allocates as it reads every file.
        GiveBackBetweenPhases();
        if (!NoSecretScan && Revision is null)
        {
            RunCancellable(ScanSecrets);
        }
        if (Range is not null)
        {
            RunCancellable(CheckProvenance);
        }
        if (VulnerabilityReport is { Length: > 0 })
        {
            RunCancellable(ImportVulnerabilities);
        }
        _protected?.Dispose();
        Severity? threshold = FailOn is null ? _config.FailOn : Enum.Parse<Severity>(FailOn, ignoreCase: true);
        RepoSummary summary = _tally.ToSummary(threshold, _config.DisabledRules, (int)Math.Min(_scanned, int.MaxValue));
        if (summary.Scanned == 0)
        {
            WriteWarning("Nothing was scanned: no manifest object and no file under the path(s) given" +
                (Revision is not null ? "" : " (or the path does not exist)") + ". The verdict is NotScanned, never Passed.");
        }
        if (summary.SuppressedByConfig > 0 || summary.Downgraded > 0 || summary.DisabledRules.Count > 0)
        {
            WriteWarning($"The configuration ({_protected?.Origin ?? _config.ToString()}) suppressed {summary.SuppressedByConfig} finding(s) by exclude, " +
                $"lowered the severity of {summary.Downgraded} and disabled {summary.DisabledRules.Count} rule(s); each suppressed finding carries SuppressedBy Config and its reason.");
        }
        if (Summary)
        {
            WriteObject(summary);
        }
        CompletePolicy(summary.PolicyFailed, () =>
            (summary.Failing > 0 ? $"{summary.Failing} open finding(s) at or above {threshold}" : "nothing was scanned, so the policy cannot be met") + $": {summary}",
            summary, EnableExit);
    }

    /// <summary>
    /// On a monorepo (more than 10,000 objects streamed), one compacting collection between phases, so that the next
    /// phase does not grow the process past the garbage the last one left (100,000 manifests: a peak of 257-268 MB
    /// instead of 288-297 MB without the secret scan; 0.05-0.17 s each).
    /// </summary>
    private void GiveBackBetweenPhases()
    {
        if (_analyzer!.NotKept + _analyzer.Compacted > 10_000)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }

    /// <summary>Every setting of the working tree's config that is weaker than the protected one, as a GOS4005 finding.</summary>
    private void ReportWeakenings(string root)
    {
        GitOpsConfig head;
        try
        {
            head = GitOpsConfig.ForPath(root);
        }
        catch (GitOpsSecOperationException e)
        {
            // A head config that cannot be read changes nothing: the protected one applies.
            WriteError(ToErrorRecord(e.ToScanError()));
            return;
        }
        if (_config.Selection(Rule, ExcludeRule).Selects(GitOpsSec.Git.ProvenanceRules.PolicyWeakened))
        {
            Emit(_protected!.WeakeningsIn(head).Select(w => GitOpsSec.Git.ProvenanceRules.ToFinding(w.Setting, w.Line, w.What, _protected.Origin)));
        }
    }

    /// <summary>The secret scan over the same paths, as findings. GOS2150 (a plaintext Secret value) is left to GOS2001 unless asked for by -Rule.</summary>
    private void ScanSecrets()
    {
        RuleSelection selection = _config.Selection(Rule, (ExcludeRule ?? Array.Empty<string>())
            .Concat(Rule is null && _analyzer!.ActiveRules.Any(r => r.Id == "GOS2001") ? new[] { SecretDetectorCatalog.KubernetesSecretValueId } : Array.Empty<string>()));
        var scanner = SecretScanner.For(selection);
        if (scanner.Detectors.Count == 0 || _roots.Count == 0)
        {
            return;
        }
        var options = new SecretScanOptions { Scanner = scanner, Config = _config };
        var stats = new SecretScanStatistics();
        WriteProgress(new ProgressRecord(2, "Test-GitOpsRepo", "Scanning files for secrets") { PercentComplete = -1 });
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Emit(SecretSearch.ScanPaths(_roots, options, ScanHost, stats).Where(f => seen.Add(f.Fingerprint)).Select(f => f.ToFinding()));
        if (History)
        {
            string? top = GitOpsSec.Git.GitHistory.RepositoryRoot(_roots[0]);
            if (top is null)
            {
                WriteWarning($"-History: '{_roots[0]}' is not inside a git repository; only the files were scanned for secrets.");
            }
            else
            {
                WriteProgress(new ProgressRecord(2, "Test-GitOpsRepo", "Scanning the git history for secrets") { PercentComplete = -1 });
                // A leak still in the files is reported once, from the files.
                Emit(SecretSearch.ScanHistory(top, new HistoryOptions(), options, ScanHost, stats).Where(f => seen.Add(f.Fingerprint)).Select(f => f.ToFinding()));
            }
        }
        WriteVerbose($"Secret scan: {stats}");
        _scanned += stats.FilesScanned;
    }

    /// <summary>Signatures and commit messages of -Range as findings (GOS4001-GOS4004).</summary>
    private void CheckProvenance()
    {
        string start = _roots.Count > 0 ? _roots[0] : SessionState.Path.CurrentFileSystemLocation.Path;
        string? root = GitOpsSec.Git.GitHistory.RepositoryRoot(start);
        if (root is null)
        {
            WriteError(ToErrorRecord(new ScanError(ErrorIds.NotARepository, ScanErrorCategory.ObjectNotFound, $"-Range: '{start}' is not inside a git repository.", start)));
            return;
        }
        RuleSelection selection = _config.Selection(Rule, ExcludeRule);
        GitOpsSec.Git.SignatureTrust trust;
        try
        {
            trust = GitOpsSec.Git.SignatureTrust.FromSources(Array.Empty<string>(), _protected, root, ScanHost);
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
            return;
        }
        WriteVerbose(trust.Origin is null ? "-Range: no key is trusted." : $"-Range: trusted keys from {trust.Origin}");
        WriteProgress(new ProgressRecord(2, "Test-GitOpsRepo", $"Checking commits {Range}") { PercentComplete = -1 });
        bool signatures = GitOpsSec.Git.ProvenanceRules.All.Take(3).Any(selection.Selects);
        if (signatures)
        {
            Emit(GitOpsSec.Git.CommitSignatures.Verify(root, Range, null, null, null, trust, includeTags: false, ScanHost)
                .Select(GitOpsSec.Git.ProvenanceRules.ToFinding).OfType<Finding>().Where(f => selection.Selects(RuleCatalog.Find(f.RuleId)!)));
        }
        if (selection.Selects(GitOpsSec.Git.ProvenanceRules.MissingTicket))
        {
            var pattern = GitOpsSec.Git.CommitMessagePolicy.Compile(_config.TicketPattern);
            Emit(GitOpsSec.Git.CommitMessagePolicy.CheckHistory(root, Range, null, null, null, pattern, excludeMerges: true, ScanHost)
                .Select(GitOpsSec.Git.ProvenanceRules.ToFinding).OfType<Finding>());
        }
    }

    private void ImportVulnerabilities()
    {
        var vulnerabilities = new List<ImageVulnerability>();
        foreach (string report in VulnerabilityReport!)
        {
            try
            {
                vulnerabilities.AddRange(VulnerabilityReports.Read(SessionState.Path.GetUnresolvedProviderPathFromPSPath(report)));
            }
            catch (GitOpsSecOperationException e)
            {
                WriteError(ToErrorRecord(e.ToScanError()));
            }
        }
        string start = _roots.Count > 0 ? _roots[0] : SessionState.Path.CurrentFileSystemLocation.Path;
        if (_config.Selection(Rule, ExcludeRule).Selects(VulnerabilityReports.Rule))
        {
            Emit(VulnerabilityReports.ToFindings(vulnerabilities, VulnerabilityImport.Images(start, ScanHost)));
        }
    }

    private void Emit(IEnumerable<Finding> findings)
    {
        foreach (Finding found in findings)
        {
            // Findings about a file rather than an object (a secret in a file) get the units that deploy the file.
            Finding raw = found.Applications.Length == 0 && found.Path is string path && found.Commit is null
                ? found with { Applications = ApplicationModels.Select(m => m.UnitsForFile(path)).FirstOrDefault(u => u.Count > 0)?.Select(u => u.Id).ToArray() ?? Array.Empty<string>() }
                : found;
            if (Application is { Length: > 0 } && !SelectsUnits(raw.Applications))
            {
                continue; // -Application: only what the chosen units deploy
            }
            Finding configured = _config.Apply(raw);
            Finding finding = _baseline?.Apply(configured) ?? configured;
            _tally.Add(finding);
            if (!Summary)
            {
                WriteObject(finding);
            }
        }
    }
}
