using System.Management.Automation;
using GitOpsSec.Rules;

namespace GitOpsSec.Commands.Common;

/// <summary>Cmdlets that run the rule catalog: -Level, -Rule and -ExcludeRule, and the analyzer they configure.</summary>
public abstract class RuleSelectionCmdlet : ManifestInputCmdlet
{
    /// <summary>Pod Security Standards profile: Baseline, or Restricted (which includes Baseline; the default).</summary>
    [Parameter]
    [ValidateSet("Baseline", "Restricted")]
    public string Level { get; set; } = "Restricted";

    /// <summary>The Kubernetes version whose Pod Security checks apply: v1.N, 1.N or latest (default: kubernetesVersion of the config, else latest).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    /// <summary>Run only these rules (ids or names, wildcards allowed).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(RuleCompleter))]
    public string[]? Rule { get; set; }

    /// <summary>Do not run these rules (ids or names, wildcards allowed).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(RuleCompleter))]
    public string[]? ExcludeRule { get; set; }

    /// <summary>Registries images may come from (GOS6003), e.g. registry.example.com, ghcr.io/my-org, *.azurecr.io. Default: allowedRegistries of .gitopssec.yaml.</summary>
    [Parameter]
    public string[]? AllowedRegistry { get; set; }

    /// <summary>Kyverno ClusterPolicy / Policy files or folders to evaluate offline besides the rule catalog; failures become Findings with the rule id kyverno/&lt;policy&gt;/&lt;rule&gt;.</summary>
    [Parameter]
    public string[]? Policy { get; set; }

    private List<GitOpsSec.Kyverno.KyvernoPolicy>? _policies;

    /// <summary>
    /// Loads -Policy (or, without it, the config's policies). A -Policy that names no policy stops the
    /// command: checking without the policies the caller asked for would mislead.
    /// </summary>
    internal void LoadPolicies(GitOpsSec.Reports.GitOpsConfig? config = null)
    {
        IEnumerable<string> paths = Policy is { Length: > 0 }
            ? Policy.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p))
            : config?.PolicyPaths ?? Array.Empty<string>();
        var list = paths.ToList();
        if (list.Count == 0)
        {
            return;
        }
        _policies = GitOpsSec.Kyverno.KyvernoPolicies.Load(list, ScanHost);
        if (_policies.Count == 0)
        {
            ThrowTerminatingError(ToErrorRecord(GitOpsSec.Kyverno.KyvernoPolicies.NoPolicy(list)));
        }
    }

    private readonly List<GitOpsSec.Manifests.ManifestObject> _deferred = new();

    /// <summary>
    /// The Kyverno policies' Fail and undecided (Error) results on one object, as Findings. Policies that
    /// select by namespaceSelector need every Namespace object first: their objects are kept for
    /// <see cref="DeferredKyvernoFindings"/>; the others are evaluated as the object streams by.
    /// </summary>
    internal IEnumerable<Finding> KyvernoFindings(ManifestAnalyzer analyzer, GitOpsSec.Manifests.ManifestObject obj)
    {
        if (_policies is null || GitOpsSec.Kyverno.KyvernoPolicy.IsPolicy(obj))
        {
            yield break;
        }
        if (_policies.Any(p => p.UsesNamespaceSelector))
        {
            _deferred.Add(obj);
        }
        foreach (GitOpsSec.Kyverno.KyvernoPolicy policy in _policies.Where(p => !p.UsesNamespaceSelector))
        {
            foreach (Finding f in Failures(analyzer, policy, obj, null))
            {
                yield return f;
            }
        }
    }

    /// <summary>After the last object: the namespaceSelector policies, with the labels of every Namespace object seen.</summary>
    internal IEnumerable<Finding> DeferredKyvernoFindings(ManifestAnalyzer analyzer)
    {
        if (_policies is null || _deferred.Count == 0)
        {
            yield break;
        }
        var namespaces = GitOpsSec.Kyverno.KyvernoPolicies.NamespaceLabels(_deferred);
        foreach (GitOpsSec.Manifests.ManifestObject obj in _deferred)
        {
            foreach (GitOpsSec.Kyverno.KyvernoPolicy policy in _policies.Where(p => p.UsesNamespaceSelector))
            {
                foreach (Finding f in Failures(analyzer, policy, obj, ns => namespaces.GetValueOrDefault(ns)))
                {
                    yield return f;
                }
            }
        }
    }

    private static IEnumerable<Finding> Failures(ManifestAnalyzer analyzer, GitOpsSec.Kyverno.KyvernoPolicy policy, GitOpsSec.Manifests.ManifestObject obj,
        Func<string, IReadOnlyDictionary<string, string>?>? namespaces) =>
        GitOpsSec.Kyverno.KyvernoEvaluator.Evaluate(policy, obj, namespaces)
            .Where(r => r.Result is GitOpsSec.Kyverno.KyvernoResult.Fail or GitOpsSec.Kyverno.KyvernoResult.Error)
            .Select(r => analyzer.ToFinding(r, policy, obj));

    /// <summary>The analyzer for the parameters; a repository config fills in what the parameters leave unset.</summary>
    internal ManifestAnalyzer CreateAnalyzer(GitOpsSec.Reports.GitOpsConfig? config = null) => new(new RuleSelection
    {
        Level = MyInvocation.BoundParameters.ContainsKey(nameof(Level)) || config is null
            ? Enum.Parse<PodSecurityLevel>(Level, ignoreCase: true)
            : config.Level,
        Include = Rule ?? (config?.EnabledRules is { Count: > 0 } enabled ? enabled.ToArray() : null),
        Exclude = (ExcludeRule ?? Array.Empty<string>()).Concat(config?.DisabledRules ?? Array.Empty<string>()).ToArray(),
        AllowedRegistries = AllowedRegistry ?? (IReadOnlyList<string>?)config?.AllowedRegistries ?? Array.Empty<string>(),
        RequireSignedCommits = config?.TrustedKeys is not null,
        KubernetesVersion = KubernetesVersion is not null
            ? GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Parse(KubernetesVersion, "-KubernetesVersion")
            : config?.KubernetesVersion ?? GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Latest,
        PodSecurityDefault = config?.PodSecurityDefault ?? (PodSecurityLevel.None, GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Latest),
    }, ScanHost);
}
