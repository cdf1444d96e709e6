using GitOpsSec.Manifests;

namespace GitOpsSec.Rbac;

/// <summary>One rule of a Role or ClusterRole, as the API server stores it.</summary>
public sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    public override string ToString()
    {
        static string J(IReadOnlyList<string> v) => string.Join(",", v.Select(x => x.Length == 0 ? "\"\"" : x));
        string names = ResourceNames.Count > 0 ? $" names=[{J(ResourceNames)}]" : string.Empty;
        return NonResourceUrls.Count > 0
            ? $"verbs=[{J(Verbs)}] nonResourceURLs=[{J(NonResourceUrls)}]"
            : $"verbs=[{J(Verbs)}] apiGroups=[{J(ApiGroups)}] resources=[{J(Resources)}]{names}";
    }
}

/// <summary>A subject of a binding: User, Group or ServiceAccount.</summary>
public sealed record RbacSubject(string Kind, string Name, string? Namespace = null)
{
    private int _hash;

    /// <summary>Cached: subjects are dictionary keys in the exposure analysis, hashed millions of times.</summary>
    public override int GetHashCode() => _hash != 0 ? _hash : _hash = HashCode.Combine(Kind, Name, Namespace) | 1;

    public bool Equals(RbacSubject? other) =>
        ReferenceEquals(this, other) || (other is not null && GetHashCode() == other.GetHashCode() && Kind == other.Kind &&
                                         Name == other.Name && Namespace == other.Namespace);

    public const string User = "User";
    public const string Group = "Group";
    public const string ServiceAccount = "ServiceAccount";

    /// <summary>The user name the API server sees: system:serviceaccount:ns:name for service accounts.</summary>
    public string UserName => Kind == ServiceAccount ? $"system:serviceaccount:{Namespace}:{Name}" : Name;

    public bool IsSystem => Name.StartsWith("system:", StringComparison.Ordinal);

    /// <summary>Groups that stand for "everyone" (or every workload): always worth reporting.</summary>
    public bool IsBroadGroup => Kind == Group && Name is "system:authenticated" or "system:unauthenticated" or "system:anonymous" or "system:serviceaccounts";

    public override string ToString() => Kind == ServiceAccount ? $"ServiceAccount {Namespace}/{Name}" : $"{Kind} {Name}";

    /// <summary>
    /// Parses "User:alice", "Group:devs", "ServiceAccount:ns:name", "ns/name" (a service account) or a
    /// user name such as "system:serviceaccount:ns:name" or "alice".
    /// </summary>
    public static RbacSubject Parse(string text)
    {
        string[] parts = text.Split(':');
        if (text.StartsWith("system:serviceaccount:", StringComparison.Ordinal) && parts.Length == 4)
        {
            return new RbacSubject(ServiceAccount, parts[3], parts[2]);
        }
        if (parts.Length >= 2 && parts[0].Equals(ServiceAccount, StringComparison.OrdinalIgnoreCase) && parts.Length == 3)
        {
            return new RbacSubject(ServiceAccount, parts[2], parts[1]);
        }
        if (parts.Length >= 2 && (parts[0].Equals(User, StringComparison.OrdinalIgnoreCase) || parts[0].Equals(Group, StringComparison.OrdinalIgnoreCase)))
        {
            string kind = parts[0].Equals(User, StringComparison.OrdinalIgnoreCase) ? User : Group;
            return new RbacSubject(kind, text[(parts[0].Length + 1)..]);
        }
        if (!text.Contains(':', StringComparison.Ordinal) && text.Split('/') is { Length: 2 } sa)
        {
            return new RbacSubject(ServiceAccount, sa[1], sa[0]);
        }
        return new RbacSubject(User, text);
    }
}

/// <summary>A Role or ClusterRole, from the repository or the cluster's bootstrap policy.</summary>
public sealed class RbacRole
{
    public required string Kind { get; init; }
    public string? Namespace { get; init; }
    public required string Name { get; init; }
    public List<PolicyRule> Rules { get; } = new();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>aggregationRule.clusterRoleSelectors: the role's rules are those of every ClusterRole they select.</summary>
    public List<LabelSelector> AggregationSelectors { get; } = new();

    /// <summary>The manifest it came from; null for a bootstrap (built-in) role.</summary>
    public ManifestObject? Source { get; init; }

    public bool BuiltIn => Source is null;

    public string Key => Kind == "ClusterRole" ? $"ClusterRole/{Name}" : $"Role/{Namespace}/{Name}";

    public override string ToString() => Kind == "ClusterRole" ? $"ClusterRole {Name}" : $"Role {Namespace}/{Name}";
}

/// <summary>A RoleBinding or ClusterRoleBinding.</summary>
public sealed class RbacBinding
{
    public required string Kind { get; init; }
    public string? Namespace { get; init; }
    public required string Name { get; init; }
    public required string RoleKind { get; init; }
    public required string RoleName { get; init; }
    public List<RbacSubject> Subjects { get; } = new();
    public ManifestObject? Source { get; init; }
    public bool BuiltIn => Source is null;
    public bool IsClusterWide => Kind == "ClusterRoleBinding";

    public string RoleKey => RoleKind == "ClusterRole" ? $"ClusterRole/{RoleName}" : $"Role/{Namespace}/{RoleName}";

    public override string ToString() => IsClusterWide ? $"ClusterRoleBinding {Name}" : $"RoleBinding {Namespace}/{Name}";
}

/// <summary>A Kubernetes label selector (matchLabels and matchExpressions).</summary>
public sealed class LabelSelector
{
    public Dictionary<string, string> MatchLabels { get; } = new(StringComparer.Ordinal);
    public List<(string Key, string Operator, string[] Values)> MatchExpressions { get; } = new();

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (k, v) in MatchLabels)
        {
            if (!labels.TryGetValue(k, out string? actual) || actual != v)
            {
                return false;
            }
        }
        foreach (var (key, op, values) in MatchExpressions)
        {
            bool has = labels.TryGetValue(key, out string? actual);
            bool ok = op switch
            {
                "In" => has && values.Contains(actual),
                "NotIn" => !has || !values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false, // an unknown operator selects nothing
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    public static LabelSelector FromNode(YMapping node)
    {
        var selector = new LabelSelector();
        foreach (var e in node.Map("matchLabels")?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
        {
            selector.MatchLabels[e.Key.Value] = (e.Value as YScalar)?.Value ?? string.Empty;
        }
        foreach (YMapping expr in node.Seq("matchExpressions")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            selector.MatchExpressions.Add((expr.Text("key") ?? string.Empty, expr.Text("operator") ?? string.Empty,
                expr.Seq("values")?.Items.OfType<YScalar>().Select(s => s.Value).ToArray() ?? Array.Empty<string>()));
        }
        return selector;
    }
}
