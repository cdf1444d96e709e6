namespace GitOpsSec.Rbac;

/// <summary>
/// The RBAC authorizer's matching rules, as Kubernetes implements them (pkg/apis/rbac helpers and
/// plugin/pkg/auth/authorizer/rbac): "*" wildcards, resource/subresource, "*/subresource",
/// resourceNames, and nonResourceURLs with a trailing "*" prefix match.
/// </summary>
public static class RbacMatching
{
    public static bool VerbMatches(PolicyRule rule, string verb) =>
        rule.Verbs.Any(v => v == "*" || v == verb);

    public static bool ApiGroupMatches(PolicyRule rule, string group) =>
        rule.ApiGroups.Any(g => g == "*" || g == group);

    /// <summary>resource is "pods" or "pods/exec"; subresource is "" or "exec".</summary>
    public static bool ResourceMatches(PolicyRule rule, string combinedResource, string subresource)
    {
        foreach (string r in rule.Resources)
        {
            if (r == "*" || r == combinedResource)
            {
                return true;
            }
            if (subresource.Length == 0)
            {
                continue;
            }
            // "*/scale" matches the scale subresource of any resource.
            if (r.Length == subresource.Length + 2 && r.StartsWith("*/", StringComparison.Ordinal) && r.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>No resourceNames: any name (and requests without a name). Otherwise the name must be listed.</summary>
    public static bool ResourceNameMatches(PolicyRule rule, string? name) =>
        rule.ResourceNames.Count == 0 || (!string.IsNullOrEmpty(name) && rule.ResourceNames.Contains(name));

    public static bool NonResourceUrlMatches(PolicyRule rule, string path) =>
        rule.NonResourceUrls.Any(u => u == "*" || u == path ||
                                      (u.EndsWith('*') && path.StartsWith(u[..^1], StringComparison.Ordinal)));

    /// <summary>Whether a rule allows a request.</summary>
    public static bool RuleAllows(PolicyRule rule, AccessRequest request)
    {
        if (request.IsNonResource)
        {
            return VerbMatches(rule, request.Verb) && NonResourceUrlMatches(rule, request.NonResourceUrl!);
        }
        string combined = request.Subresource.Length == 0 ? request.Resource : $"{request.Resource}/{request.Subresource}";
        return VerbMatches(rule, request.Verb) && ApiGroupMatches(rule, request.ApiGroup) &&
               ResourceMatches(rule, combined, request.Subresource) && ResourceNameMatches(rule, request.Name);
    }

    /// <summary>
    /// Whether a binding subject covers the user. A ServiceAccount subject without a namespace takes the
    /// binding's namespace (as the authorizer does).
    /// </summary>
    public static bool AppliesTo(RbacSubject subject, UserInfo user, string? bindingNamespace)
    {
        switch (subject.Kind)
        {
            case RbacSubject.User:
                return user.Name == subject.Name;
            case RbacSubject.Group:
                return user.Groups.Contains(subject.Name);
            case RbacSubject.ServiceAccount:
                string? ns = string.IsNullOrEmpty(subject.Namespace) ? bindingNamespace : subject.Namespace;
                return !string.IsNullOrEmpty(ns) && user.Name == $"system:serviceaccount:{ns}:{subject.Name}";
            default:
                return false;
        }
    }
}

/// <summary>Who asks: a user name and the groups it belongs to.</summary>
public sealed record UserInfo(string Name, IReadOnlySet<string> Groups)
{
    /// <summary>
    /// The identity of a subject: a service account is in system:serviceaccounts,
    /// system:serviceaccounts:&lt;ns&gt; and system:authenticated; a user in system:authenticated (plus
    /// the groups given); system:anonymous in system:unauthenticated; a Group stands for a member of it.
    /// </summary>
    public static UserInfo For(RbacSubject subject, IEnumerable<string>? extraGroups = null)
    {
        var groups = new HashSet<string>(extraGroups ?? Array.Empty<string>(), StringComparer.Ordinal);
        string name;
        switch (subject.Kind)
        {
            case RbacSubject.ServiceAccount:
                name = subject.UserName;
                groups.Add("system:serviceaccounts");
                groups.Add($"system:serviceaccounts:{subject.Namespace}");
                groups.Add("system:authenticated");
                break;
            case RbacSubject.Group:
                name = $"(a member of {subject.Name})";
                groups.Add(subject.Name);
                if (subject.Name is not ("system:unauthenticated" or "system:anonymous"))
                {
                    groups.Add("system:authenticated");
                }
                break;
            default:
                name = subject.Name;
                groups.Add(subject.Name == "system:anonymous" ? "system:unauthenticated" : "system:authenticated");
                break;
        }
        return new UserInfo(name, groups);
    }
}

/// <summary>A request to authorize, as `kubectl auth can-i` asks it.</summary>
public sealed record AccessRequest(string Verb, string ApiGroup, string Resource, string Subresource = "", string? Namespace = null,
    string? Name = null, string? NonResourceUrl = null)
{
    public bool IsNonResource => NonResourceUrl is not null;

    public override string ToString()
    {
        if (IsNonResource)
        {
            return $"{Verb} {NonResourceUrl}";
        }
        string resource = Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";
        string group = ApiGroup.Length == 0 ? string.Empty : "." + ApiGroup;
        string where = Namespace is null ? " (cluster-wide)" : $" in {Namespace}";
        return $"{Verb} {resource}{group}{(Name is null ? string.Empty : "/" + Name)}{where}";
    }
}
