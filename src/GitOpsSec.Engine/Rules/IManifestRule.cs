using GitOpsSec.Manifests;

namespace GitOpsSec.Rules;

/// <summary>A rule implementation, found by its catalog id.</summary>
internal interface IRule
{
    string Id { get; }
}

/// <summary>One rule: looks at one object and yields its violations. Wording comes from the catalog.</summary>
internal interface IManifestRule : IRule
{
    IEnumerable<Violation> Evaluate(ManifestObject obj);
}

/// <summary>A rule with settings from the selection (e.g. allowed registries): the analyzer uses the configured copy.</summary>
internal interface IConfigurableRule : IRule
{
    IRule Configure(RuleSelection selection);
}

/// <summary>A rule that needs every object of the scan at once (e.g. a binding and the role it references).</summary>
internal interface IRepositoryRule : IRule
{
    IEnumerable<(ManifestObject Object, Violation Violation)> Evaluate(RepositoryContext repository);

    /// <summary>The models of <see cref="RepositoryContext"/> the rule reads, which a scan may build ahead (<see cref="RepositoryContext.Warm"/>).</summary>
    RepositoryModels Reads => RepositoryModels.None;
}

/// <summary>The models a repository context builds once for the rules that read them (none of them reports to the host).</summary>
[Flags]
internal enum RepositoryModels
{
    None = 0,
    Rbac = 1,
    Network = 2,
    Signatures = 4,
}

/// <summary>
/// Every object of one scan, and the models built from them once for all repository rules
/// (several rules read the same RBAC model or network policy coverage).
/// </summary>
internal sealed class RepositoryContext
{
    private readonly Lazy<GitOpsSec.Rbac.RbacModel> _rbac;
    private readonly Lazy<GitOpsSec.Network.NetworkPolicyAnalyzer> _network;
    private readonly Lazy<GitOpsSec.Rules.Images.ImageSignatureAnalyzer> _signatures;
    private readonly Lazy<IReadOnlyList<GitOpsSec.Admission.AdmissionPolicyResult>> _admission;

    public RepositoryContext(IReadOnlyList<ManifestObject> objects, RuleSelection? selection = null, GitOpsSec.Diagnostics.IScanHost? host = null)
    {
        Objects = objects;
        Selection = selection ?? new RuleSelection();
        Host = host ?? new GitOpsSec.Diagnostics.CollectingHost();
        _rbac = new(() => GitOpsSec.Rbac.RbacModel.Build(objects, new GitOpsSec.Diagnostics.CollectingHost()));
        _network = new(() => new GitOpsSec.Network.NetworkPolicyAnalyzer(objects));
        _signatures = new(() => new GitOpsSec.Rules.Images.ImageSignatureAnalyzer(objects));
        _admission = new(() => new GitOpsSec.Admission.AdmissionPolicySet(objects, Host).Evaluate(objects).ToList());
    }

    public IReadOnlyList<ManifestObject> Objects { get; }

    /// <summary>The selection the scan runs with (level, Kubernetes version, cluster defaults).</summary>
    public RuleSelection Selection { get; }

    /// <summary>Where repository rules report bad input (an invalid namespace label).</summary>
    public GitOpsSec.Diagnostics.IScanHost Host { get; }

    /// <summary>The RBAC model with the bootstrap roles; its input errors are reported by the RBAC cmdlets, not here.</summary>
    public GitOpsSec.Rbac.RbacModel Rbac => _rbac.Value;

    public GitOpsSec.Network.NetworkPolicyAnalyzer Network => _network.Value;

    /// <summary>Which image-verification policy covers each deployed image, in its namespace.</summary>
    public GitOpsSec.Rules.Images.ImageSignatureAnalyzer Signatures => _signatures.Value;

    /// <summary>
    /// Starts building <paramref name="models"/> on the thread pool, so that a monorepo's RBAC model, network coverage
    /// and image-signature uses are built beside the rules that come before the first that reads them, instead of
    /// one after another on the caller's thread. A rule takes the model as it would have (Lazy: it waits for the build
    /// in progress, and a build that failed throws to it as before). The admission verdicts are not built ahead:
    /// they report to the host, which takes reports on the caller's thread only.
    /// </summary>
    public Task Warm(RepositoryModels models)
    {
        var builds = new List<Task>();
        void Start<T>(Lazy<T> model) => builds.Add(Task.Run(() =>
        {
            try
            {
                _ = model.Value;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // kept by the Lazy: the rule that reads the model gets it
            }
        }));
        if (models.HasFlag(RepositoryModels.Rbac))
        {
            Start(_rbac);
        }
        if (models.HasFlag(RepositoryModels.Network))
        {
            Start(_network);
        }
        if (models.HasFlag(RepositoryModels.Signatures))
        {
            Start(_signatures);
        }
        return Task.WhenAll(builds);
    }

    /// <summary>The verdicts of the repository's CEL admission policies (ValidatingAdmissionPolicy, Kyverno ValidatingPolicy, Gatekeeper CEL) on its objects.</summary>
    public IReadOnlyList<GitOpsSec.Admission.AdmissionPolicyResult> AdmissionResults => _admission.Value;
}

/// <summary>
/// A violation: where (a field path inside the object), the values for the message placeholders,
/// and the annotations that can suppress it (the object's and, for workloads, the pod template's).
/// </summary>
internal sealed record Violation(FieldPath Path, string Target, string Value, string? Evidence = null, Severity? Severity = null)
{
    /// <summary>
    /// For a finding about a whole namespace that is shown at one of its objects (there is no Namespace object):
    /// the namespace it is about. It is reported as Namespace/&lt;name&gt; and no annotation of the object it is
    /// shown at can suppress it: one team's Deployment must not silence a finding about every team's namespace.
    /// </summary>
    public string? AboutNamespace { get; init; }
}
