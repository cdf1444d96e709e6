using GitOpsSec.Kyverno;
using GitOpsSec.Manifests;
using GitOpsSec.Rules.PodSecurity;

namespace GitOpsSec.Rules.Images;

/// <summary>What one policy does for one image in one workload.</summary>
public enum SignatureCheckOutcome
{
    /// <summary>The policy verifies the image here.</summary>
    Covers,

    /// <summary>Its image patterns do not match the image.</summary>
    ImageNotMatched,

    /// <summary>Its match/exclude (or the controller's own exclusions) leave out this resource or namespace.</summary>
    NotSelected,

    /// <summary>policy-controller: the namespace has not opted in with policy.sigstore.dev/include: "true".</summary>
    NotOptedIn,

    /// <summary>Whether it applies needs facts the repository does not hold (a namespace's labels): not counted.</summary>
    Undecided,

    /// <summary>policy-controller: no ClusterImagePolicy matches, and its no-match-policy decides.</summary>
    NoPolicyMatched,

    /// <summary>The policy's image pattern is invalid for its controller, so it matches nothing.</summary>
    InvalidPattern,
}

/// <summary>One image-verification policy considered for one image in one workload, and what came of it.</summary>
public sealed record SignatureCheck
{
    /// <summary>Kyverno or policy-controller.</summary>
    public required string Controller { get; init; }

    /// <summary>Kind/name of the policy, with the rule for Kyverno (ClusterPolicy/verify-images/check-signature).</summary>
    public required string Policy { get; init; }

    public required SignatureCheckOutcome Outcome { get; init; }

    /// <summary>The policy blocks admission when verification fails (Kyverno Enforce, policy-controller mode enforce).</summary>
    public bool Enforced { get; init; }

    public SignatureTrust Trust { get; init; }

    /// <summary>The weakest signer this policy accepts.</summary>
    public string? Attestor { get; init; }

    /// <summary>The policy pins a tag to the verified digest, or refuses a tag (Kyverno mutateDigest/verifyDigest; policy-controller always resolves).</summary>
    public bool VerifiesDigest { get; init; }

    /// <summary>Why: the patterns that did not match, the namespace left out, the action.</summary>
    public required string Detail { get; init; }

    public string? Path { get; init; }
    public int Line { get; init; }

    public override string ToString() => Path is null ? $"{Policy}: {Detail}" : $"{Policy} ({Path}:{Line}): {Detail}";
}

/// <summary>One container image in one workload, and what admission will verify of it.</summary>
public sealed record ImageSignatureUse
{
    public required string Image { get; init; }

    /// <summary>Kind/namespace/name of the workload.</summary>
    public required string Workload { get; init; }

    /// <summary>Where the pods land (the resolved namespace, default when none).</summary>
    public required string Namespace { get; init; }

    /// <summary>File:line of the image field.</summary>
    public required string Location { get; init; }

    /// <summary>The strongest trust an enforcing policy requires, or, when none enforces, what audit policies check.</summary>
    public SignatureTrust Trust { get; init; }

    /// <summary>An enforcing policy verifies the image (or refuses it): an unsigned image is not admitted.</summary>
    public bool Enforced { get; init; }

    /// <summary>The policy that decides (Trust comes from it), or null.</summary>
    public string? Policy { get; init; }

    /// <summary>The weakest signer the deciding policy accepts.</summary>
    public string? Attestor { get; init; }

    /// <summary>The image runs by digest: pinned in the manifest, or pinned by the enforcing policy.</summary>
    public bool DigestEnforced { get; init; }

    /// <summary>Every policy considered, with the outcome.</summary>
    public required IReadOnlyList<SignatureCheck> Checks { get; init; }

    /// <summary>Only Audit/warn policies verify it.</summary>
    public bool AuditOnly => !Enforced && Checks.Any(c => c.Outcome == SignatureCheckOutcome.Covers);

    internal ManifestObject Object { get; init; } = null!;
    internal FieldPath Field { get; init; } = FieldPath.Root;
    internal string Container { get; init; } = string.Empty;
    internal bool Pinned { get; init; }

    /// <summary>Why no enforcing policy covers the image: each policy considered and what stopped it.</summary>
    public string Why()
    {
        // The policies whose image patterns matched say the most (namespace excluded, audit mode): first.
        var stopped = Checks.Where(c => c.Outcome != SignatureCheckOutcome.Covers || !c.Enforced)
            .OrderBy(c => c.Outcome == SignatureCheckOutcome.ImageNotMatched).ToList();
        return stopped.Count == 0
            ? "the repository ships no image-verification policy (Kyverno verifyImages, Sigstore ClusterImagePolicy)"
            : string.Join("; ", stopped.Take(6).Select(c => c.ToString())) + (stopped.Count > 6 ? $"; and {stopped.Count - 6} more" : string.Empty);
    }

    public override string ToString() => $"{Image} in {Workload}: {(Enforced ? "enforced" : AuditOnly ? "audit only" : "not verified")}, {Trust}";
}

/// <summary>
/// Which policy will verify each deployed image's signature at admission, in the namespace the image lands in,
/// and how strongly: Kyverno verifyImages rules (ClusterPolicy, Policy) and Sigstore policy-controller
/// ClusterImagePolicies, each matched by its own tool's rules for image patterns, resources and namespaces.
/// </summary>
public sealed class ImageSignatureAnalyzer
{
    private readonly List<KyvernoImageRule> _kyverno = new();
    private readonly List<ClusterImagePolicy> _sigstore = new();
    private readonly List<RatifyConstraint> _ratify = new();
    private readonly List<RatifyExecutor> _ratifyExecutors = new();
    private readonly List<KyvernoImageValidatingPolicy> _ivpols = new();
    private readonly GitOpsSec.Admission.AdmissionContext? _admission;
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _namespaceLabels;
    private readonly KyvernoExclusions _kyvernoExclusions;
    private readonly string _noMatchPolicy;

