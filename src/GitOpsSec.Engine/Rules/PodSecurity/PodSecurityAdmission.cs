using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// What Pod Security admission decides for one pod (or pod template) at a level and version: the Baseline
/// controls at baseline, Baseline and Restricted at restricted (with restricted controls replacing the
/// baseline ones they override), each as registered for that version. Nothing at privileged.
/// </summary>
public static class PodSecurityAdmission
{
    private static readonly Lazy<IReadOnlyList<(RuleInfo Info, PodSecurityRule Rule)>> Controls = new(() =>
    {
        var byId = RuleCatalog.ManifestRules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        return RuleCatalog.Implementations.OfType<PodSecurityRule>().Select(r => (byId[r.Id], r)).OrderBy(x => x.Item1.Id, StringComparer.Ordinal).ToList();
    });

    /// <summary>The controls of each level and version, configured once (namespaces share a handful of policies).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(PodSecurityLevel, PodSecurityVersion), List<(RuleInfo Info, PodSecurityRule Rule)>> Configured = new();

    /// <summary>The violated controls (rule and violation); empty when admission allows the pod.</summary>
    internal static IEnumerable<(RuleInfo Info, Violation Violation)> Violations(ManifestObject obj, PodSecurityLevel level, PodSecurityVersion version)
    {
        if (level == PodSecurityLevel.None)
        {
            return Enumerable.Empty<(RuleInfo, Violation)>();
        }
        var configured = Configured.GetOrAdd((level, version), key =>
            Controls.Value.Where(c => c.Info.Level <= key.Item1).Select(c => (c.Info, c.Rule.At(key.Item1, key.Item2))).ToList());
        // A compact copy has no pod spec to evaluate: it carries the verdicts its pod spec got (PodSecurityVerdicts).
        return obj.PodSecurityVerdicts is Verdicts verdicts ? Recorded(configured, verdicts, level, version) : Evaluated(configured, obj);
    }

    // Iterators rather than a SelectMany of lambdas: the repository rules ask this of every workload at each policy,
    // and a closure and delegate per control per call were a twentieth of what they allocated on a monorepo.
    private static IEnumerable<(RuleInfo Info, Violation Violation)> Recorded(List<(RuleInfo Info, PodSecurityRule Rule)> configured, Verdicts verdicts,
        PodSecurityLevel level, PodSecurityVersion version)
    {
        foreach (var (info, _) in configured)
        {
            IReadOnlyList<Violation> violations = verdicts.Of(info, level, version);
            for (int i = 0; i < violations.Count; i++)
            {
                yield return (info, violations[i]);
            }
        }
    }

    private static IEnumerable<(RuleInfo Info, Violation Violation)> Evaluated(List<(RuleInfo Info, PodSecurityRule Rule)> configured, ManifestObject obj)
    {
        foreach (var (info, rule) in configured)
        {
            foreach (Violation v in rule.Evaluate(obj))
            {
                yield return (info, v);
            }
        }
    }

    /// <summary>
    /// Each control at each level it belongs to, configured at each version where its check changes (the version it
    /// appeared in, each change of its history, the Windows and user-namespace exemptions, the restricted control that
    /// overrides it) and at latest: a control behaves at any version as at the last of these before it.
    /// </summary>
    private sealed record Configuration(int[] Minors, PodSecurityRule[] AtMinor, PodSecurityRule AtLatest);

    private static readonly Lazy<Dictionary<(string RuleId, PodSecurityLevel Level), Configuration>> EveryVersion = new(() =>
    {
        var all = new Dictionary<(string, PodSecurityLevel), Configuration>();
        foreach (var (info, rule) in Controls.Value)
        {
            var minors = new SortedSet<int> { 0 };
            if (PodSecurityHistory.For(info.Id) is PodSecurityHistory.Control c)
            {
                minors.Add(c.Since);
                minors.UnionWith(c.Changes.Select(x => x.Minor));
                if (c.WindowsExemptFrom is int w) { minors.Add(w); }
                if (c.UserNamespaceRelaxedFrom is int u) { minors.Add(u); }
                if (c.OverriddenAtRestrictedBy is var (_, from)) { minors.Add(from); }
            }
            foreach (PodSecurityLevel level in new[] { PodSecurityLevel.Baseline, PodSecurityLevel.Restricted }.Where(l => info.Level <= l))
            {
                all[(info.Id, level)] = new Configuration(minors.ToArray(), minors.Select(m => rule.At(level, new PodSecurityVersion(m, false))).ToArray(),
                    rule.At(level, PodSecurityVersion.Latest));
            }
        }
        return all;
    });

