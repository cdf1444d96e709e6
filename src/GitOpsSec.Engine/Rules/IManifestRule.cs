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

/// <summary>A rule that needs every object of the scan at once (e.g. a binding and the role it references).</summary>
internal interface IRepositoryRule : IRule
{
    IEnumerable<(ManifestObject Object, Violation Violation)> Evaluate(IReadOnlyList<ManifestObject> objects);
}

/// <summary>
/// A violation: where (a field path inside the object), the values for the message placeholders,
/// and the annotations that can suppress it (the object's and, for workloads, the pod template's).
/// </summary>
internal sealed record Violation(FieldPath Path, string Target, string Value, string? Evidence = null, Severity? Severity = null);