    public ImageSignatureAnalyzer(IReadOnlyList<ManifestObject> objects)
    {
        _namespaceLabels = KyvernoPolicies.NamespaceLabels(objects);
        foreach (ManifestObject o in objects)
        {
            if (KyvernoPolicy.IsPolicy(o))
            {
                _kyverno.AddRange(KyvernoImageRule.Read(o));
            }
            else if (o.Kind == "ClusterImagePolicy" && o.ApiVersion.StartsWith("policy.sigstore.dev/", StringComparison.Ordinal))
            {
                _sigstore.Add(ClusterImagePolicy.Read(o));
            }
            else if (o.Kind == "RatifyVerification" && o.ApiVersion.StartsWith("constraints.gatekeeper.sh/", StringComparison.Ordinal))
            {
                _ratify.Add(RatifyConstraint.Read(o));
            }
            else if (o.Kind == "Executor" && o.ApiVersion.StartsWith("config.ratify.dev/", StringComparison.Ordinal))
            {
                _ratifyExecutors.Add(RatifyExecutor.Read(o));
            }
            else if (o.Kind is "ImageValidatingPolicy" or "NamespacedImageValidatingPolicy" && o.ApiVersion.StartsWith("policies.kyverno.io/", StringComparison.Ordinal))
            {
                _ivpols.Add(KyvernoImageValidatingPolicy.Read(o));
            }
        }
        _admission = _ivpols.Count > 0 ? new GitOpsSec.Admission.AdmissionContext(objects, "system:serviceaccount:argocd:argocd-application-controller") : null;
        _kyvernoExclusions = _admission?.KyvernoExclusions ?? KyvernoExclusions.From(objects);
        _noMatchPolicy = objects.FirstOrDefault(o => o.Kind == "ConfigMap" && o.Name == "config-policy-controller")?
            .Node.Map("data")?.Text("no-match-policy")?.Trim().ToLowerInvariant() switch
        {
            "allow" => "allow",
            "warn" => "warn",
            _ => "deny", // NewPolicyControllerConfigFromMap: anything else, or nothing, is deny
        };
        var uses = new List<ImageSignatureUse>();
        foreach (ManifestObject obj in objects)
        {
            ManifestObject? pod = null; // ContainerImages.Of yields nothing for an object without a pod spec
            foreach (var (container, image, path) in ContainerImages.Of(obj))
            {
                pod ??= HasPolicies ? KyvernoEvaluator.PodOf(obj) ?? obj : obj;
                uses.Add(Evaluate(obj, pod, container, image, path));
            }
        }
        Uses = uses;
    }

    /// <summary>The repository ships at least one image-verification policy.</summary>
    public bool HasPolicies => _kyverno.Count > 0 || _sigstore.Count > 0 || _ratify.Count > 0 || _ivpols.Count > 0;

    /// <summary>Every container image of every pod-bearing object.</summary>
    public IReadOnlyList<ImageSignatureUse> Uses { get; }

    private IReadOnlyDictionary<string, string>? LabelsOf(string ns) => _namespaceLabels.TryGetValue(ns, out var l) ? l : null;

    private ImageSignatureUse Evaluate(ManifestObject obj, ManifestObject pod, ContainerRef container, string image, FieldPath path)
    {
        string ns = obj.Namespace ?? "default";
        var checks = new List<SignatureCheck>();
        foreach (KyvernoImageRule rule in _kyverno)
        {
            checks.Add(rule.Check(obj, pod, ns, image, LabelsOf, _kyvernoExclusions));
        }
        foreach (KyvernoImageValidatingPolicy ivpol in _ivpols)
        {
            checks.Add(ivpol.Check(obj, pod, ns, image, _admission!, _kyvernoExclusions));
        }
        foreach (RatifyConstraint constraint in _ratify)
        {
            checks.Add(constraint.Check(obj, pod, ns, image, LabelsOf, _ratifyExecutors));
        }
        if (_sigstore.Count > 0)
        {
            var labels = LabelsOf(ns);
            bool optedIn = labels is not null && labels.TryGetValue("policy.sigstore.dev/include", out string? include) && include == "true";
            var sigstoreChecks = _sigstore.Select(p => p.Check(obj, pod, ns, image, optedIn)).ToList();
            checks.AddRange(sigstoreChecks);
            if (optedIn && !sigstoreChecks.Any(c => c.Outcome is SignatureCheckOutcome.Covers or SignatureCheckOutcome.NotSelected))
            {
                checks.Add(new SignatureCheck
                {
                    Controller = ClusterImagePolicy.Controller,
                    Policy = $"no-match-policy ({_noMatchPolicy})",
                    Outcome = SignatureCheckOutcome.NoPolicyMatched,
                    Enforced = _noMatchPolicy == "deny",
                    Trust = _noMatchPolicy == "deny" ? SignatureTrust.Rejected : SignatureTrust.NotVerified,
                    Detail = _noMatchPolicy switch
                    {
                        "deny" => "no ClusterImagePolicy matches, and policy-controller's no-match-policy deny refuses the pod",
                        "warn" => "no ClusterImagePolicy matches, and no-match-policy warn admits the pod with a warning",
                        _ => "no ClusterImagePolicy matches, and no-match-policy allow admits the pod",
                    },
                });
            }
        }

        // Every matching policy must pass (Kyverno applies every rule, policy-controller ANDs its policies, and both
        // webhooks run), so the strongest enforcing check is what an attacker must beat.
        var enforcing = checks.Where(c => c.Enforced && c.Outcome is SignatureCheckOutcome.Covers or SignatureCheckOutcome.NoPolicyMatched).ToList();
        var auditing = checks.Where(c => !c.Enforced && c.Outcome == SignatureCheckOutcome.Covers).ToList();
        SignatureCheck? decides = enforcing.OrderByDescending(c => c.Trust).FirstOrDefault() ?? auditing.OrderByDescending(c => c.Trust).FirstOrDefault();
        var reference = ImageReference.Parse(image);
        SourceLocation where = obj.Locate(path);
        return new ImageSignatureUse
        {
            Image = image,
            Workload = $"{obj.Kind}/{ns}/{obj.Name}",
            Namespace = ns,
            Location = $"{where.Path}:{where.Line}",
            Trust = decides?.Trust ?? SignatureTrust.NotVerified,
            Enforced = enforcing.Count > 0,
            Policy = decides?.Policy,
            Attestor = decides?.Attestor,
            DigestEnforced = reference.IsPinned || enforcing.Any(c => c.VerifiesDigest),
            Checks = checks,
            Object = obj,
            Field = path,
            Container = container.Describe(),
            Pinned = reference.IsPinned,
        };
    }

    /// <summary>The weakest signer a set of attestors lets through when <paramref name="required"/> of them must pass.</summary>
    internal static SignatureAttestor Weakest(IReadOnlyList<SignatureAttestor> attestors, int required)
    {
        var sorted = attestors.OrderBy(a => a.Trust).ToList();
        return sorted[Math.Clamp(required, 1, sorted.Count) - 1];
    }
}