    /// <summary>
    /// What every control says of one pod spec at every level and version, kept for a compact copy of its workload
    /// (whose pod spec is not kept): the violations of each control at each version its check changes, the empty
    /// ones left out. <see cref="IsEmpty"/>: Pod Security admits the pod everywhere.
    /// </summary>
    internal sealed class Verdicts
    {
        private readonly Dictionary<(string RuleId, PodSecurityLevel Level), Violation[][]> _violated;

        private Verdicts(Dictionary<(string, PodSecurityLevel), Violation[][]> violated) => _violated = violated;

        public bool IsEmpty => _violated.Count == 0;

        public static Verdicts Of(PodSpec pod)
        {
            // Each check once per pod (or per version it reads), in a table that is the thread's own, cleared after each
            // pod; each control's answers at every version in a scratch row, copied only when one of them is a violation.
            Scratch scratch = t_scratch ?? new Scratch();
            t_scratch = null;
            try
            {
                return Of(pod, scratch);
            }
            finally
            {
                scratch.Checks.Clear();
                Array.Clear(scratch.Row);
                t_scratch = scratch;
            }
        }

        private sealed class Scratch
        {
            public Dictionary<(string, PodSecurityVersion), Violation[]> Checks { get; } = new(EveryVersion.Value.Count);
            public Violation[][] Row { get; } = new Violation[EveryVersion.Value.Values.Max(c => c.AtMinor.Length) + 1][];
        }

        [ThreadStatic]
        private static Scratch? t_scratch;

        private static Verdicts Of(PodSpec pod, Scratch scratch)
        {
            var violated = new Dictionary<(string, PodSecurityLevel), Violation[][]>();
            foreach (var (key, configuration) in EveryVersion.Value)
            {
                int versions = configuration.AtMinor.Length + 1;
                Violation[][] row = scratch.Row;
                bool any = false;
                for (int i = 0; i < versions; i++)
                {
                    row[i] = (i < configuration.AtMinor.Length ? configuration.AtMinor[i] : configuration.AtLatest).Evaluate(pod, scratch.Checks);
                    any |= row[i].Length > 0;
                }
                if (any)
                {
                    var results = row[..versions];
                    // Most controls say the same at every version: one array serves the versions that agree.
                    for (int i = 1; i < results.Length; i++)
                    {
                        if (!ReferenceEquals(results[i], results[i - 1]) && results[i].Select(Describe).SequenceEqual(results[i - 1].Select(Describe)))
                        {
                            results[i] = results[i - 1];
                        }
                    }
                    violated[key] = results;
                }
            }
            return new Verdicts(violated);
        }

        private static (string, string, string, string?, Severity?, string?) Describe(Violation v) =>
            (v.Path.ToString(), v.Target, v.Value, v.Evidence, v.Severity, v.AboutNamespace);

        /// <summary>The violations of one control at a level and version, as evaluating the pod spec there gives them.</summary>
        public IReadOnlyList<Violation> Of(RuleInfo info, PodSecurityLevel level, PodSecurityVersion version)
        {
            if (!_violated.TryGetValue((info.Id, level), out Violation[][]? results))
            {
                return Array.Empty<Violation>();
            }
            int[] minors = EveryVersion.Value[(info.Id, level)].Minors;
            if (version.IsLatest)
            {
                return results[^1];
            }
            int at = Array.BinarySearch(minors, version.Minor);
            return results[at >= 0 ? at : ~at - 1];
        }
    }

