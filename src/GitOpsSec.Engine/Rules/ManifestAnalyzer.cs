using System.Security.Cryptography;
using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rules.PodSecurity;

namespace GitOpsSec.Rules;

/// <summary>Which rules run: a Pod Security Standards level plus include/exclude lists of ids or names.</summary>
public sealed record RuleSelection
{
    /// <summary>Baseline runs the Baseline controls; Restricted runs both (the standard is cumulative).</summary>
    public PodSecurityLevel Level { get; init; } = PodSecurityLevel.Restricted;

    /// <summary>The Kubernetes version whose Pod Security checks apply (-KubernetesVersion, kubernetesVersion:); latest by default.</summary>
    public PodSecurityVersion KubernetesVersion { get; init; } = PodSecurityVersion.Latest;

    /// <summary>When set, only these rules (ids or names) run.</summary>
    public IReadOnlyCollection<string>? Include { get; init; }

    public IReadOnlyCollection<string> Exclude { get; init; } = Array.Empty<string>();

    /// <summary>What a namespace the repository does not define enforces (podSecurityDefault:); a stock cluster: privileged, latest.</summary>
    public (PodSecurityLevel Level, PodSecurityVersion Version) PodSecurityDefault { get; init; } = (PodSecurityLevel.None, PodSecurityVersion.Latest);

    /// <summary>Registries images may come from (GOS6003); empty: no registry policy.</summary>
    public IReadOnlyList<string> AllowedRegistries { get; init; } = Array.Empty<string>();

    /// <summary>The repository requires signed commits (trustedKeys is configured): GitOps controllers must verify them (GOS7006).</summary>
    public bool RequireSignedCommits { get; init; }

    internal bool Selects(RuleInfo rule)
    {
        bool Matches(string s) => NameMatches(s, rule);
        if (Exclude.Any(Matches))
        {
            return false;
        }
        if (Include is { Count: > 0 } && !Include.Any(Matches))
        {
            return false;
        }
        return rule.Level == PodSecurityLevel.None || rule.Level <= Level;
    }

    /// <summary>An id or name, case-insensitive, with * and ? wildcards (GOS3*, rbac-*).</summary>
    internal static bool NameMatches(string pattern, RuleInfo rule)
    {
        return GitOpsSec.Diagnostics.BoundedPattern.Wildcard(pattern, rule.Id, ignoreCase: true) ||
               GitOpsSec.Diagnostics.BoundedPattern.Wildcard(pattern, rule.Name, ignoreCase: true);
    }
}

/// <summary>
/// Runs the selected rules over objects and turns violations into findings: message from the
/// catalog, line of the field, a fingerprint, and suppressions from annotations
/// <c>gitopssec.io/suppress.&lt;rule id or name&gt;: &lt;reason&gt;</c> on the object or its pod template.
/// </summary>
public sealed class ManifestAnalyzer
{
    public const string SuppressionPrefix = "gitopssec.io/suppress.";

    private readonly IScanHost _host;
    private readonly List<(RuleInfo Info, IRule Rule)> _rules;
    private readonly List<ManifestObject> _seen = new();

    private readonly RuleSelection _selection;

    public ManifestAnalyzer(RuleSelection selection, IScanHost host)
    {
        _host = host;
        _selection = selection;
        var byId = RuleCatalog.Implementations.ToDictionary(r => r.Id, StringComparer.Ordinal);
        _rules = RuleCatalog.ManifestRules
            .Where(selection.Selects)
            .Select(info => (info, byId[info.Id] is IConfigurableRule configurable ? configurable.Configure(selection) : byId[info.Id]))
            .ToList();
        foreach (string name in (selection.Include ?? Array.Empty<string>()).Concat(selection.Exclude))
        {
            if (!RuleCatalog.Rules.Any(r => RuleSelection.NameMatches(name, r)))
            {
                host.Error(new ScanError(ErrorIds.RuleNotFound, ScanErrorCategory.InvalidArgument,
                    $"No rule has the id or name '{name}'. Get-GitOpsRule lists them.", name));
            }
        }
    }