/// <summary>Kyverno's own exclusions: the namespaces its webhooks and resourceFilters leave out (chart defaults, or the repository's kyverno ConfigMap).</summary>
internal sealed class KyvernoExclusions
{
    private static readonly string[] ChartDefaults = { "kube-system", "kube-public", "kube-node-lease", "kyverno" };

    private readonly List<string> _namespaces;
    private readonly string _source;

    private KyvernoExclusions(List<string> namespaces, string source)
    {
        _namespaces = namespaces;
        _source = source;
    }

    public static KyvernoExclusions From(IReadOnlyList<ManifestObject> objects)
    {
        ManifestObject? config = objects.FirstOrDefault(o => o.Kind == "ConfigMap" && o.Name == "kyverno" && o.Node.Map("data")?.Text("resourceFilters") is not null);
        if (config is null)
        {
            return new KyvernoExclusions(ChartDefaults.ToList(), "the Kyverno chart's default resourceFilters and webhook namespaceSelector");
        }
        // "[Kind,Namespace,Name]" entries; an entry for every kind and name excludes a namespace.
        var namespaces = new List<string> { "kube-system", config.Namespace ?? "kyverno" };
        foreach (string entry in config.Node.Map("data")!.Text("resourceFilters")!.Split('[', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = entry.TrimEnd().TrimEnd(']').Split(',');
            if (parts.Length == 3 && parts[0].Trim() is "*" or "*/*" or "Pod" && parts[2].Trim() == "*" && parts[1].Trim() is { Length: > 0 } ns && ns != "*")
            {
                namespaces.Add(ns);
            }
        }
        return new KyvernoExclusions(namespaces, $"resourceFilters of ConfigMap {config.Namespace}/kyverno ({config.Path}:{config.Line})");
    }

    public string? Excludes(string ns) =>
        _namespaces.FirstOrDefault(p => GitOpsSec.Diagnostics.BoundedPattern.Wildcard(p, ns)) is string hit
            ? $"Kyverno does not see namespace {ns}: {_source} exclude {hit}"
            : null;
}

/// <summary>One verifyImages entry of a Kyverno rule: its image patterns, action, attestors and digest handling.</summary>
internal sealed class KyvernoImageRule
{
    private KyvernoPolicy _policy = null!;
    private YMapping _rule = null!;
    private string[] _references = Array.Empty<string>();
    private string[] _skip = Array.Empty<string>();
    private SignatureAttestor _trust;
    private bool _verifiesDigest;
    private string _name = string.Empty;
    private int _line;

