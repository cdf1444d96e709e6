using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Rbac;

/// <summary>
/// Roles and bindings of a repository (plus, by default, the cluster's bootstrap roles such as
/// cluster-admin, admin, edit and view), with aggregated ClusterRoles resolved as the aggregation
/// controller does. Bad input (a rule without verbs, an unknown verb, a binding to a missing role) is
/// reported and the rest is still modelled.
/// </summary>
public sealed class RbacModel
{
    /// <summary>Verbs the API server knows; anything else is reported (and matched only literally).</summary>
    public static readonly IReadOnlySet<string> KnownVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        "*", "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy",
        "use", "bind", "escalate", "impersonate", "approve", "sign", "attest",
    };

    private readonly Dictionary<string, RbacRole> _roles = new(StringComparer.Ordinal);
    private readonly List<RbacBinding> _bindings = new();
    private readonly HashSet<RbacSubject> _serviceAccounts = new();

    public IReadOnlyCollection<RbacRole> Roles => _roles.Values;
    public IReadOnlyList<RbacBinding> Bindings => _bindings;

    /// <summary>ServiceAccounts declared as objects or named in bindings.</summary>
    public IReadOnlyCollection<RbacSubject> ServiceAccounts => _serviceAccounts;

    /// <summary>ServiceAccounts annotated with a cloud IAM identity: the annotation, its value and where it is written.</summary>
    public IReadOnlyList<(RbacSubject Account, string Annotation, string Identity, ManifestObject? Source)> CloudIdentities => _cloudIdentities;

    private readonly List<(RbacSubject, string, string, ManifestObject?)> _cloudIdentities = new();

    public RbacRole? Role(string key) => _roles.TryGetValue(key, out RbacRole? r) ? r : null;

    public RbacRole? RoleOf(RbacBinding binding) => Role(binding.RoleKey);

    public static RbacModel Build(IEnumerable<ManifestObject> objects, IScanHost host, bool includeBootstrap = true)
    {
        var model = new RbacModel();
        if (includeBootstrap)
        {
            foreach (YMapping item in BootstrapItems())
            {
                model.Add(item, null, host);
            }
        }
        foreach (ManifestObject obj in objects)
        {
            if (obj.ApiVersion.StartsWith("rbac.authorization.k8s.io/", StringComparison.Ordinal) ||
                (obj.Kind == "ServiceAccount" && obj.ApiVersion == "v1"))
            {
                model.Add(obj.Node, obj, host);
            }
        }
        model.Aggregate();
        foreach (RbacBinding binding in model._bindings.Where(b => model.RoleOf(b) is null))
        {
            host.Error(new ScanError(ErrorIds.RoleNotFound, ScanErrorCategory.ObjectNotFound,
                $"{binding} refers to {binding.RoleKey.Replace('/', ' ')}, which is neither in the repository nor a bootstrap role; it grants nothing here.",
                binding.Source?.Path ?? binding.ToString(), binding.Source?.Line));
        }
        return model;
    }

    private static IEnumerable<YMapping> BootstrapItems()
    {
        using Stream stream = typeof(RbacModel).Assembly.GetManifestResourceStream("GitOpsSec.Rbac.bootstrap-policy.yaml")!;
        string text = new StreamReader(stream).ReadToEnd();
        var root = (YMapping)YamlDocumentReader.Read(text, "bootstrap-policy.yaml", LoadLimits.Default, e => throw new InvalidOperationException(e.ToString())).First().Root;
        return root.Seq("items")!.Items.OfType<YMapping>();
    }

    private void Add(YMapping node, ManifestObject? source, IScanHost host)
    {
        string kind = node.Text("kind") ?? string.Empty;
        YMapping? metadata = node.Map("metadata");
        string? name = metadata?.Text("name");
        // The namespace the object lands in (its unit's target namespace, kustomize's, or default), not only what is written.
        string? ns = source?.Namespace ?? metadata?.Text("namespace");
        string where = source?.Path ?? "bootstrap-policy";
        if (name is null)
        {
            host.Error(new ScanError(ErrorIds.MalformedBinding, ScanErrorCategory.InvalidData, $"A {kind} has no metadata.name.", where, node.Line));
            return;
        }
        switch (kind)
        {
            case "ServiceAccount":
                var account = new RbacSubject(RbacSubject.ServiceAccount, name, ns ?? "default");
                _serviceAccounts.Add(account);
                foreach (string key in RbacCapabilities.CloudIdentityAnnotations)
                {
                    if (metadata?.Map("annotations")?.Text(key) is { Length: > 0 } identity)
                    {
                        _cloudIdentities.Add((account, key, identity, source));
                    }
                }
                break;
            case "Role" or "ClusterRole":
                var role = new RbacRole
                {
                    Kind = kind,
                    Namespace = kind == "Role" ? ns ?? "default" : null,
                    Name = name,
                    Source = source,
                    Labels = metadata!.Map("labels").StringValues(),
                };
                foreach (YMapping selector in node.Map("aggregationRule")?.Seq("clusterRoleSelectors")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
                {
                    role.AggregationSelectors.Add(LabelSelector.FromNode(selector));
                }
                var rules = node.Seq("rules")?.Items ?? (IReadOnlyList<YNode>)Array.Empty<YNode>();
                foreach (YNode ruleNode in rules)
                {
                    if (ParseRule(ruleNode, role, where, host) is PolicyRule rule)
                    {
                        role.Rules.Add(rule);
                    }
                }
                _roles[role.Key] = role;
                break;
            case "RoleBinding" or "ClusterRoleBinding":
                YMapping? roleRef = node.Map("roleRef");
                if (roleRef?.Text("kind") is not ("Role" or "ClusterRole") || roleRef.Text("name") is null ||
                    (kind == "ClusterRoleBinding" && roleRef.Text("kind") == "Role"))
                {
                    host.Error(new ScanError(ErrorIds.MalformedBinding, ScanErrorCategory.InvalidData,
                        $"{kind} {name} has no valid roleRef (kind Role or ClusterRole, and a name; a ClusterRoleBinding can only reference a ClusterRole).",
                        where, roleRef?.Line ?? node.Line));
                    return;
                }
                var binding = new RbacBinding
                {
                    Kind = kind,
                    Namespace = kind == "RoleBinding" ? ns ?? "default" : null,
                    Name = name,
                    RoleKind = roleRef.Text("kind")!,
                    RoleName = roleRef.Text("name")!,
                    Source = source,
                };
                foreach (YMapping s in node.Seq("subjects")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
                {
                    string? subjectKind = s.Text("kind");
                    string? subjectName = s.Text("name");
                    if (subjectKind is not (RbacSubject.User or RbacSubject.Group or RbacSubject.ServiceAccount) || subjectName is null)
                    {
                        host.Error(new ScanError(ErrorIds.MalformedBinding, ScanErrorCategory.InvalidData,
                            $"{binding} has a subject without a valid kind (User, Group, ServiceAccount) and name.", where, s.Line));
                        continue;
                    }
                    string? subjectNs = subjectKind == RbacSubject.ServiceAccount ? s.Text("namespace") ?? binding.Namespace : null;
                    if (subjectKind == RbacSubject.ServiceAccount && subjectNs is null)
                    {
                        host.Error(new ScanError(ErrorIds.MalformedBinding, ScanErrorCategory.InvalidData,
                            $"{binding} names ServiceAccount {subjectName} without a namespace; it matches nobody.", where, s.Line));
                        continue;
                    }
                    var subject = new RbacSubject(subjectKind, subjectName, subjectNs);
                    binding.Subjects.Add(subject);
                    if (subject.Kind == RbacSubject.ServiceAccount)
                    {
                        _serviceAccounts.Add(subject);
                    }
                }
                _bindings.Add(binding);
                break;
        }
    }

    private static PolicyRule? ParseRule(YNode node, RbacRole role, string where, IScanHost host)
    {
        if (node is not YMapping map)
        {
            host.Error(new ScanError(ErrorIds.MalformedRule, ScanErrorCategory.InvalidData, $"{role} has a rule that is not a mapping.", where, node.Line));
            return null;
        }
        static IReadOnlyList<string> List(YMapping m, string key) =>
            m.Seq(key)?.Items.OfType<YScalar>().Select(s => s.Value).ToArray() ?? Array.Empty<string>();
        var rule = new PolicyRule(List(map, "verbs"), List(map, "apiGroups"), List(map, "resources"), List(map, "resourceNames"), List(map, "nonResourceURLs"));
        string? problem = rule.Verbs.Count == 0 ? "has no verbs"
            : rule.NonResourceUrls.Count > 0 && (rule.Resources.Count > 0 || rule.ApiGroups.Count > 0) ? "mixes resources and nonResourceURLs"
            : rule.NonResourceUrls.Count > 0 && role.Kind == "Role" ? "has nonResourceURLs, which only a ClusterRole can hold"
            : rule.NonResourceUrls.Count == 0 && rule.Resources.Count == 0 ? "names no resources and no nonResourceURLs"
            : rule.NonResourceUrls.Count == 0 && rule.ApiGroups.Count == 0 ? "names resources but no apiGroups (use \"\" for the core group)"
            : null;
        if (problem is not null)
        {
            host.Error(new ScanError(ErrorIds.MalformedRule, ScanErrorCategory.InvalidData,
                $"A rule of {role} {problem}; the API server would reject it, so it grants nothing here.", where, map.Line));
            return null;
        }
        foreach (string verb in rule.Verbs.Where(v => !KnownVerbs.Contains(v)))
        {
            host.Error(new ScanError(ErrorIds.UnknownVerb, ScanErrorCategory.InvalidData,
                $"A rule of {role} uses the verb '{verb}', which Kubernetes does not define; it is kept and matched literally (an unknown verb is not assumed safe).",
                where, map.Line));
        }
        return rule;
    }

    /// <summary>Fills aggregated ClusterRoles from the roles their selectors pick, until nothing changes.</summary>
    private void Aggregate()
    {
        var aggregated = _roles.Values.Where(r => r.AggregationSelectors.Count > 0).ToList();
        var own = aggregated.ToDictionary(r => r.Key, r => r.Rules.ToList());
        for (int round = 0; round < 16; round++)
        {
            bool changed = false;
            foreach (RbacRole role in aggregated)
            {
                var rules = new List<PolicyRule>(own[role.Key]);
                foreach (RbacRole source in _roles.Values.Where(r => r.Kind == "ClusterRole" && r != role &&
                                                                   role.AggregationSelectors.Any(s => s.Matches(r.Labels))))
                {
                    foreach (PolicyRule rule in source.Rules.Where(x => !rules.Contains(x)))
                    {
                        rules.Add(rule);
                    }
                }
                if (rules.Count != role.Rules.Count)
                {
                    role.Rules.Clear();
                    role.Rules.AddRange(rules);
                    changed = true;
                }
            }
            if (!changed)
            {
                break;
            }
        }
    }
}