    public IReadOnlyList<RuleInfo> ActiveRules => _rules.Select(r => r.Info).ToList();

    /// <summary>Findings of the per-object rules; the object is also kept for <see cref="AnalyzeRepository"/>.</summary>
    public IEnumerable<Finding> Analyze(ManifestObject obj)
    {
        Remember(obj);
        return Evaluate(obj, _host.Error);
    }

    /// <summary>
    /// <see cref="Analyze(ManifestObject)"/> for a stream of objects, checked on the thread pool a batch at a time
    /// while this thread takes the next objects from <paramref name="objects"/> (a loader attaching each to its
    /// application in order). Per object, in order: its findings, preceded by the errors checking it reported, which
    /// reach the host on this thread, as a PowerShell host requires. A batch comes out as soon as it is checked; the
    /// first batches are small, so the first findings are out while the scan has read little; at most
    /// <see cref="Environment.ProcessorCount"/> batches are in flight. The per-object rules read only their object.
    /// </summary>
    public IEnumerable<(ManifestObject Object, IEnumerable<Finding> Findings)> AnalyzeStream(IEnumerable<ManifestObject> objects)
    {
        bool remember = HasRepositoryRules;
        var inFlight = new Queue<(List<ManifestObject> Batch, Task<Checked[]> Work)>();
        int size = FirstBatch, most = Math.Max(1, Environment.ProcessorCount);
        var batch = new List<ManifestObject>(size);
        try
        {
            foreach (ManifestObject obj in objects)
            {
                batch.Add(obj);
                if (batch.Count == size)
                {
                    inFlight.Enqueue((batch, Start(batch, remember)));
                    size = Math.Min(2 * size, LastBatch);
                    batch = new List<ManifestObject>(size);
                }
                // What is checked comes out now; past the bound, this thread waits for the oldest batch.
                while (inFlight.Count > 0 && (inFlight.Count > most || inFlight.Peek().Work.IsCompleted))
                {
                    foreach (var done in Finish(inFlight.Dequeue(), remember))
                    {
                        yield return done;
                    }
                }
            }
            if (batch.Count > 0)
            {
                inFlight.Enqueue((batch, Start(batch, remember)));
            }
            while (inFlight.Count > 0)
            {
                foreach (var done in Finish(inFlight.Dequeue(), remember))
                {
                    yield return done;
                }
            }
        }
        finally
        {
            foreach (var (_, work) in inFlight)
            {
                try
                {
                    work.Wait(); // a stopped pipeline leaves no check running behind it
                }
                catch (Exception e) when (e is AggregateException or OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>
    /// Objects in the first batch of <see cref="AnalyzeStream"/>; each next batch is twice as large, up to <see cref="LastBatch"/>.
    /// Batches in flight are alive through every young-generation collection, which copies them: batches of 128
    /// objects made the collector's pauses 1.9-2.1 s of a 100,000-manifest scan, batches of 32 1.3-1.4 s.
    /// </summary>
    internal const int FirstBatch = 8, LastBatch = 32;

    /// <summary>One object checked on the thread pool: its findings, the errors checking it reported, and what the repository rules keep of it.</summary>
    private readonly record struct Checked(List<Finding> Findings, List<ScanError> Errors, ManifestObject? Kept);

    private Task<Checked[]> Start(List<ManifestObject> batch, bool remember) => Task.Run(() =>
    {
        var results = new Checked[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            _host.Cancellation.ThrowIfCancellationRequested();
            var errors = new List<ScanError>();
            results[i] = new Checked(Evaluate(batch[i], errors.Add).ToList(), errors,
                remember ? ToKeep(batch[i]) : null);
        }
        return results;
    }, _host.Cancellation);

    private IEnumerable<(ManifestObject Object, IEnumerable<Finding> Findings)> Finish((List<ManifestObject> Batch, Task<Checked[]> Work) flight, bool remember)
    {
        Checked[] results = flight.Work.GetAwaiter().GetResult();
        for (int i = 0; i < results.Length; i++)
        {
            if (remember)
            {
                Keep(results[i].Kept); // in object order, on this thread
            }
            yield return (flight.Batch[i], Replay(results[i].Errors, results[i].Findings));
        }
    }

    private IEnumerable<Finding> Replay(List<ScanError> errors, List<Finding> findings)
    {
        foreach (ScanError error in errors)
        {
            _host.Error(error);
        }
        return findings;
    }

    /// <summary>
    /// Reads every object of the scan again (quietly), for the repository rules when what the scan kept is not enough
    /// (<see cref="RepositoryNeeds"/>). When set, objects no repository rule reads are not kept; when null, every object is.
    /// </summary>
    public Func<IEnumerable<ManifestObject>>? Reread { get; set; }

    /// <summary>Objects not kept because no repository rule reads them (counted, for the verbose line and tests).</summary>
    public long NotKept { get; private set; }

    /// <summary>Whether the repository rules had to read every object again (the repository holds admission policies).</summary>
    public bool ReadAgain { get; private set; }

    private void Remember(ManifestObject obj)
    {
        if (HasRepositoryRules)
        {
            Keep(ToKeep(obj));
        }
    }

    private bool HasRepositoryRules => _rules.Any(r => r.Rule is IRepositoryRule);

    /// <summary>What the repository rules keep of an object: the object, or with <see cref="Reread"/> set only what they read (<see cref="RepositoryNeeds.Kept"/>).</summary>
    private ManifestObject? ToKeep(ManifestObject obj) => Reread is null ? obj : RepositoryNeeds.Kept(obj);

    private void Keep(ManifestObject? kept)
    {
        if (kept is null)
        {
            NotKept++;
            return;
        }
        Compacted += kept.IsCompact ? 1 : 0;
        _seen.Add(kept);
    }

    /// <summary>Workloads kept as a compact copy (<see cref="RepositoryNeeds.Kept"/>).</summary>
    public long Compacted { get; private set; }

    private IEnumerable<Finding> Evaluate(ManifestObject obj, Action<ScanError> error)
    {
        Dictionary<string, string>? suppressions = null;
        foreach (var (info, rule) in _rules)
        {
            if (rule is not IManifestRule manifestRule)
            {
                continue;
            }
            foreach (Violation v in manifestRule.Evaluate(obj))
            {
                suppressions ??= Suppressions(obj, error);
                yield return ToFinding(info, obj, v, suppressions);
            }
        }
    }

    /// <summary>Findings of the rules that look at all objects together; call once, after every Analyze (it lets go of the objects kept for it).</summary>
    public IEnumerable<Finding> AnalyzeRepository()
    {
        // A rule reports an object's findings one after another: the suppressions of the last object are kept, not
        // those of every object with a finding (a dictionary per workload of a monorepo).
        ManifestObject? last = null;
        Dictionary<string, string> forLast = new();
        var reported = new HashSet<ScanError>(); // an annotation without a reason is reported once, however many findings its object has
        void ReportOnce(ScanError e)
        {
            if (reported.Add(e))
            {
                _host.Error(e);
            }
        }
        IReadOnlyList<ManifestObject> objects = _seen;
        if (NotKept + Compacted > 0 && RepositoryNeeds.EveryObject(_seen))
        {
            // An admission policy can match any object, and its params can be any kind: the rules read them all.
            ReadAgain = true;
            objects = Reread!().ToList();
        }
        var repository = new RepositoryContext(objects, _selection, _host);
        var batch = new List<(ManifestObject Obj, Violation V)>(RepositoryBatch);
        // On a monorepo the models the rules read are built on the thread pool while the first rules run.
        RepositoryModels models = _rules.Select(r => r.Rule).OfType<IRepositoryRule>().Aggregate(RepositoryModels.None, (all, r) => all | r.Reads);
        Warmed = objects.Count >= WarmFrom && Environment.ProcessorCount > 1 && !OneRunAtATime ? models : RepositoryModels.None;
        Task warming = repository.Warm(Warmed);
        try
        {
            foreach (var (info, rule) in _rules)
            {
                if (rule is not IRepositoryRule repositoryRule)
                {
                    continue;
                }
                if (OneRunAtATime)
                {
                    foreach (var (obj, v) in repositoryRule.Evaluate(repository))
                    {
                        if (!ReferenceEquals(obj, last))
                        {
                            (last, forLast) = (obj, Suppressions(obj, ReportOnce));
                        }
                        yield return ToFinding(info, obj, v, forLast);
                    }
                    continue;
                }
                using IEnumerator<(ManifestObject, Violation)> found = repositoryRule.Evaluate(repository).GetEnumerator();
                while (true)
                {
                    // A full batch, or the rule's last one, is made into findings.
                    bool more = found.MoveNext();
                    if (more)
                    {
                        batch.Add(found.Current);
                        if (batch.Count < RepositoryBatch)
                        {
                            continue;
                        }
                    }
                    foreach (var (reports, findings) in Findings(info, batch, ref last, ref forLast))
                    {
                        reports?.ForEach(ReportOnce);
                        foreach (Finding finding in findings)
                        {
                            yield return finding;
                        }
                    }
                    batch.Clear();
                    if (!more)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            warming.Wait(); // a stopped pipeline leaves no build running behind it
        }
        // Called once: what was kept for the repository rules is not held through the rest of the run (the secret scan).
        _seen.Clear();
        _seen.TrimExcess();
    }

    /// <summary>Objects from which <see cref="AnalyzeRepository"/> builds the rules' models ahead (below, building them costs more than it saves).</summary>
    private const int WarmFrom = 1000;

    /// <summary>The models <see cref="AnalyzeRepository"/> built ahead (for tests).</summary>
    internal RepositoryModels Warmed { get; private set; }

    /// <summary>Violations a repository rule found, turned into findings a batch at a time.</summary>
    private const int RepositoryBatch = 256;

    /// <summary>One violation at a time, as before the batches: the reference the test holds the batches to.</summary>
    internal static bool OneRunAtATime { get; set; }

    /// <summary>
    /// A batch of one repository rule's violations as findings, in order. Each run of violations on one object
    /// (a rule reports an object's violations together) reads that object's suppressions once; the runs are made
    /// into findings on every core (redaction, fingerprint and location are most of a repository rule's time on a
    /// monorepo); the caller reports what reading a run's suppressions found before that run's findings, as one
    /// object at a time did.
    /// </summary>
    private List<(List<ScanError>? Reports, List<Finding> Findings)> Findings(RuleInfo info, List<(ManifestObject Obj, Violation V)> batch,
        ref ManifestObject? last, ref Dictionary<string, string> forLast)
    {
        var runs = new List<(int Start, int End)>();
        for (int i = 0; i < batch.Count; i++)
        {
            if (runs.Count == 0 || !ReferenceEquals(batch[i].Obj, batch[i - 1].Obj))
            {
                runs.Add((i, i + 1));
            }
            else
            {
                runs[^1] = (runs[^1].Start, i + 1);
            }
        }
        var findings = new Finding[batch.Count];
        var reports = new List<ScanError>?[runs.Count];
        // The first run continues the object the previous batch ended with: its suppressions are known.
        ManifestObject? previous = last;
        Dictionary<string, string> previousSuppressions = forLast;
        var suppressions = new Dictionary<string, string>[runs.Count];
        void MakeRun(int r)
        {
            var (start, end) = runs[r];
            ManifestObject obj = batch[start].Obj;
            if (r == 0 && ReferenceEquals(obj, previous))
            {
                suppressions[r] = previousSuppressions;
            }
            else
            {
                var errors = new List<ScanError>();
                suppressions[r] = Suppressions(obj, errors.Add);
                reports[r] = errors;
            }
            for (int i = start; i < end; i++)
            {
                findings[i] = ToFinding(info, obj, batch[i].V, suppressions[r]);
            }
        }
        if (runs.Count > 1 && Environment.ProcessorCount > 1)
        {
            Parallel.For(0, runs.Count, new ParallelOptions { CancellationToken = _host.Cancellation }, MakeRun);
        }
        else
        {
            for (int r = 0; r < runs.Count; r++)
            {
                MakeRun(r);
            }
        }
        var ordered = new List<(List<ScanError>?, List<Finding>)>(runs.Count);
        for (int r = 0; r < runs.Count; r++)
        {
            ordered.Add((reports[r], findings[runs[r].Start..runs[r].End].ToList()));
        }
        if (runs.Count > 0)
        {
            last = batch[^1].Obj;
            forLast = suppressions[^1];
        }
        return ordered;
    }

    private static Finding ToFinding(RuleInfo info, ManifestObject obj, Violation v, Dictionary<string, string> suppressions)
    {
        string field = v.Path.ToString();
        string shortField = ShortField(v.Path);
        SourceLocation location = obj.Locate(v.Path);
        string? reason = v.AboutNamespace is not null ? null
            : suppressions.TryGetValue(info.Id, out string? byId) ? byId
            : suppressions.TryGetValue(info.Name, out string? byName) ? byName : null;
        return new Finding
        {
            RuleId = info.Id,
            RuleName = info.Name,
            Severity = v.Severity ?? info.Severity,
            Category = info.Category,
            // The template is ours; what a repository wrote (target, value, field) goes through the one redaction path.
            Message = info.MessageTemplate
                .Replace("{target}", GitOpsSec.Secrets.SecretText.RedactIn(v.Target), StringComparison.Ordinal)
                .Replace("{value}", GitOpsSec.Secrets.SecretText.RedactIn(v.Value), StringComparison.Ordinal)
                .Replace("{field}", GitOpsSec.Secrets.SecretText.RedactIn(shortField), StringComparison.Ordinal),
            Remediation = info.Remediation,
            Resource = v.AboutNamespace is string ns ? new ResourceRef("Namespace", null, ns) : obj.Resource,
            Applications = obj.Applications,
            NamespaceOrigin = v.AboutNamespace is null ? obj.NamespaceOrigin.ToString() : null,
            Path = location.Path,
            Line = location.Line,
            Column = location.Column,
            Field = field,
            Commit = obj.Revision,
            Fingerprint = v.AboutNamespace is string about ? Fingerprint(info.Id, new ResourceRef("Namespace", null, about), field) : Fingerprint(info.Id, obj, field),
            Suppressed = reason is not null,
            SuppressionReason = reason,
            SuppressedBy = reason is null ? null : "Annotation",
            Evidence = GitOpsSec.Secrets.SecretText.RedactIn(v.Evidence ?? $"{shortField}: {v.Value}"),
            RenderedFrom = obj.RenderedFrom,
            HelpUri = info.HelpUri,
        };
    }

    /// <summary>
    /// A Kyverno rule's Fail (or Error: undecided offline, which fails closed) on an object as a Finding.
    /// The rule id is kyverno/&lt;policy&gt;/&lt;rule&gt;; severity and category come from the policy's
    /// policies.kyverno.io/severity and /category annotations (Medium and "Kyverno" when absent); an object
    /// suppresses it with gitopssec.io/suppress.&lt;policy&gt; or .kyverno/&lt;policy&gt;/&lt;rule&gt;.
    /// </summary>
    public Finding ToFinding(GitOpsSec.Kyverno.KyvernoRuleResult result, GitOpsSec.Kyverno.KyvernoPolicy policy, ManifestObject obj)
    {
        var annotations = policy.Node.Map("metadata")?.Map("annotations");
        string id = $"kyverno/{result.Policy}/{result.Rule}";
        Severity severity = Enum.TryParse(annotations?.Text("policies.kyverno.io/severity"), ignoreCase: true, out Severity parsed) ? parsed : Severity.Medium;
        var suppressions = Suppressions(obj);
        string? reason = suppressions.TryGetValue(id, out string? byId) ? byId
            : suppressions.TryGetValue(result.Policy, out string? byPolicy) ? byPolicy : null;
        bool undecided = result.Result == GitOpsSec.Kyverno.KyvernoResult.Error;
        return new Finding
        {
            RuleId = id,
            RuleName = annotations?.Text("policies.kyverno.io/title") ?? result.Policy,
            Severity = severity,
            Category = annotations?.Text("policies.kyverno.io/category") ?? "Kyverno",
            Message = GitOpsSec.Secrets.SecretText.RedactIn(undecided ? $"Kyverno rule {result.Policy}/{result.Rule} cannot be decided offline, so it is not passed: {result.Message}" : result.Message),
            Remediation = annotations?.Text("policies.kyverno.io/description")?.Trim(),
            Resource = obj.Resource,
            Applications = obj.Applications,
            NamespaceOrigin = obj.NamespaceOrigin.ToString(),
            Path = obj.Path,
            Line = obj.Line,
            Field = string.Empty,
            Commit = obj.Revision,
            Fingerprint = Fingerprint(id, obj, string.Empty),
            Suppressed = reason is not null,
            SuppressionReason = reason,
            SuppressedBy = reason is null ? null : "Annotation",
            Evidence = undecided ? "undecided" : "fail",
            RenderedFrom = obj.RenderedFrom,
            HelpUri = policy.Path,
        };
    }

    /// <summary>The field path from the last list item on (securityContext.privileged), for messages.</summary>
    private static string ShortField(FieldPath path)
    {
        var segments = path.Segments;
        int start = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            if (segments[i].Key is null)
            {
                start = i + 1;
            }
        }
        var keys = segments.Skip(start).Select(s => s.Key).ToList();
        return keys.Count > 0 ? string.Join('.', keys) : path.ToString();
    }

    /// <summary>
    /// SHA-256 of rule, where the object is defined (its file, and the kustomization that rendered it) and its
    /// identity and field; no line numbers, so reformatting keeps it. The place is part of it so that accepting a
    /// finding in overlays/dev does not accept the same Deployment in overlays/prod.
    /// </summary>
    /// <summary>The fingerprint of a finding about a resource that has no object of its own (a namespace the repository does not define).</summary>
    private static string Fingerprint(string ruleId, ResourceRef resource, string field)
    {
        string identity = string.Join('\u001f', ruleId, resource.Kind, resource.Namespace ?? string.Empty, resource.Name ?? string.Empty, field);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity)), 0, 16).ToLowerInvariant();
    }

    public static string Fingerprint(string ruleId, ManifestObject obj, string field)
    {
        string identity = string.Join('\u001f', ruleId, obj.RenderedFrom ?? string.Empty, obj.Path, obj.ApiVersion.Split('/')[0], obj.Kind,
            obj.DeclaredNamespace ?? string.Empty, obj.Name ?? string.Empty, field);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(identity));
        return Convert.ToHexString(hash, 0, 16).ToLowerInvariant();
    }

    /// <summary>Suppression annotations of the object and its pod template, keyed by rule id or name.</summary>
    private Dictionary<string, string> Suppressions(ManifestObject obj) => Suppressions(obj, _host.Error);

    private Dictionary<string, string> Suppressions(ManifestObject obj, Action<ScanError> error)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (obj.IsCompact && !obj.KeptSuppressions)
        {
            return result; // known when the copy was made: its tree is not thawed to find none
        }
        var sources = new List<YMapping?> { obj.Node.Map("metadata")?.Map("annotations") };
        if (PodSpec.Of(obj) is PodSpec pod && !ReferenceEquals(pod.Metadata, obj.Node.Map("metadata")))
        {
            sources.Add(pod.Metadata?.Map("annotations"));
        }
        foreach (YMapping annotations in sources.OfType<YMapping>())
        {
            foreach (var entry in annotations.Entries)
            {
                if (!entry.Key.Value.StartsWith(SuppressionPrefix, StringComparison.Ordinal))
                {
                    continue;
                }
                string rule = entry.Key.Value[SuppressionPrefix.Length..];
                string reason = (entry.Value as YScalar)?.Value.Trim() ?? string.Empty;
                if (reason.Length == 0)
                {
                    error(new ScanError(ErrorIds.SuppressionWithoutReason, ScanErrorCategory.InvalidData,
                        $"The suppression of '{rule}' on {obj.Resource} has no reason, so it is not applied. Write why as the annotation's value.",
                        obj.Path, entry.Key.Line));
                    continue;
                }
                result[rule] = reason;
            }
        }
        return result;
    }
}