    public static IEnumerable<KyvernoImageRule> Read(ManifestObject o)
    {
        var policy = KyvernoPolicy.From(o);
        foreach (YMapping rule in o.Node.Map("spec")?.Seq("rules")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            foreach (YMapping entry in rule.Seq("verifyImages")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
            {
                var references = (entry.Seq("imageReferences")?.Items.OfType<YScalar>().Select(s => s.Value) ?? Enumerable.Empty<string>())
                    .Concat(entry.Text("image") is string legacy ? new[] { legacy } : Array.Empty<string>()).ToArray();
                yield return new KyvernoImageRule
                {
                    _policy = policy,
                    _rule = rule,
                    _name = $"{o.Kind}/{(policy.Namespace is null ? string.Empty : policy.Namespace + "/")}{policy.Name}/{rule.Text("name") ?? "(unnamed)"}",
                    _references = references,
                    _skip = entry.Seq("skipImageReferences")?.Items.OfType<YScalar>().Select(s => s.Value).ToArray() ?? Array.Empty<string>(),
                    _trust = Trust(entry),
                    // Both default to true (kubebuilder defaults); only both false leaves a tag unpinned.
                    _verifiesDigest = entry["mutateDigest"] is not YScalar m || m.AsBoolean() != false || entry["verifyDigest"] is not YScalar v || v.AsBoolean() != false,
                    _line = entry.Line,
                    Path = o.Path,
                };
            }
        }
    }

    public string Path { get; private init; } = string.Empty;

    public SignatureCheck Check(ManifestObject workload, ManifestObject pod, string ns, string image,
        Func<string, IReadOnlyDictionary<string, string>?> namespaceLabels, KyvernoExclusions exclusions)
    {
        SignatureCheck Result(SignatureCheckOutcome outcome, string detail, bool enforced = false) => new()
        {
            Controller = "Kyverno",
            Policy = _name,
            Outcome = outcome,
            Enforced = enforced,
            Trust = outcome == SignatureCheckOutcome.Covers ? _trust.Trust : SignatureTrust.NotVerified,
            Attestor = _trust.Description,
            VerifiesDigest = outcome == SignatureCheckOutcome.Covers && _verifiesDigest,
            Detail = detail,
            Path = Path,
            Line = _line,
        };

        string kyvernoImage = ImageForms.Kyverno(image);
        if (!_references.Any(r => GitOpsSec.Diagnostics.BoundedPattern.Wildcard(r, kyvernoImage)))
        {
            return Result(SignatureCheckOutcome.ImageNotMatched, $"imageReferences {string.Join(", ", _references)} do not match {kyvernoImage}");
        }
        if (_skip.FirstOrDefault(r => GitOpsSec.Diagnostics.BoundedPattern.Wildcard(r, kyvernoImage)) is string skipped)
        {
            return Result(SignatureCheckOutcome.ImageNotMatched, $"skipImageReferences {skipped} skips {kyvernoImage}");
        }
        if (_policy.Namespace is not null && _policy.Namespace != ns)
        {
            return Result(SignatureCheckOutcome.NotSelected, $"a Policy in namespace {_policy.Namespace} does not apply in {ns}");
        }
        if (exclusions.Excludes(ns) is string excluded)
        {
            return Result(SignatureCheckOutcome.NotSelected, excluded);
        }
        // The rule checks the workload itself, or the Pods it creates (the Pod webhook sees every pod).
        bool? selects = KyvernoEvaluator.Selects(_rule, workload, namespaceLabels, out string? undecided);
        if (selects != true && !ReferenceEquals(pod, workload))
        {
            bool? podSelects = KyvernoEvaluator.Selects(_rule, pod, namespaceLabels, out string? podUndecided);
            selects = podSelects == true ? true : selects ?? podSelects;
            undecided ??= podUndecided;
        }
        if (selects is null)
        {
            return Result(SignatureCheckOutcome.Undecided, $"undecided offline, not counted: {undecided}");
        }
        if (selects == false)
        {
            return Result(SignatureCheckOutcome.NotSelected, $"match/exclude does not select {workload.Kind} {ns}/{workload.Name} or its pods");
        }
        string action = Action(ns, namespaceLabels);
        bool enforce = action.Equals("Enforce", StringComparison.OrdinalIgnoreCase);
        return Result(SignatureCheckOutcome.Covers, enforce ? $"Enforce, {_trust.Description}" : $"{action} only: a failed verification is reported, the pod is admitted", enforce);
    }

    /// <summary>
    /// The rule's action as Kyverno resolves it: a verifyImages entry's failureAction (Enforce wins among them), else
    /// the spec's validationFailureActionOverrides for the namespace, else spec.validationFailureAction (default Audit).
    /// </summary>
    private string Action(string ns, Func<string, IReadOnlyDictionary<string, string>?> namespaceLabels)
    {
        var entryActions = _rule.Seq("verifyImages")?.Items.OfType<YMapping>().Select(e => e.Text("failureAction")).OfType<string>().ToList() ?? new List<string>();
        if (entryActions.Count > 0)
        {
            return entryActions.FirstOrDefault(a => a.Equals("Enforce", StringComparison.OrdinalIgnoreCase)) ?? entryActions[0];
        }
        YMapping? spec = _policy.Node.Map("spec");
        foreach (YMapping o in spec?.Seq("validationFailureActionOverrides")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            bool nsMatches = o.Seq("namespaces") is not YSequence names || names.Items.OfType<YScalar>().Any(n => GitOpsSec.Diagnostics.BoundedPattern.Wildcard(n.Value, ns));
            bool selectorMatches = o.Map("namespaceSelector") is not YMapping selector ||
                (namespaceLabels(ns) is IReadOnlyDictionary<string, string> labels && GitOpsSec.Rbac.LabelSelector.FromNode(selector).Matches(labels));
            if ((o.Seq("namespaces") is not null || o.Map("namespaceSelector") is not null) && nsMatches && selectorMatches && o.Text("action") is string overridden)
            {
                return overridden;
            }
        }
        return spec?.Text("validationFailureAction") ?? "Audit";
    }

    /// <summary>
    /// The weakest signer an entry admits. Attestor sets are ANDed (the strongest set decides); within a set,
    /// count entries must pass (all by default), so an attacker picks the weakest count of them. Attestations
    /// carry their own attestor sets, ANDed with the rest.
    /// </summary>
    private static SignatureAttestor Trust(YMapping entry)
    {
        var sets = new List<SignatureAttestor>();
        foreach (YMapping set in entry.Seq("attestors")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            sets.Add(SetTrust(set, depth: 0));
        }
        foreach (YMapping attestation in entry.Seq("attestations")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            foreach (YMapping set in attestation.Seq("attestors")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
            {
                sets.Add(SetTrust(set, depth: 0));
            }
        }
        // The deprecated single-attestor fields.
        if (entry.Text("key") is string key)
        {
            sets.AddRange(SignatureIdentity.PublicKeys(key));
        }
        if (entry.Text("subject") is not null || entry.Text("issuer") is not null)
        {
            sets.Add(SignatureIdentity.Keyless(entry.Text("issuer"), null, entry.Text("subject"), null, wildcards: true));
        }
        return sets.Count == 0
            ? new SignatureAttestor(SignatureTrust.Unconstrained, "no attestors: nothing ties the image to a signer")
            : sets.OrderByDescending(s => s.Trust).First();
    }

    private static SignatureAttestor SetTrust(YMapping set, int depth)
    {
        var attestors = new List<SignatureAttestor>();
        foreach (YMapping e in set.Seq("entries")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            if (e.Map("keys") is YMapping keys)
            {
                if (keys.Text("publicKeys") is string pem)
                {
                    attestors.AddRange(SignatureIdentity.PublicKeys(pem));
                }
                else if (keys.Text("kms") is string kms)
                {
                    attestors.Add(new SignatureAttestor(SignatureTrust.Constrained, $"KMS key {kms}"));
                }
                else if (keys.Map("secret") is YMapping secret)
                {
                    attestors.Add(new SignatureAttestor(SignatureTrust.Constrained, $"the public key in Secret {secret.Text("namespace")}/{secret.Text("name")}"));
                }
                else
                {
                    attestors.Add(new SignatureAttestor(SignatureTrust.Unconstrained, "a keys attestor with no key"));
                }
            }
            else if (e.Map("keyless") is YMapping keyless)
            {
                attestors.Add(SignatureIdentity.Keyless(keyless.Text("issuer"), keyless.Text("issuerRegExp"), keyless.Text("subject"), keyless.Text("subjectRegExp"), wildcards: true));
            }
            else if (e.Map("certificates") is YMapping certs)
            {
                attestors.Add(SignatureIdentity.Certificates(certs.Text("cert"), certs.Text("certChain")));
            }
            else if (e.Map("attestor") is YMapping nested && depth < 4)
            {
                attestors.Add(SetTrust(nested, depth + 1));
            }
            else
            {
                attestors.Add(new SignatureAttestor(SignatureTrust.Unconstrained, "an attestor entry of no known type"));
            }
        }
        if (attestors.Count == 0)
        {
            return new SignatureAttestor(SignatureTrust.Unconstrained, "an attestor set with no entries");
        }
        int count = set["count"] is YScalar c && int.TryParse(c.Value, out int n) && n > 0 ? n : attestors.Count;
        SignatureAttestor weakest = ImageSignatureAnalyzer.Weakest(attestors, count);
        return count < attestors.Count ? weakest with { Description = $"{weakest.Description} (any {count} of {attestors.Count} attestors)" } : weakest;
    }
}

/// <summary>A Sigstore policy-controller ClusterImagePolicy: globs, mode, resource match and authorities.</summary>
internal sealed class ClusterImagePolicy
{
    public const string Controller = "policy-controller";

    private string _name = string.Empty;
    // Each glob with its compiled form (null: invalid for policy-controller), compiled once when the policy is read.
    private (string Glob, System.Text.RegularExpressions.Regex? Regex)[] _globs = Array.Empty<(string, System.Text.RegularExpressions.Regex?)>();
    private bool _enforce;
    private SignatureAttestor _trust;
    private List<(string Group, string Version, string Resource, YMapping? Selector)>? _match;
    private string _path = string.Empty;
    private int _line;

    public static ClusterImagePolicy Read(ManifestObject o)
    {
        YMapping? spec = o.Node.Map("spec");
        var authorities = new List<SignatureAttestor>();
        foreach (YMapping a in spec?.Seq("authorities")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            authorities.Add(Authority(a));
        }
        return new ClusterImagePolicy
        {
            _name = $"ClusterImagePolicy/{o.Name}",
            _globs = spec?.Seq("images")?.Items.OfType<YMapping>().Select(i => i.Text("glob")).OfType<string>()
                .Select(g => (g, ImageForms.CompileGlob(g))).ToArray() ?? Array.Empty<(string, System.Text.RegularExpressions.Regex?)>(),
            // Mode: enforce (the default) rejects; warn admits with a warning.
            _enforce = spec?.Text("mode")?.Trim().ToLowerInvariant() != "warn",
            // Any one authority admits the image (OR): the weakest decides.
            _trust = authorities.Count == 0
                ? new SignatureAttestor(SignatureTrust.Unconstrained, "no authorities")
                : authorities.OrderBy(a => a.Trust).First(),
            _match = spec?.Seq("match")?.Items.OfType<YMapping>()
                .Select(m => (m.Text("group") ?? string.Empty, m.Text("version") ?? string.Empty, m.Text("resource") ?? string.Empty, m.Map("selector")))
                .ToList(),
            _path = o.Path,
            _line = o.Line,
        };
    }

    private static SignatureAttestor Authority(YMapping a)
    {
        if (a.Map("static") is YMapping s)
        {
            return s.Text("action") == "fail"
                ? new SignatureAttestor(SignatureTrust.Rejected, "static fail: no image is admitted")
                : new SignatureAttestor(SignatureTrust.Unconstrained, "static pass: admitted without any signature");
        }
        if (a.Map("key") is YMapping key)
        {
            if (key.Text("data") is string data)
            {
                return SignatureIdentity.PublicKeys(data).OrderBy(k => k.Trust).First();
            }
            if (key.Text("kms") is string kms)
            {
                return new SignatureAttestor(SignatureTrust.Constrained, $"KMS key {kms}");
            }
            if (key.Map("secretRef") is YMapping secretRef)
            {
                return new SignatureAttestor(SignatureTrust.Constrained, $"the public key in Secret {secretRef.Text("name")}");
            }
            return new SignatureAttestor(SignatureTrust.Unconstrained, "a key authority with no key");
        }
        if (a.Map("keyless") is YMapping keyless)
        {
            // Identities are ORed; issuer and subject are exact strings in policy-controller, regexps otherwise.
            var identities = keyless.Seq("identities")?.Items.OfType<YMapping>()
                .Select(i => SignatureIdentity.Keyless(i.Text("issuer"), i.Text("issuerRegExp"), i.Text("subject"), i.Text("subjectRegExp"), wildcards: false))
                .ToList() ?? new List<SignatureAttestor>();
            return identities.Count == 0
                ? new SignatureAttestor(SignatureTrust.Unconstrained, "keyless with no identities")
                : identities.OrderBy(i => i.Trust).First();
        }
        return new SignatureAttestor(SignatureTrust.Unconstrained, "an authority of no known type");
    }

    public SignatureCheck Check(ManifestObject workload, ManifestObject pod, string ns, string image, bool optedIn)
    {
        SignatureCheck Result(SignatureCheckOutcome outcome, string detail) => new()
        {
            Controller = Controller,
            Policy = _name,
            Outcome = outcome,
            Enforced = outcome == SignatureCheckOutcome.Covers && _enforce,
            Trust = outcome == SignatureCheckOutcome.Covers ? _trust.Trust : SignatureTrust.NotVerified,
            Attestor = _trust.Description,
            // The mutating webhook resolves every tag to the digest it verified.
            VerifiesDigest = outcome == SignatureCheckOutcome.Covers,
            Detail = detail,
            Path = _path,
            Line = _line,
        };

        var (forms, formError) = ImageForms.PolicyController(image);
        bool matched = false;
        foreach (var (glob, compiled) in _globs)
        {
            if (compiled is not System.Text.RegularExpressions.Regex re)
            {
                return Result(SignatureCheckOutcome.InvalidPattern, $"glob '{glob}' is not valid for policy-controller (letters, digits, -_:/*.@ only)");
            }
            matched |= forms.Any(re.IsMatch);
        }
        if (formError is not null)
        {
            return Result(SignatureCheckOutcome.InvalidPattern, formError);
        }
        if (!matched)
        {
            string shown = forms[^1].EndsWith(ImageForms.PlaceholderDigest, StringComparison.Ordinal)
                ? forms[^1][..^ImageForms.PlaceholderDigest.Length] + "<digest> (after its webhook resolves the tag)"
                : forms[0];
            return Result(SignatureCheckOutcome.ImageNotMatched, $"images {string.Join(", ", _globs.Select(g => g.Glob))} do not match {shown}");
        }
        if (!optedIn)
        {
            return Result(SignatureCheckOutcome.NotOptedIn, $"namespace {ns} has not opted in (label policy.sigstore.dev/include: \"true\"), so the webhook never sees the pod");
        }
        if (_match is { Count: > 0 } && !_match.Any(m => Selects(m, workload) || Selects(m, pod)))
        {
            return Result(SignatureCheckOutcome.NotSelected, $"match does not select {workload.Kind} or its pods");
        }
        return Result(SignatureCheckOutcome.Covers, _enforce ? $"enforce, {_trust.Description}" : "mode warn only: a failed verification is a warning, the pod is admitted");
    }

    // GetMatchingPolicies: resource (the kind's guessed plural), version (or *) and group must equal; then the selector.
    private static bool Selects((string Group, string Version, string Resource, YMapping? Selector) m, ManifestObject o)
    {
        if (m.Resource != o.PluralResource || (m.Version != o.Version && m.Version != "*") || m.Group != o.Group)
        {
            return false;
        }
        var labels = o.Node.Map("metadata")?.Map("labels").StringValues() ?? new SortedDictionary<string, string>();
        return m.Selector is null || GitOpsSec.Rbac.LabelSelector.FromNode(m.Selector).Matches(labels);
    }
}

/// <summary>
/// A Kyverno ImageValidatingPolicy (policies.kyverno.io, CEL): matchImageReferences (gobwas globs over the image as
/// written, or CEL over <c>ref</c>), matchConstraints, validationActions, attestors (cosign key, keyless identities,
/// certificates; notary certificates) and validationConfigurations (mutateDigest, verifyDigest).
/// </summary>
internal sealed class KyvernoImageValidatingPolicy
{
    private string _name = string.Empty;
    private string? _namespace;
    private YMapping _spec = null!;
    private List<System.Text.RegularExpressions.Regex> _globs = new();
    private List<GitOpsSec.Cel.CelProgram?> _expressions = new();
    private bool _enforce;
    private SignatureAttestor _trust;
    private bool _verifiesDigest;
    private string _path = string.Empty;
    private int _line;

    public static KyvernoImageValidatingPolicy Read(ManifestObject o)
    {
        YMapping spec = o.Node.Map("spec") ?? new YMapping(o.Line, 1);
        var policy = new KyvernoImageValidatingPolicy
        {
            _name = $"{o.Kind}/{(o.Kind == "NamespacedImageValidatingPolicy" ? (o.Namespace ?? "default") + "/" : string.Empty)}{o.Name}",
            _namespace = o.Kind == "NamespacedImageValidatingPolicy" ? o.Namespace ?? "default" : null,
            _spec = spec,
            _enforce = spec.Seq("validationActions")?.Items.OfType<YScalar>().Any(a => a.Value == "Deny") ?? false,
            _verifiesDigest = spec.Map("validationConfigurations") is not YMapping vc ||
                              vc["mutateDigest"] is not YScalar m || m.AsBoolean() != false || vc["verifyDigest"] is not YScalar v || v.AsBoolean() != false,
            _path = o.Path,
            _line = o.Line,
        };
        foreach (YMapping reference in spec.Seq("matchImageReferences")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            if (reference.Text("glob") is string glob)
            {
                policy._globs.Add(GobwasGlob(glob));
            }
            else if (reference.Text("expression") is string expr)
            {
                try
                {
                    policy._expressions.Add(GitOpsSec.Cel.CelProgram.Compile(expr, new[] { "ref" }));
                }
                catch (GitOpsSec.Cel.CelCompileException)
                {
                    policy._expressions.Add(null); // matches nothing: Kyverno refuses the policy
                }
            }
        }
        var attestors = new List<SignatureAttestor>();
        foreach (YMapping a in spec.Seq("attestors")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            if (a.Map("cosign") is YMapping cosign)
            {
                if (cosign.Map("key") is YMapping key)
                {
                    attestors.Add(key.Text("data") is string data ? SignatureIdentity.PublicKeys(data).OrderBy(k => k.Trust).First()
                        : key.Text("kms") is string kms ? new SignatureAttestor(SignatureTrust.Constrained, $"KMS key {kms}")
                        : key.Text("expression") is not null ? new SignatureAttestor(SignatureTrust.Constrained, "a public key from an expression (not in the repository)")
                        : new SignatureAttestor(SignatureTrust.Unconstrained, "a cosign key attestor with no key"));
                }
                else if (cosign.Map("keyless") is YMapping keyless)
                {
                    var identities = keyless.Seq("identities")?.Items.OfType<YMapping>()
                        .Select(i => SignatureIdentity.Keyless(i.Text("issuer"), i.Text("issuerRegExp"), i.Text("subject"), i.Text("subjectRegExp"), wildcards: false))
                        .ToList() ?? new List<SignatureAttestor>();
                    attestors.Add(identities.Count == 0 ? new SignatureAttestor(SignatureTrust.Unconstrained, "keyless with no identities") : identities.OrderBy(i => i.Trust).First());
                }
                else if (cosign.Map("certificate") is YMapping cert)
                {
                    attestors.Add(SignatureIdentity.Certificates(cert.Map("cert")?.Text("value"), cert.Map("certChain")?.Text("value")));
                }
                else
                {
                    attestors.Add(new SignatureAttestor(SignatureTrust.Unconstrained, "a cosign attestor with no key, keyless or certificate"));
                }
            }
            else if (a.Map("notary") is YMapping notary)
            {
                attestors.Add(notary.Map("certs")?.Text("value") is string certs ? SignatureIdentity.Certificates(certs, null)
                    : notary.Map("certs")?.Text("expression") is not null ? new SignatureAttestor(SignatureTrust.Constrained, "notary certificates from an expression (not in the repository)")
                    : new SignatureAttestor(SignatureTrust.Unconstrained, "a notary attestor with no certificates"));
            }
        }
        // The validations choose which attestors must pass (verifyImageSignatures(image, [attestors.a, ...]) > 0): offline,
        // the weakest attestor the policy names is what an attacker needs.
        policy._trust = attestors.Count == 0
            ? new SignatureAttestor(SignatureTrust.Unconstrained, "no attestors")
            : attestors.OrderBy(x => x.Trust).First();
        return policy;
    }

    /// <summary>github.com/gobwas/glob without separators: * any run (including '/'), ? one character, [..] and [!..] classes, {a,b} alternatives.</summary>
    internal static System.Text.RegularExpressions.Regex GobwasGlob(string glob)
    {
        var sb = new System.Text.StringBuilder("^");
        int braces = 0;
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*': sb.Append(".*"); while (i + 1 < glob.Length && glob[i + 1] == '*') i++; break;
                case '?': sb.Append('.'); break;
                case '{': sb.Append("(?:"); braces++; break;
                case '}' when braces > 0: sb.Append(')'); braces--; break;
                case ',' when braces > 0: sb.Append('|'); break;
                case '[':
                    {
                        int end = glob.IndexOf(']', i + 1);
                        if (end < 0)
                        {
                            sb.Append(@"\[");
                            break;
                        }
                        string body = glob[(i + 1)..end];
                        sb.Append('[').Append(body.StartsWith('!') ? "^" + System.Text.RegularExpressions.Regex.Escape(body[1..]) : System.Text.RegularExpressions.Regex.Escape(body)).Append(']');
                        i = end;
                        break;
                    }
                case '\\' when i + 1 < glob.Length:
                    sb.Append(System.Text.RegularExpressions.Regex.Escape(glob[++i].ToString()));
                    break;
                default:
                    sb.Append(System.Text.RegularExpressions.Regex.Escape(c.ToString()));
                    break;
            }
        }
        try
        {
            return GitOpsSec.Diagnostics.BoundedPattern.Cached(sb.Append('$').ToString());
        }
        catch (ArgumentException)
        {
            return GitOpsSec.Diagnostics.BoundedPattern.Cached("^(?!)$"); // an invalid glob matches nothing
        }
    }

