using GitOpsSec.Manifests;

namespace GitOpsSec;

/// <summary>How bad a finding is; ordered so that comparisons (at least High) work.</summary>
public enum Severity
{
    Info = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// <summary>The Pod Security Standards profile a rule belongs to (None for rules outside the standard).</summary>
public enum PodSecurityLevel
{
    None = 0,
    Baseline = 1,
    Restricted = 2,
}

/// <summary>One rule violation, located in a file at a line, with a fingerprint stable across runs.</summary>
public sealed record Finding
{
    public required string RuleId { get; init; }
    public required string RuleName { get; init; }
    public required Severity Severity { get; init; }
    public required string Category { get; init; }
    public required string Message { get; init; }
    public string? Remediation { get; init; }
    public ResourceRef? Resource { get; init; }

    /// <summary>The deployment units (Argo CD Application, Flux Kustomization, ...) that deploy the object, as Kind/namespace/name.</summary>
    public string[] Applications { get; init; } = Array.Empty<string>();

    /// <summary>The unit that owns the object: the first of <see cref="Applications"/>, or null when no unit deploys it.</summary>
    public string? Application => Applications.Length > 0 ? Applications[0] : null;

    /// <summary>Where the namespace of <see cref="Resource"/> comes from (Manifest, Kustomize, TargetNamespace, Destination, Default, ClusterScoped).</summary>
    public string? NamespaceOrigin { get; init; }

    /// <summary>File relative to the scanned root, forward slashes.</summary>
    public string? Path { get; init; }

    /// <summary>1-based line of the offending field (or of the object when the field is absent).</summary>
    public int Line { get; init; }

    public int Column { get; init; }

    /// <summary>Path:Line, the way editors and CI logs link to a place.</summary>
    public string Location => Line > 0 ? $"{Path}:{Line}" : Path ?? string.Empty;

    /// <summary>The field the finding is about, e.g. spec.template.spec.containers[web].securityContext.privileged.</summary>
    public string? Field { get; init; }

    public string? Commit { get; init; }
    public string? Author { get; init; }

    /// <summary>Stable identity for baselines: rule, object and field, not line numbers.</summary>
    public required string Fingerprint { get; init; }

    public bool Suppressed { get; init; }

    /// <summary>Known before: its fingerprint is in the baseline the scan was given, so it does not fail a build.</summary>
    public bool Baselined { get; init; }

    /// <summary>Neither suppressed nor baselined: what -FailOn counts.</summary>
    public bool IsOpen => !Suppressed && !Baselined;
    public string? SuppressionReason { get; init; }

    /// <summary>Who suppressed it: Annotation (the object), Inline (a gitopssec:allow comment) or Config (.gitopssec.yaml exclude).</summary>
    public string? SuppressedBy { get; init; }

    /// <summary>The rule's severity before a rules.severity override of the configuration changed it; null when none did.</summary>
    public Severity? OriginalSeverity { get; init; }

    /// <summary>What was seen; never a secret value in clear.</summary>
    public string? Evidence { get; init; }

    /// <summary>For rendered objects: the kustomization that produced the object.</summary>
    public string? RenderedFrom { get; init; }

    public string? HelpUri { get; init; }

    public override string ToString() => $"{RuleId} {Severity} {Path}:{Line} {Message}";
}
