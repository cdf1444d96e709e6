using GitOpsSec.Manifests;

namespace GitOpsSec.Rules;

/// <summary>One rule: looks at one object and yields its violations. Wording comes from the catalog.</summary>
internal interface IManifestRule
{
    string Id { get; }

    IEnumerable<Violation> Evaluate(ManifestObject obj);
}

/// <summary>
/// A violation: where (a field path inside the object), the values for the message placeholders,
/// and the annotations that can suppress it (the object's and, for workloads, the pod template's).
/// </summary>
internal sealed record Violation(FieldPath Path, string Target, string Value, string? Evidence = null);