    private bool MatchesImage(string image)
    {
        if (_globs.Count == 0 && _expressions.Count == 0)
        {
            return true; // no matchImageReferences: every image
        }
        if (_globs.Any(g => g.IsMatch(image)))
        {
            return true;
        }
        foreach (var program in _expressions)
        {
            try
            {
                if (program?.Evaluate(new Dictionary<string, object?> { ["ref"] = image }) is true)
                {
                    return true;
                }
            }
            catch (GitOpsSec.Cel.CelAbortException)
            {
                // over budget: not a match, as far as anyone can tell offline
            }
        }
        return false;
    }

    public SignatureCheck Check(ManifestObject workload, ManifestObject pod, string ns, string image, GitOpsSec.Admission.AdmissionContext cx, KyvernoExclusions exclusions)
    {
        SignatureCheck Result(SignatureCheckOutcome outcome, string detail) => new()
        {
            Controller = "Kyverno",
            Policy = _name,
            Outcome = outcome,
            Enforced = outcome == SignatureCheckOutcome.Covers && _enforce,
            Trust = outcome == SignatureCheckOutcome.Covers ? _trust.Trust : SignatureTrust.NotVerified,
            Attestor = _trust.Description,
            VerifiesDigest = outcome == SignatureCheckOutcome.Covers && _verifiesDigest,
            Detail = detail,
            Path = _path,
            Line = _line,
        };
        if (!MatchesImage(image))
        {
            return Result(SignatureCheckOutcome.ImageNotMatched, $"matchImageReferences do not match {image}");
        }
        if (_namespace is not null && _namespace != ns)
        {
            return Result(SignatureCheckOutcome.NotSelected, $"a namespaced policy in {_namespace} does not apply in {ns}");
        }
        if (exclusions.Excludes(ns) is string excluded)
        {
            return Result(SignatureCheckOutcome.NotSelected, excluded);
        }
        string? undecided = null;
        bool? selects = GitOpsSec.Admission.ResourceMatch.Selects(_spec.Map("matchConstraints"), workload, cx, ref undecided);
        if (selects != true)
        {
            bool? podSelects = GitOpsSec.Admission.ResourceMatch.Selects(_spec.Map("matchConstraints"), pod, cx, ref undecided);
            selects = podSelects == true ? true : selects ?? podSelects;
        }
        if (selects is null)
        {
            return Result(SignatureCheckOutcome.Undecided, $"undecided offline, not counted: {undecided}");
        }
        if (selects == false)
        {
            return Result(SignatureCheckOutcome.NotSelected, $"matchConstraints do not select {workload.Kind} {ns}/{workload.Name} or its pods");
        }
        return Result(SignatureCheckOutcome.Covers, _enforce ? $"Deny, {_trust.Description}" : "Audit/Warn only: a failed verification is reported, the pod is admitted");
    }
}

/// <summary>
/// A Gatekeeper RatifyVerification constraint (Ratify's ConstraintTemplate sends every container image of a matched
/// object to Ratify, and denies on a failed verification): its match and enforcementAction. What verifies an
/// image is the Ratify Executor whose scope covers it.
/// </summary>
internal sealed class RatifyConstraint
{
    public const string Controller = "Ratify (Gatekeeper)";

