namespace GitOpsSec.Rbac;

/// <summary>One binding, role and rule that allow something.</summary>
public sealed record RbacGrant(RbacBinding Binding, RbacRole Role, int RuleIndex, PolicyRule Rule)
{
    /// <summary>Where the grant holds: "cluster" for a ClusterRoleBinding, else the binding's namespace.</summary>
    public string Scope => Binding.IsClusterWide ? "cluster" : Binding.Namespace!;

    public override string ToString() => $"{Binding} -> {Role} -> rule {RuleIndex}: {Rule}";
}

/// <summary>The answer to one can-i question, with every grant that allows it.</summary>
public sealed class RbacAccessDecision
{
    public required string Subject { get; init; }
    public required string Request { get; init; }
    public required bool Allowed { get; init; }
    public required string Reason { get; init; }
    public required IReadOnlyList<RbacGrant> Grants { get; init; }

    /// <summary>The grants as "binding -> role -> rule" chains.</summary>
    public string[] Chains => Grants.Select(g => g.ToString()).ToArray();

    public override string ToString() => $"{(Allowed ? "yes" : "no")}: {Subject} {Request}";
}

/// <summary>
/// An offline `kubectl auth can-i`: the RBAC authorizer's decision procedure over a model.
/// ClusterRoleBindings apply everywhere; RoleBindings only to requests in their namespace;
/// non-resource URLs only through ClusterRoleBindings. RBAC only allows: there is no deny.
/// </summary>
public sealed class RbacAuthorizer
{
    private readonly RbacModel _model;

    public RbacAuthorizer(RbacModel model) => _model = model;

    public RbacAccessDecision Check(RbacSubject subject, AccessRequest request, IEnumerable<string>? extraGroups = null)
    {
        UserInfo user = UserInfo.For(subject, extraGroups);
        var grants = new List<RbacGrant>();
        foreach (RbacBinding binding in _model.Bindings)
        {
            if (!binding.IsClusterWide && (request.IsNonResource || binding.Namespace != request.Namespace))
            {
                continue;
            }
            if (!binding.Subjects.Any(s => RbacMatching.AppliesTo(s, user, binding.Namespace)) || _model.RoleOf(binding) is not RbacRole role)
            {
                continue;
            }
            for (int i = 0; i < role.Rules.Count; i++)
            {
                if (RbacMatching.RuleAllows(role.Rules[i], request))
                {
                    grants.Add(new RbacGrant(binding, role, i, role.Rules[i]));
                }
            }
        }
        return new RbacAccessDecision
        {
            Subject = subject.ToString(),
            Request = request.ToString(),
            Allowed = grants.Count > 0,
            Reason = grants.Count > 0 ? $"allowed by {grants[0]}" : "no RBAC rule allows it (RBAC has no deny: nothing bound grants it)",
            Grants = grants,
        };
    }
}
