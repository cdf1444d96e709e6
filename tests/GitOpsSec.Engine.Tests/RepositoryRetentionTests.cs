using System.Text.Json;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;
using GitOpsSec.Rules.PodSecurity;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// A scan keeps to its end only what the repository rules read: not the objects none of them reads, and a compact,
/// frozen copy of a workload Pod Security admits everywhere. The reference is the scan that keeps every object
/// whole: on every example, a generated monorepo and a repository built to exercise each rule, the repository
/// findings and errors must be the same, field for field.
/// </summary>
public sealed class RepositoryRetentionTests
{
    private static readonly string Hand = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: open}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: locked
          labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.18}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: locked}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web, namespace: open}
        spec: {selector: {matchLabels: {app: web}}, minAvailable: 1}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: open}
        spec: {selector: {app: web}, ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: open}
        data: {a: b}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: encrypted, namespace: open}
        data: {a: 'ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]'}
        sops: {mac: 'ENC[AES256_GCM,data:m,iv:x,tag:y,type:str]', version: 3.8.1}
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec: {path: ./apps, sourceRef: {kind: GitRepository, name: repo}}
        """;

    private static string Workload(string kind, string name, string ns, bool restricted, int? replicas, string annotations = "", bool objectSuppression = true)
    {
        string security = restricted
            ? "      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n"
            : "      containers:\n        - name: app\n          image: app:latest\n          securityContext: {privileged: true}\n";
        string template = $"  template:\n    metadata:\n      labels: {{app: {name}}}\n{annotations}    spec:\n{security}";
        return kind switch
        {
            "CronJob" => $"apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n" +
                         string.Join('\n', template.Split('\n').Select(l => l.Length > 0 ? "    " + l : l)),
            _ => $"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n" +
                 (objectSuppression ? "  annotations: {gitopssec.io/suppress.GOS5003: egress is open on purpose, other: kept}\n" : "  annotations: {other: kept}\n") +
                 $"spec:\n{(replicas is int r ? $"  replicas: {r}\n" : string.Empty)}  selector: {{matchLabels: {{app: {name}}}}}\n{template}",
        };
    }

    private static string HandRepository(TempDir dir)
    {
        dir.Write("base.yaml", Hand);
        int i = 0;
        foreach (string ns in new[] { "open", "locked", "elsewhere" })
        {
            foreach (string kind in new[] { "Deployment", "StatefulSet", "DaemonSet", "CronJob" })
            {
                foreach (bool restricted in new[] { true, false })
                {
                    string annotations = i % 3 == 0 ? "      annotations: {gitopssec.io/suppress.GOS5002: ingress via mesh}\n" : i % 3 == 1 ? "      annotations: {gitopssec.io/suppress.GOS6111: \"\"}\n" : string.Empty;
                    // Suppressions on the object, on its pods, on both and on neither (i % 2 and i % 3 cycle apart).
                    dir.Write($"apps/{ns}/{kind.ToLowerInvariant()}-{restricted}.yaml", Workload(kind, i % 2 == 0 ? "web" : $"w{i}", ns, restricted, i % 4 == 0 ? null : 1 + i % 3, annotations,
                        objectSuppression: i % 2 == 0));
                    i++;
                }
            }
        }
        return dir.Path;
    }

    private static (List<string> Findings, List<string> Errors, ManifestAnalyzer Analyzer) Repository(IReadOnlyList<ManifestObject> objects, bool keepEverything)
    {
        var host = new GitOpsSec.Diagnostics.CollectingHost();
        var analyzer = new ManifestAnalyzer(new RuleSelection(), host);
        if (!keepEverything)
        {
            analyzer.Reread = () => objects;
        }
        foreach (var (_, findings) in analyzer.AnalyzeStream(objects))
        {
            _ = findings.ToList();
        }
        var errorsBefore = host.Errors.Count;
        var repository = analyzer.AnalyzeRepository().Select(f => string.Join(" | ", f.RuleId, f.Severity, f.Message, f.Resource, f.Path, f.Line, f.Column, f.Field,
            f.Fingerprint, f.Suppressed, f.SuppressionReason, f.Evidence, string.Join(",", f.Applications), f.NamespaceOrigin)).ToList();
        return (repository, host.Errors.Skip(errorsBefore).Select(e => e.ToString()).ToList(), analyzer);
    }

    public static IEnumerable<object[]> Examples() =>
        Directory.GetDirectories(TestPaths.Examples).Where(d => Directory.EnumerateFiles(d, "*.yaml", SearchOption.AllDirectories).Any())
            .Select(d => new object[] { Path.GetFileName(d) });

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_gets_the_repository_findings_of_a_scan_that_keeps_everything(string example)
    {
        var (objects, _) = Scan.Load(Path.Combine(TestPaths.Examples, example));
        var all = Repository(objects, keepEverything: true);
        var kept = Repository(objects, keepEverything: false);
        Assert.Equal(all.Findings, kept.Findings);
        Assert.Equal(all.Errors, kept.Errors);
    }

    [Fact]
    public void A_repository_that_exercises_each_repository_rule_gets_the_same_findings_with_workloads_kept_compact()
    {
        using var dir = new TempDir();
        var (objects, host) = Scan.Load(HandRepository(dir));
        Assert.True(host.Errors.Count == 0, string.Join("\n", host.Errors));
        var all = Repository(objects, keepEverything: true);
        var kept = Repository(objects, keepEverything: false);
        Assert.Equal(all.Findings, kept.Findings);
        Assert.Equal(all.Errors, kept.Errors);
        // What makes the comparison worth something: rules of every kind fired, workloads were compacted, objects dropped.
        Assert.Superset(new HashSet<string> { "GOS1201", "GOS1203", "GOS5001", "GOS5002", "GOS5003", "GOS6005", "GOS6111", "GOS7104" },
            kept.Findings.Select(f => f.Split(" | ")[0]).ToHashSet());
        Assert.Contains(kept.Findings, f => f.Contains("ingress via mesh", StringComparison.Ordinal));
        Assert.Contains(kept.Findings, f => f.Contains("egress is open on purpose", StringComparison.Ordinal));
        Assert.Contains(kept.Findings, f => f.StartsWith("GOS5003", StringComparison.Ordinal) && f.Contains(" | False |  | ", StringComparison.Ordinal)); // not suppressed
        Assert.Contains(kept.Errors, e => e.Contains(GitOpsSec.Diagnostics.ErrorIds.SuppressionWithoutReason, StringComparison.Ordinal));
        Assert.Equal(24, kept.Analyzer.Compacted); // every workload, the privileged ones with their verdicts
        Assert.Equal(2, kept.Analyzer.NotKept); // the Service and the plain ConfigMap; the SOPS ConfigMap is kept for GOS7104
        Assert.False(kept.Analyzer.ReadAgain);
    }

    [Theory]
    [InlineData("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", "spec: {validations: [{expression: 'false'}], matchConstraints: {resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE'], resources: ['*']}]}}")]
    [InlineData("kyverno.io/v1", "ClusterPolicy", "spec: {rules: [{name: sig, match: {any: [{resources: {kinds: [Pod]}}]}, verifyImages: [{imageReferences: ['registry.example.com/*'], attestors: [{entries: [{keys: {publicKeys: k}}]}]}]}]}")]
    public void A_policy_that_reads_any_object_makes_the_repository_rules_read_every_object_again(string apiVersion, string kind, string spec)
    {
        using var dir = new TempDir();
        HandRepository(dir);
        dir.Write("policies/policy.yaml", $"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: p}}\n{spec}\n");
        dir.Write("policies/binding.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: p, validationActions: [Deny]}\n");
        var (objects, _) = Scan.Load(dir.Path);
        var all = Repository(objects, keepEverything: true);
        var kept = Repository(objects, keepEverything: false);
        Assert.True(kept.Analyzer.ReadAgain);
        Assert.Equal(all.Findings, kept.Findings);
        if (kind == "ValidatingAdmissionPolicy")
        {
            Assert.Contains(kept.Findings, f => f.StartsWith("GOS1301", StringComparison.Ordinal) && f.Contains("Service/open/web", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_generated_monorepo_gets_the_same_repository_findings_and_keeps_a_fraction_of_it()
    {
        using var dir = new TempDir();
        string repo = Path.Combine(dir.Path, "repo");
        Proc.Check("python3", new[] { Path.Combine(TestPaths.RepoRoot, "bench", "scale", "generate.py"), repo, "--manifests", "3000", "--namespaces", "12", "--commits", "1", "--kustomize", "3" });
        var (objects, _) = Scan.Load(repo);
        var all = Repository(objects, keepEverything: true);
        var kept = Repository(objects, keepEverything: false);
        Assert.Equal(all.Findings, kept.Findings);
        Assert.Equal(all.Errors, kept.Errors);
        Assert.True(kept.Analyzer.NotKept > objects.Count / 2, $"{kept.Analyzer.NotKept} of {objects.Count} not kept");
        Assert.True(kept.Analyzer.Compacted > objects.Count / 4, $"{kept.Analyzer.Compacted} of {objects.Count} compacted");
    }

    /// <summary>A host that writes what is reported into the same list as the findings, to see their interleaving.</summary>
    private sealed class Interleaved : GitOpsSec.Diagnostics.IScanHost
    {
        public List<string> Events { get; } = new();
        public CancellationToken Cancellation => CancellationToken.None;
        public void Error(GitOpsSec.Diagnostics.ScanError error) => Events.Add("error " + error);
        public void Warning(string message) => Events.Add("warning " + message);
        public void Verbose(string message) { }
        public void Progress(string activity, string status, int percentComplete) { }
    }

    private static List<string> RepositoryEvents(IReadOnlyList<ManifestObject> objects, bool oneAtATime) => RepositoryEvents(objects, oneAtATime, out _);

    private static List<string> RepositoryEvents(IReadOnlyList<ManifestObject> objects, bool oneAtATime, out RepositoryModels warmed)
    {
        var host = new Interleaved();
        var analyzer = new ManifestAnalyzer(new RuleSelection(), host) { Reread = () => objects };
        foreach (var (_, findings) in analyzer.AnalyzeStream(objects))
        {
            _ = findings.ToList();
        }
        host.Events.Clear();
        ManifestAnalyzer.OneRunAtATime = oneAtATime;
        try
        {
            foreach (var f in analyzer.AnalyzeRepository())
            {
                host.Events.Add(string.Join(" | ", "finding", f.RuleId, f.Message, f.Resource, f.Path, f.Line, f.Column, f.Field, f.Fingerprint, f.SuppressionReason, f.Evidence));
            }
        }
        finally
        {
            ManifestAnalyzer.OneRunAtATime = false;
        }
        warmed = analyzer.Warmed;
        return host.Events;
    }

    /// <summary>
    /// Repository findings are made a batch at a time on every core, and on a monorepo the RBAC, network and signature
    /// models are built on the thread pool beside the first rules (one violation at a time builds each when a rule
    /// first reads it): the findings, the errors reading suppressions reports, and how they interleave are the same,
    /// on a repository with suppressions with and without reasons and on a generated monorepo (runs of many
    /// violations per object across batch ends).
    /// </summary>
    [Fact]
    public void Repository_findings_made_on_every_core_come_out_as_made_one_at_a_time()
    {
        using var hand = new TempDir();
        using var generated = new TempDir();
        string repo = Path.Combine(generated.Path, "repo");
        Proc.Check("python3", new[] { Path.Combine(TestPaths.RepoRoot, "bench", "scale", "generate.py"), repo, "--manifests", "3000", "--namespaces", "12", "--commits", "1" });
        foreach (string root in new[] { HandRepository(hand), repo })
        {
            var (objects, _) = Scan.Load(root);
            List<string> parallel = RepositoryEvents(objects, oneAtATime: false, out RepositoryModels warmed);
            List<string> sequential = RepositoryEvents(objects, oneAtATime: true, out RepositoryModels built);
            Assert.Equal(sequential, parallel);
            Assert.Equal(RepositoryModels.None, built);
            if (root == repo && Environment.ProcessorCount > 1)
            {
                Assert.Equal(RepositoryModels.Rbac | RepositoryModels.Network | RepositoryModels.Signatures, warmed);
            }
            Assert.True(parallel.Count(e => e.StartsWith("finding", StringComparison.Ordinal)) > (root == repo ? 1000 : 20), $"{parallel.Count} events");
            if (root != repo)
            {
                Assert.Contains(parallel, e => e.StartsWith("error", StringComparison.Ordinal) && e.Contains(GitOpsSec.Diagnostics.ErrorIds.SuppressionWithoutReason, StringComparison.Ordinal));
            }
        }
    }

    /// <summary>
    /// The verdicts a compact copy keeps in place of its pod spec are empty (<see cref="PodSecurityAdmission.Verdicts.IsEmpty"/>)
    /// exactly when the pod has no violation at either level at any version from v1.0 to v1.45 and latest (checked
    /// one by one, not at the change points). Cases: the Pod Security conformance corpus.
    /// </summary>
    [Fact]
    public void Allowed_everywhere_means_no_violation_at_any_level_and_any_version()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "pod-security", "cases.json")));
        var pods = doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("pod").GetRawText()).ToList();
        using var dir = new TempDir();
        var (objects, host) = Scan.Load(dir.Write("cases.yaml", string.Join("\n---\n", pods)));
        Assert.Empty(host.Errors);
        var versions = Enumerable.Range(0, 46).Select(m => new PodSecurityVersion(m, false)).Append(PodSecurityVersion.Latest).ToList();
        int allowed = 0;
        foreach (ManifestObject pod in objects)
        {
            bool anywhere = versions.Any(v => new[] { PodSecurityLevel.Baseline, PodSecurityLevel.Restricted }.Any(l => PodSecurityAdmission.Violations(pod, l, v).Any()));
            Assert.Equal(!anywhere, PodSecurityAdmission.Verdicts.Of(PodSpec.Of(pod)!).IsEmpty);
            allowed += anywhere ? 0 : 1;
        }
        Assert.InRange(allowed, 1, objects.Count - 1);
    }

    /// <summary>
    /// A compact copy answers Pod Security from the verdicts its pod spec got: at each level and every version from
    /// v1.0 to v1.45 and latest, the same controls with the same violations (field, target, value, evidence) as
    /// evaluating the pod spec there. Cases: the conformance corpus, the rule fixtures and every example's workloads.
    /// </summary>
    [Fact]
    public void Verdicts_kept_for_a_compact_copy_equal_evaluating_its_pod_spec_at_every_level_and_version()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "pod-security", "cases.json")));
        using var dir = new TempDir();
        var (pods, host) = Scan.Load(dir.Write("cases.yaml", string.Join("\n---\n", doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("pod").GetRawText()))));
        Assert.Empty(host.Errors);
        var workloads = pods.Concat(Directory.GetDirectories(TestPaths.Examples).SelectMany(d => Scan.Load(d).Objects))
            .Concat(Scan.Load(Path.Combine(TestPaths.RepoRoot, "tests", "data", "rules")).Objects)
            .Where(o => o.Source == "File" && PodSpec.Of(o) is not null).ToList();
        var versions = Enumerable.Range(0, 46).Select(m => new PodSecurityVersion(m, false)).Append(PodSecurityVersion.Latest).ToList();
        int compared = 0, violated = 0;
        foreach (ManifestObject workload in workloads)
        {
            ManifestObject compact = RepositoryNeeds.Compact(workload, PodSpec.Of(workload)!);
            Assert.True(compact.FrozenBytes > 0);
            foreach (PodSecurityLevel level in new[] { PodSecurityLevel.Baseline, PodSecurityLevel.Restricted })
            {
                foreach (PodSecurityVersion version in versions)
                {
                    string Show(ManifestObject o) => string.Join("; ", PodSecurityAdmission.Violations(o, level, version)
                        .Select(v => $"{v.Info.Id} {v.Violation.Path} {v.Violation.Target} {v.Violation.Value} {v.Violation.Evidence} {v.Violation.Severity}"));
                    string direct = Show(workload);
                    Assert.Equal(direct, Show(compact));
                    compared++;
                    violated += direct.Length > 0 ? 1 : 0;
                }
            }
        }
        Assert.True(workloads.Count > 150, $"{workloads.Count} workloads");
        Assert.InRange(violated, 1, compared - 1);
    }

    /// <summary>
    /// What a compact copy answers without thawing its tree is what its tree says: it has a pod spec, it is not
    /// SOPS-encrypted, and it keeps a suppression annotation exactly when the object or its pods have one. Cases:
    /// every workload of the hand repository (suppressions on the object, the pods, both, neither), the examples and
    /// the rule fixtures.
    /// </summary>
    [Fact]
    public void A_compact_copy_knows_without_thawing_what_its_tree_says()
    {
        using var dir = new TempDir();
        var objects = Scan.Load(HandRepository(dir)).Objects
            .Concat(Directory.GetDirectories(TestPaths.Examples).SelectMany(d => Scan.Load(d).Objects))
            .Concat(Scan.Load(Path.Combine(TestPaths.RepoRoot, "tests", "data", "rules")).Objects).ToList();
        int compacted = 0, suppressing = 0;
        foreach (ManifestObject obj in objects)
        {
            Assert.Equal(PodSpec.Of(obj) is not null, PodSpec.Exists(obj));
            if (RepositoryNeeds.Kept(obj) is not ManifestObject kept || !kept.IsCompact)
            {
                continue;
            }
            compacted++;
            Assert.True(PodSpec.Exists(kept));
            Assert.NotNull(PodSpec.Of(kept));
            Assert.False(kept.Node.ContainsKey("sops"));
            PodSpec pod = PodSpec.Of(kept)!;
            bool any = new[] { kept.Node.Map("metadata")?.Map("annotations"), pod.Metadata?.Map("annotations") }
                .Any(a => a?.Entries.Any(e => e.Key.Value.StartsWith(ManifestAnalyzer.SuppressionPrefix, StringComparison.Ordinal)) == true);
            bool original = new[] { obj.Node.Map("metadata")?.Map("annotations"), PodSpec.Of(obj)!.Metadata?.Map("annotations") }
                .Any(a => a?.Entries.Any(e => e.Key.Value.StartsWith(ManifestAnalyzer.SuppressionPrefix, StringComparison.Ordinal)) == true);
            Assert.Equal(original, any);
            Assert.Equal(original, kept.KeptSuppressions);
            suppressing += original ? 1 : 0;
        }
        Assert.True(compacted > 40, $"{compacted} compacted");
        Assert.InRange(suppressing, 10, compacted - 10);
    }

    [Fact]
    public void A_frozen_tree_thaws_into_the_same_nodes_values_styles_tags_and_places()
    {
        string text = File.ReadAllText(Path.Combine(TestPaths.Examples, "insecure-repo", "jobs", "db-backup.yaml")) +
                      "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: 'quoted', labels: &l {a: b}}\ndata:\n  tagged: !!str 5\n  block: |\n    line one\n    line two\n  alias: *l\n  empty: []\n  long: " +
                      new string('x', 300) + "\n  deep: {line: 123456789}\n";
        using var dir = new TempDir();
        var (objects, host) = Scan.Load(dir.Write("all.yaml", text));
        Assert.Empty(host.Errors);
        Assert.True(objects.Count >= 2);
        foreach (ManifestObject obj in objects)
        {
            var frozen = FrozenYaml.Freeze(obj.Node);
            Assert.Equal(Describe(obj.Node), Describe(frozen.Thaw()));
            Assert.True(frozen.Bytes < 2 * Describe(obj.Node).Length);
        }
    }

    private static string Describe(YNode node) => node switch
    {
        YScalar s => $"S({s.Line}:{s.Column}|{s.IsPlain}|{s.Tag}|{s.Value})",
        YMapping m => $"M({m.Line}:{m.Column}|{m.Size}|{string.Join(",", m.Entries.Select(e => Describe(e.Key) + "=" + Describe(e.Value)))})",
        YSequence q => $"Q({q.Line}:{q.Column}|{q.Size}|{string.Join(",", q.Items.Select(Describe))})",
        _ => throw new InvalidOperationException(),
    };
}