    private string _name = string.Empty;
    private YMapping? _match;
    private string _action = "deny";
    private string _path = string.Empty;
    private int _line;

    public static RatifyConstraint Read(ManifestObject o) => new()
    {
        _name = $"RatifyVerification/{o.Name}",
        _match = o.Node.Map("spec")?.Map("match"),
        _action = o.Node.Map("spec")?.Text("enforcementAction")?.Trim().ToLowerInvariant() ?? "deny",
        _path = o.Path,
        _line = o.Line,
    };

    public SignatureCheck Check(ManifestObject workload, ManifestObject pod, string ns, string image,
        Func<string, IReadOnlyDictionary<string, string>?> namespaceLabels, IReadOnlyList<RatifyExecutor> executors)
    {
        SignatureCheck Result(SignatureCheckOutcome outcome, string detail, SignatureAttestor? trust = null) => new()
        {
            Controller = Controller,
            Policy = _name,
            Outcome = outcome,
            Enforced = outcome == SignatureCheckOutcome.Covers && _action == "deny",
            Trust = outcome == SignatureCheckOutcome.Covers ? trust?.Trust ?? SignatureTrust.NotVerified : SignatureTrust.NotVerified,
            Attestor = trust?.Description,
            VerifiesDigest = false,
            Detail = detail,
            Path = _path,
            Line = _line,
        };

        bool? selects = GitOpsSec.Admission.GatekeeperMatch.Selects(_match, workload, namespaceLabels, out string? why);
        if (selects != true)
        {
            bool? podSelects = GitOpsSec.Admission.GatekeeperMatch.Selects(_match, pod, namespaceLabels, out string? podWhy);
            selects = podSelects == true ? true : selects ?? podSelects;
            why ??= podWhy;
        }
        if (selects != true)
        {
            return Result(selects is null ? SignatureCheckOutcome.Undecided : SignatureCheckOutcome.NotSelected,
                selects is null ? $"undecided offline, not counted: {why}" : $"match does not select {workload.Kind} {ns}/{workload.Name} or its pods");
        }
        if (executors.Count == 0)
        {
            return Result(SignatureCheckOutcome.Undecided, "no Ratify Executor (config.ratify.dev) in the repository says which verifier applies: undecided, not counted");
        }
        var reference = ImageReference.Parse(image);
        RatifyExecutor? executor = RatifyExecutor.For(executors, reference);
        if (executor is null)
        {
            // "no executor configured for the artifact": the constraint reports an error, and deny refuses the pod.
            return Result(SignatureCheckOutcome.Covers, $"no Executor scope covers {reference.Registry}/{reference.Repository}, so Ratify fails it",
                new SignatureAttestor(SignatureTrust.Rejected, "no Ratify Executor for this registry"));
        }
        string action = _action == "deny" ? "deny" : $"{_action} only: a failed verification is reported, the pod is admitted";
        return Result(SignatureCheckOutcome.Covers, $"{action}, {executor.Trust.Description}", executor.Trust);
    }

}

/// <summary>A Ratify v2 Executor: the registries and repositories it is responsible for, and how strongly its verifiers bind a signer.</summary>
internal sealed class RatifyExecutor
{
    private string[] _scopes = Array.Empty<string>();