    /// <summary>The names of the controls the object violates at a level and version (empty: allowed).</summary>
    public static IReadOnlyList<string> ViolatedControls(ManifestObject obj, PodSecurityLevel level, PodSecurityVersion version) =>
        Violations(obj, level, version).Select(v => v.Info.Name).Distinct().ToList();

    /// <summary>Parses a level label value as the API server does: privileged, baseline or restricted.</summary>
    public static PodSecurityLevel? ParseLevel(string? value) => value switch
    {
        "privileged" => PodSecurityLevel.None,
        "baseline" => PodSecurityLevel.Baseline,
        "restricted" => PodSecurityLevel.Restricted,
        _ => null,
    };

    public static string Show(PodSecurityLevel level) => level switch
    {
        PodSecurityLevel.None => "privileged",
        PodSecurityLevel.Baseline => "baseline",
        _ => "restricted",
    };

    /// <summary>One mode (enforce, warn, audit) of a namespace: its level and version, and where they came from.</summary>
    public sealed record ModePolicy(PodSecurityLevel Level, PodSecurityVersion Version, bool Labelled);

    /// <summary>
    /// The policy of each mode of a namespace from its pod-security.kubernetes.io/* labels, as the API server
    /// resolves them (api/helpers.go PolicyToEvaluate): a mode without a label keeps the cluster default; an invalid
    /// enforce level is restricted and an invalid version latest (fail closed), an invalid warn or audit level
    /// privileged (fail open), each reported with GitOpsSec.PodSecurity.InvalidLabel; warn follows an enforce level
    /// stricter than it when warn has no label of its own.
    /// </summary>
    public static IReadOnlyDictionary<string, ModePolicy> NamespacePolicy(ManifestObject? ns, (PodSecurityLevel Level, PodSecurityVersion Version) clusterDefault, IScanHost host)
    {
        YMapping? labels = ns?.Node.Map("metadata")?.Map("labels");
        var result = new Dictionary<string, ModePolicy>(StringComparer.Ordinal);
        foreach (string mode in new[] { "enforce", "audit", "warn" })
        {
            string levelKey = $"pod-security.kubernetes.io/{mode}", versionKey = levelKey + "-version";
            string? levelText = labels?.Text(levelKey), versionText = labels?.Text(versionKey);
            PodSecurityLevel level = levelText is null ? clusterDefault.Level
                : ParseLevel(levelText) ?? Invalid(ns!, levelKey, levelText, "privileged, baseline or restricted",
                    mode == "enforce" ? PodSecurityLevel.Restricted : PodSecurityLevel.None, host);
            PodSecurityVersion version = versionText is null ? clusterDefault.Version
                : PodSecurityVersion.TryParseLabel(versionText) ?? Invalid(ns!, versionKey, versionText, "latest or v1.N", PodSecurityVersion.Latest, host);
            result[mode] = new ModePolicy(level, version, levelText is not null && ParseLevel(levelText) is not null);
        }
        ModePolicy enforce = result["enforce"], warn = result["warn"];
        if (labels?.Text("pod-security.kubernetes.io/warn") is null && enforce.Labelled && enforce.Level > warn.Level)
        {
            result["warn"] = warn with
            {
                Level = enforce.Level,
                Version = labels?.Text("pod-security.kubernetes.io/warn-version") is null ? enforce.Version : warn.Version,
            };
        }
        return result;
    }

    private static T Invalid<T>(ManifestObject ns, string label, string value, string expected, T failClosed, IScanHost host)
    {
        host.Error(new ScanError(InvalidLabelId, ScanErrorCategory.InvalidData,
            $"Namespace '{ns.Name}' has {label}: '{value}', which must be {expected}; the API server then uses {failClosed}, and so does GitOpsSec.",
            ns.Path, ns.Line));
        return failClosed;
    }

    public const string InvalidLabelId = "GitOpsSec.PodSecurity.InvalidLabel";
}
