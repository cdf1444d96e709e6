using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.Rbac;

/// <summary>Shared walk over the subjects of a RoleBinding or ClusterRoleBinding.</summary>
internal abstract class BindingSubjectRule : IManifestRule
{
    public abstract string Id { get; }

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (obj.Kind is not ("RoleBinding" or "ClusterRoleBinding") || !obj.ApiVersion.StartsWith("rbac.authorization.k8s.io/", StringComparison.Ordinal) ||
            obj.Node.Seq("subjects") is not YSequence subjects)
        {
            yield break;
        }
        string role = $"{obj.Node.Map("roleRef")?.Text("kind")} {obj.Node.Map("roleRef")?.Text("name")}";
        for (int i = 0; i < subjects.Items.Count; i++)
        {
            if (subjects.Items[i] is YMapping subject && Matches(subject.Text("kind"), subject.Text("name")) is string what)
            {
                yield return new Violation(FieldPath.Root.Key("subjects").Item(i, subject), $"{obj.Kind} {obj.Name}", $"{what} ({role})");
            }
        }
    }

    /// <summary>A description of the subject when the rule applies to it, else null.</summary>
    protected abstract string? Matches(string? kind, string? name);
}

/// <summary>GOS3003: the namespace's default ServiceAccount bound to a role: every pod without its own ServiceAccount gets it.</summary>
internal sealed class DefaultServiceAccountBindingRule : BindingSubjectRule
{
    public override string Id => "GOS3003";

    protected override string? Matches(string? kind, string? name) =>
        kind == "ServiceAccount" && name == "default" ? "the default ServiceAccount" : null;
}

/// <summary>GOS3004: system:anonymous or system:unauthenticated bound to a role: anyone who can reach the API server.</summary>
internal sealed class AnonymousBindingRule : BindingSubjectRule
{
    public override string Id => "GOS3004";

    protected override string? Matches(string? kind, string? name) => (kind, name) switch
    {
        ("User", "system:anonymous") => "User system:anonymous",
        ("Group", "system:unauthenticated" or "system:anonymous") => $"Group {name}",
        _ => null,
    };
}

/// <summary>GOS3005: system:authenticated or every ServiceAccount bound to a role.</summary>
internal sealed class AllAuthenticatedBindingRule : BindingSubjectRule
{
    public override string Id => "GOS3005";

    protected override string? Matches(string? kind, string? name) =>
        kind == "Group" && (name is "system:authenticated" or "system:serviceaccounts" ||
                            name?.StartsWith("system:serviceaccounts:", StringComparison.Ordinal) == true)
            ? $"Group {name}" : null;
}