    public SignatureAttestor Trust { get; private init; }

    public static RatifyExecutor Read(ManifestObject o)
    {
        YMapping? spec = o.Node.Map("spec");
        var verifiers = new List<SignatureAttestor>();
        foreach (YMapping v in spec?.Seq("verifiers")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            var certificates = v.Map("parameters")?.Seq("certificates")?.Items.OfType<YMapping>().ToList() ?? new List<YMapping>();
            SignatureAttestor trust = certificates.Count == 0
                ? new SignatureAttestor(SignatureTrust.Unconstrained, $"verifier {v.Text("name")} with no trusted certificates")
                : certificates.Select(c => c.Text("inline") is string pem
                        ? SignatureIdentity.Certificates(pem, null)
                        : new SignatureAttestor(SignatureTrust.Constrained, "certificates from files the Ratify deployment mounts"))
                    .OrderByDescending(a => a.Trust).First();
            verifiers.Add(trust with { Description = $"Executor/{o.Name} {v.Text("type") ?? "verifier"} {trust.Description}" });
        }
        return new RatifyExecutor
        {
            _scopes = spec?.Seq("scopes")?.Items.OfType<YScalar>().Select(s => s.Value).ToArray() ?? Array.Empty<string>(),
            // The threshold policy requires its verifiers: the weakest one that is required decides; with none, nothing is verified.
            Trust = verifiers.Count == 0
                ? new SignatureAttestor(SignatureTrust.Unconstrained, $"Executor/{o.Name} with no verifiers")
                : verifiers.OrderBy(v => v.Trust).First(),
        };
    }

