using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>The namespace each workload lands in and the Pod Security policy its Namespace object (or the cluster default) sets.</summary>
internal static class WorkloadNamespaces
{
    private static readonly HashSet<string> Workloads = new(StringComparer.Ordinal)
    {
        "Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "ReplicationController",
    };

    /// <summary>Every pod-bearing object with the namespace it will land in (metadata.namespace, which kustomize's namespace: sets, else default).</summary>
    public static IEnumerable<(ManifestObject Workload, string Namespace)> Of(RepositoryContext repository) =>
        repository.Objects.Where(o => Workloads.Contains(o.Kind) && PodSpec.Exists(o)).Select(o => (o, o.Namespace ?? "default"));

    /// <summary>
    /// Every workload with its namespace, the namespace's policy per mode (resolved once per namespace) and whether
    /// the repository defines the namespace. Label errors go to <paramref name="host"/>.
    /// </summary>
    public static IEnumerable<(ManifestObject Workload, string Namespace, IReadOnlyDictionary<string, PodSecurityAdmission.ModePolicy> Policy, bool Defined)>
        WithPolicies(RepositoryContext repository, GitOpsSec.Diagnostics.IScanHost host)
    {
        var namespaces = Namespaces(repository);
        var policies = new Dictionary<string, IReadOnlyDictionary<string, PodSecurityAdmission.ModePolicy>>(StringComparer.Ordinal);
        foreach (var (workload, ns) in Of(repository))
        {
            if (!policies.TryGetValue(ns, out var policy))
            {
                policies[ns] = policy = PodSecurityAdmission.NamespacePolicy(namespaces.GetValueOrDefault(ns), repository.Selection.PodSecurityDefault, host);
            }
            yield return (workload, ns, policy, namespaces.ContainsKey(ns));
        }
    }

    /// <summary>The Namespace objects of the repository by name (the first of each name).</summary>
    public static Dictionary<string, ManifestObject> Namespaces(RepositoryContext repository) =>
        repository.Objects.Where(o => o.Kind == "Namespace" && o.Name is not null)
            .GroupBy(o => o.Name!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
}

/// <summary>
/// GOS1201: the namespace's enforce level, at its enforce-version, rejects the pod. A bare Pod fails the sync
/// (Critical); for a controller the object itself is admitted (with a warning where the warn level also rejects
/// it), but none of its pods is ever created (High). Evaluated as the API server will: the Namespace object's
/// labels, or the cluster default (podSecurityDefault:) for a namespace the repository does not define.
/// </summary>
internal sealed class PodSecurityAdmissionRejectedRule : IRepositoryRule
{
    public string Id => "GOS1201";

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        WorkloadNamespaces.WithPolicies(repository, repository.Host).SelectMany(w => Results(w.Workload, w.Namespace, w.Policy, w.Defined));

    private IEnumerable<(ManifestObject, Violation)> Results(ManifestObject workload, string ns, IReadOnlyDictionary<string, PodSecurityAdmission.ModePolicy> policy, bool defined)
    {
        string where = defined ? $"namespace {ns}" : $"namespace {ns} (not in the repository: the cluster default)";
        string Violated(PodSecurityAdmission.ModePolicy p) => string.Join(", ",
            PodSecurityAdmission.Violations(workload, p.Level, p.Version).Select(v => $"{v.Info.Name} ({v.Info.Id})").Distinct());
        bool isPod = workload.Kind == "Pod";
        PodSecurityAdmission.ModePolicy enforce = policy["enforce"];
        string enforced = Violated(enforce);
        if (enforced.Length > 0)
        {
            string warned = Violated(policy["warn"]).Length > 0 ? ", with a warning," : string.Empty;
            string effect = isPod
                ? "the API server rejects the Pod, so the sync fails"
                : $"the {workload.Kind} itself is admitted{warned} but the API server rejects every pod it creates, so none runs";
            yield return (workload, new Violation(FieldPath.Root.Key("metadata"), $"{workload.Kind} {ns}/{workload.Name}",
                $"{where} enforces {PodSecurityAdmission.Show(enforce.Level)} at {enforce.Version}; {effect}. Violates: {enforced}",
                $"enforce={PodSecurityAdmission.Show(enforce.Level)}:{enforce.Version}", isPod ? Severity.Critical : Severity.High));
        }
    }
}

/// <summary>
/// GOS1202: the namespace admits the pod, but its warn or audit level does not: the API server returns a
/// warning to whoever syncs it (warn, Medium) or records an audit annotation (audit, Low).
/// </summary>
internal sealed class PodSecurityAdmissionWarningRule : IRepositoryRule
{
    public string Id => "GOS1202";

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository)
    {
        // Label errors are reported once: by GOS1201 when it runs too.
        bool rejectedRuns = RuleCatalog.Find("GOS1201") is RuleInfo rejected && repository.Selection.Selects(rejected);
        var host = rejectedRuns ? new GitOpsSec.Diagnostics.CollectingHost() : repository.Host;
        foreach (var (workload, ns, policy, _) in WorkloadNamespaces.WithPolicies(repository, host))
        {
            var enforce = policy["enforce"];
            if (PodSecurityAdmission.Violations(workload, enforce.Level, enforce.Version).Any())
            {
                continue; // rejected: GOS1201 says so
            }
            foreach (var (mode, severity, effect) in new[] { ("warn", Severity.Medium, "returns a warning to whoever applies it"), ("audit", Severity.Low, "records an audit annotation") })
            {
                var p = policy[mode];
                string violated = string.Join(", ", PodSecurityAdmission.Violations(workload, p.Level, p.Version).Select(v => $"{v.Info.Name} ({v.Info.Id})").Distinct());
                if (violated.Length > 0)
                {
                    yield return (workload, new Violation(FieldPath.Root.Key("metadata"), $"{workload.Kind} {ns}/{workload.Name}",
                        $"namespace {ns} admits it, but its {mode} level {PodSecurityAdmission.Show(p.Level)} at {p.Version} does not: the API server {effect}. Violates: {violated}",
                        $"{mode}={PodSecurityAdmission.Show(p.Level)}:{p.Version}", severity));
                }
            }
        }
    }
}

/// <summary>GOS1203: a Namespace the repository defines, with workloads in it, and no pod-security.kubernetes.io/enforce label.</summary>
internal sealed class NamespaceWithoutPodSecurityLabelRule : IRepositoryRule
{
    public string Id => "GOS1203";

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository)
    {
        var counts = WorkloadNamespaces.Of(repository).GroupBy(w => w.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var (level, version) = repository.Selection.PodSecurityDefault;
        foreach (var (name, ns) in WorkloadNamespaces.Namespaces(repository))
        {
            if (counts.TryGetValue(name, out int n) && ns.Node.Map("metadata")?.Map("labels")?.Text("pod-security.kubernetes.io/enforce") is null)
            {
                yield return (ns, new Violation(FieldPath.Root.Keys("metadata", "labels"), $"Namespace {name}",
                    $"{n} workload(s) and no pod-security.kubernetes.io/enforce label, so the cluster default applies ({PodSecurityAdmission.Show(level)} at {version})"));
            }
        }
    }
}
