namespace GitOpsSec;

/// <summary>A rule of the catalog, as Get-GitOpsRule shows it.</summary>
public sealed class RuleInfo
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Title { get; init; }
    public required Severity Severity { get; init; }
    public required string Category { get; init; }
    public PodSecurityLevel Level { get; init; }
    public required string Description { get; init; }
    public required string Remediation { get; init; }
    public required string MessageTemplate { get; init; }
    public IReadOnlyList<string> References { get; init; } = Array.Empty<string>();

    /// <summary>
    /// What one finding is about: Object (one manifest object), Unit (one deployment unit: an Argo CD Application or
    /// AppProject, a Flux Kustomization, HelmRelease or source), Namespace (one namespace), Repository (objects taken
    /// together), File (a secret in a file or a blob), or Commit.
    /// </summary>
    public string Scope { get; init; } = "Object";

    /// <summary>For secret detectors: whose credential it finds (AWS, GitHub, ...); null for manifest rules.</summary>
    public string? Provider { get; init; }

    /// <summary>For a Pod Security control: the Kubernetes versions it applies to and how it changed (pod-security-admission's registrations).</summary>
    public string? Versions => GitOpsSec.Rules.PodSecurity.PodSecurityHistory.Describe(Id);
    public string? HelpUri => References.Count > 0 ? References[0] : null;

    public override string ToString() => $"{Id} {Name}";
}