    /// <summary>
    /// The executor for an image, in Ratify's precedence: an exact repository scope, an exact registry scope, then
    /// a "*.domain" scope for the registry's first-level subdomain. Null: no executor, and Ratify fails the image.
    /// </summary>
    public static RatifyExecutor? For(IReadOnlyList<RatifyExecutor> executors, ImageReference image)
    {
        string repository = $"{image.Registry}/{image.Repository}";
        string? parent = image.Registry.Contains('.') ? image.Registry[(image.Registry.IndexOf('.') + 1)..] : null;
        return executors.FirstOrDefault(e => e._scopes.Contains(repository, StringComparer.Ordinal))
            ?? executors.FirstOrDefault(e => e._scopes.Contains(image.Registry, StringComparer.Ordinal))
            ?? (parent is null ? null : executors.FirstOrDefault(e => e._scopes.Contains("*." + parent, StringComparer.Ordinal)));
    }
}

/// <summary>An image reference as each admission controller spells it before matching its patterns.</summary>
internal static class ImageForms
{
    internal const string PlaceholderDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// Kyverno's ImageInfo.String(): docker.io added when the first part is not a host (no '.' or ':', not
    /// localhost, lower case), no library/ prefix, the tag (latest by default) or, when there is one, only the digest.
    /// </summary>
    public static string Kyverno(string image)
    {
        string name = image.Trim();
        int slash = name.IndexOf('/');
        if (slash < 0 || (name[..slash].IndexOfAny(new[] { '.', ':' }) < 0 && name[..slash] != "localhost" && name[..slash].ToLowerInvariant() == name[..slash]))
        {
            name = "docker.io/" + name;
        }
        var (repository, tag, digest) = Split(name);
        return digest is not null ? $"{repository}@{digest}" : $"{repository}:{tag ?? "latest"}";
    }

    /// <summary>
    /// The strings policy-controller matches globs against, after its mutating webhook has resolved a tag to a digest:
    /// go-containerregistry's Name() (index.docker.io, library/ for one-part names, the digest without the tag) and
    /// the admitted image string (repository:tag@digest). An error when the reference does not parse.
    /// </summary>
    public static (string[] Forms, string? Error) PolicyController(string image) => PolicyController(image, resolved: true);

    /// <summary>
    /// <paramref name="resolved"/> false: the forms of the image as written, as glob.Match reads it before any
    /// resolution (Name(), then the string itself when that differs): what policy-controller's own glob tests exercise.
    /// </summary>
    public static (string[] Forms, string? Error) PolicyController(string image, bool resolved)
    {
        string written = image.Trim();
        var (repository, tag, digest) = Split(written);
        int slash = repository.IndexOf('/');
        string registry = "index.docker.io";
        string path = repository;
        if (slash > 0 && (repository[..slash].IndexOfAny(new[] { '.', ':' }) >= 0 || repository[..slash] == "localhost"))
        {
            registry = repository[..slash] == "docker.io" ? "index.docker.io" : repository[..slash];
            path = repository[(slash + 1)..];
        }
        if (registry == "index.docker.io" && !path.Contains('/'))
        {
            path = "library/" + path;
        }
        if (path.Length == 0 || path.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '/')))
        {
            return (new[] { written }, $"'{written}' is not a reference policy-controller can parse, so the pod is refused");
        }
        string full = $"{registry}/{path}";
        if (!resolved)
        {
            string name = digest is not null ? $"{full}@{digest}" : $"{full}:{tag ?? "latest"}";
            return (name == written ? new[] { name } : new[] { name, written }, null);
        }
        return digest is not null
            ? (new[] { $"{full}@{digest}", written }, null)
            : (new[] { $"{full}@{PlaceholderDigest}", $"{full}:{tag ?? "latest"}@{PlaceholderDigest}" }, null);
    }

    private static (string Repository, string? Tag, string? Digest) Split(string name)
    {
        string? digest = null;
        int at = name.IndexOf('@');
        if (at >= 0)
        {
            digest = name[(at + 1)..];
            name = name[..at];
        }
        string? tag = null;
        int colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }
        return (name, tag, digest);
    }

    /// <summary>
    /// policy-controller's glob: only [A-Za-z0-9-_:/*.@]; "*" alone means index.docker.io/library/*, "*/*" means
    /// index.docker.io/*/*; '*' is any run without '/', "**" any run; the whole string. Null for an invalid glob.
    /// </summary>
    public static System.Text.RegularExpressions.Regex? CompileGlob(string glob)
    {
        glob = glob switch { "*/*" => "index.docker.io/*/*", "*" => "index.docker.io/library/*", _ => glob };
        if (glob.Length == 0 || glob.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':' or '/' or '*' or '.' or '@')))
        {
            return null;
        }
        var sb = new System.Text.StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                sb.Append(".*");
                i++;
            }
            else if (glob[i] == '*')
            {
                sb.Append("[^/]*");
            }
            else
            {
                sb.Append(System.Text.RegularExpressions.Regex.Escape(glob[i].ToString()));
            }
        }
        return GitOpsSec.Diagnostics.BoundedPattern.Cached(sb.Append('$').ToString());
    }
}
