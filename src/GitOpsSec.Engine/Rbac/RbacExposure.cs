namespace GitOpsSec.Rbac;

/// <summary>
/// One dangerous capability one subject holds in one scope, with how: the chain binding → role → rule,
/// or an escalation path (create pods and run as a ServiceAccount, impersonate, bind/escalate).
/// </summary>
public sealed class RbacExposure
{
    public required RbacSubject Subject { get; init; }
    public string SubjectKind => Subject.Kind;
    public string SubjectName => Subject.Name;
    public string? SubjectNamespace => Subject.Namespace;
    public required string Capability { get; init; }
    public required Severity Severity { get; init; }

    /// <summary>"cluster" or the namespace the capability holds in.</summary>
    public required string Scope { get; init; }

    /// <summary>Direct, PodCreation, Impersonation or Escalation.</summary>
    public required string Via { get; init; }

    public required string Description { get; init; }

    /// <summary>resourceNames the granting rule is limited to (empty: any name).</summary>
    public IReadOnlyList<string> LimitedTo { get; init; } = Array.Empty<string>();

    /// <summary>The first granting binding, role and rule (the start of the path for derived exposures).</summary>
    public required string Binding { get; init; }
    public required string Role { get; init; }
    public required string Rule { get; init; }

    /// <summary>Every step from the subject to the capability.</summary>
    public required IReadOnlyList<string> Path { get; init; }

    /// <summary>File and line of the binding that starts the path (null for bootstrap bindings).</summary>
    public string? SourcePath { get; init; }
    public int SourceLine { get; init; }

    /// <summary>The binding that starts the path (null for bootstrap bindings).</summary>
    internal RbacBinding? BindingObject { get; init; }

    /// <summary>Other grants that give the same capability in the same scope.</summary>
    public List<string> OtherGrants { get; } = new();

    public override string ToString() => $"{Subject}: {Capability} in {Scope} ({Via})";
}

/// <summary>Options for <see cref="RbacExposureAnalyzer"/>.</summary>
public sealed record RbacExposureOptions
{
    /// <summary>Include system: users and groups and the bootstrap bindings (excluded by default).</summary>
    public bool IncludeSystem { get; init; }

    /// <summary>Namespaces where the GitOps controller runs.</summary>
    public IReadOnlyList<string> ControllerNamespaces { get; init; } = new[] { "argocd", "flux-system" };

    /// <summary>How many escalation steps to follow.</summary>
    public int MaxDepth { get; init; } = 3;
}

/// <summary>Finds, per subject, every dangerous capability and the path that grants it.</summary>
public sealed class RbacExposureAnalyzer
{
    private readonly RbacModel _model;
    private readonly RbacExposureOptions _options;
    private readonly Dictionary<RbacRole, List<(RbacCapability Capability, int RuleIndex, IReadOnlyList<string> Names)>> _roleCapabilities = new();

    public RbacExposureAnalyzer(RbacModel model, RbacExposureOptions? options = null)
    {
        _model = model;
        _options = options ?? new RbacExposureOptions();
    }

    public List<RbacExposure> Analyze()
    {
        var exposures = new Dictionary<(RbacSubject, string, string), RbacExposure>();
        foreach (RbacBinding binding in _model.Bindings)
        {
            if ((binding.BuiltIn && !_options.IncludeSystem) || _model.RoleOf(binding) is not RbacRole role)
            {
                continue;
            }
            string scope = binding.IsClusterWide ? "cluster" : binding.Namespace!;
            foreach (var (capability, ruleIndex, names) in CapabilitiesOf(role))
            {
                if (capability == RbacCapabilities.TamperWithGitOpsController && scope != "cluster" && !_options.ControllerNamespaces.Contains(scope))
                {
                    continue;
                }
                PolicyRule rule = role.Rules[ruleIndex];
                string chain = $"{binding} -> {role} -> rule {ruleIndex}: {rule}";
                foreach (RbacSubject subject in binding.Subjects.Where(Reported))
                {
                    Add(exposures, new RbacExposure
                    {
                        Subject = subject, Capability = capability.Name, Severity = capability.Severity, Scope = scope, Via = "Direct",
                        Description = capability.Description, LimitedTo = names, Binding = binding.ToString(), Role = role.ToString(),
                        Rule = rule.ToString(), Path = new[] { chain }, SourcePath = binding.Source?.Path, SourceLine = binding.Source?.Line ?? 0,
                        BindingObject = binding,
                    });
                }
            }
        }
        Derive(exposures);
        return exposures.Values
            .OrderByDescending(e => e.Severity).ThenBy(e => e.Subject.ToString(), StringComparer.Ordinal)
            .ThenBy(e => e.Capability, StringComparer.Ordinal).ThenBy(e => e.Scope, StringComparer.Ordinal)
            .ToList();
    }

    private bool Reported(RbacSubject subject) => _options.IncludeSystem || !subject.IsSystem || subject.IsBroadGroup;

    /// <summary>The capabilities each rule of a role grants; a full wildcard rule counts once, as ClusterAdmin.</summary>
    private List<(RbacCapability, int, IReadOnlyList<string>)> CapabilitiesOf(RbacRole role)
    {
        if (_roleCapabilities.TryGetValue(role, out var cached))
        {
            return cached;
        }
        var result = new List<(RbacCapability, int, IReadOnlyList<string>)>();
        for (int i = 0; i < role.Rules.Count; i++)
        {
            PolicyRule rule = role.Rules[i];
            if (rule.NonResourceUrls.Count > 0)
            {
                continue;
            }
            if (RbacCapabilities.ClusterAdmin.GrantedBy(rule, out var adminNames) && adminNames.Count == 0)
            {
                result.Add((RbacCapabilities.ClusterAdmin, i, adminNames));
                continue;
            }
            foreach (RbacCapability capability in RbacCapabilities.All.Append(RbacCapabilities.TamperWithGitOpsController))
            {
                if (capability != RbacCapabilities.ClusterAdmin && capability.GrantedBy(rule, out var names))
                {
                    result.Add((capability, i, names));
                }
            }
        }
        _roleCapabilities[role] = result;
        return result;
    }

    private static bool Add(Dictionary<(RbacSubject, string, string), RbacExposure> exposures, RbacExposure exposure)
    {
        var key = (exposure.Subject, exposure.Capability, exposure.Scope);
        if (exposures.TryGetValue(key, out RbacExposure? existing))
        {
            string chain = string.Join(" => ", exposure.Path);
            if (existing.Path.Count == 1 && exposure.Path.Count == 1 && !existing.OtherGrants.Contains(chain) && existing.Path[0] != chain)
            {
                existing.OtherGrants.Add(chain);
            }
            return false;
        }
        exposures[key] = exposure;
        return true;
    }

    /// <summary>
    /// Escalation paths: whoever can create pods in a namespace can run as any of its ServiceAccounts;
    /// whoever can impersonate inherits the impersonated; bind/escalate reaches any role.
    /// </summary>
    private void Derive(Dictionary<(RbacSubject, string, string), RbacExposure> exposures)
    {
        // Semi-naive evaluation: after the first round, a holder seen before only combines with what the
        // previous round added, and only new holders combine with everything.
        HashSet<RbacExposure>? fresh = null;
        for (int depth = 0; depth < _options.MaxDepth; depth++)
        {
            var snapshot = exposures.Values.ToList();
            var bySubject = snapshot.GroupBy(e => e.Subject).ToDictionary(g => g.Key, g => g.ToList());
            int before = exposures.Count;
            var addedThisRound = new HashSet<RbacExposure>(ReferenceEqualityComparer.Instance);

            // Only what a subject does not hold yet (in that scope) is derived: the first path found is kept.
            void Inherit(RbacExposure holder, RbacExposure inherited, string via, Func<string> step)
            {
                if (!exposures.ContainsKey((holder.Subject, inherited.Capability, inherited.Scope)))
                {
                    RbacExposure derived = Derived(holder, inherited, via, step());
                    Add(exposures, derived);
                    addedThisRound.Add(derived);
                }
            }

            // What a pod in a namespace can hold, once per (capability, scope): all of it, and what is new.
            var podPowers = PodPowers(bySubject, null);
            var freshPodPowers = fresh is null ? podPowers : PodPowers(bySubject, fresh);

            foreach (RbacExposure holder in snapshot)
            {
                switch (holder.Capability)
                {
                    case "CreateWorkloads":
                        var offered = fresh is null || fresh.Contains(holder) ? podPowers : freshPodPowers;
                        foreach (var (sa, inherited) in offered.GetValueOrDefault(holder.Scope)?.Values ??
                                                        Enumerable.Empty<(RbacSubject, RbacExposure)>())
                        {
                            if (sa != holder.Subject)
                            {
                                Inherit(holder, inherited, "PodCreation", () => $"{holder.Subject} can create pods in {holder.Scope}, which may run as {sa}");
                            }
                        }
                        break;
                    case "Impersonate":
                        bool holderIsNew = fresh is null || fresh.Contains(holder);
                        foreach (var (target, held) in bySubject)
                        {
                            bool named = holder.LimitedTo.Count == 0 || holder.LimitedTo.Contains(target.UserName) || holder.LimitedTo.Contains(target.Name);
                            if (target == holder.Subject || !named || (holder.Scope != "cluster" && target.Namespace != holder.Scope))
                            {
                                continue;
                            }
                            foreach (RbacExposure inherited in held)
                            {
                                if (holderIsNew || fresh!.Contains(inherited))
                                {
                                    Inherit(holder, inherited, "Impersonation", () => $"{holder.Subject} can impersonate {target}");
                                }
                            }
                        }
                        break;
                    case "BindRoles" or "EscalateRoles" when holder.LimitedTo.Count == 0:
                        AddFresh(new RbacExposure
                        {
                            Subject = holder.Subject, Capability = RbacCapabilities.ClusterAdmin.Name, Severity = Severity.Critical,
                            Scope = holder.Scope, Via = "Escalation",
                            Description = $"Can grant itself any permission {(holder.Scope == "cluster" ? "in the cluster" : "in namespace " + holder.Scope)} through {holder.Capability}.",
                            Binding = holder.Binding, Role = holder.Role, Rule = holder.Rule,
                            Path = holder.Path.Append($"{holder.Capability} lets {holder.Subject} bind or write a role with any permission").ToArray(),
                            SourcePath = holder.SourcePath, SourceLine = holder.SourceLine, BindingObject = holder.BindingObject,
                        });
                        break;
                }
            }
            if (exposures.Count == before)
            {
                break;
            }
            fresh = addedThisRound;

            void AddFresh(RbacExposure e)
            {
                if (Add(exposures, e))
                {
                    addedThisRound.Add(e);
                }
            }
        }
    }

    /// <summary>Per namespace (and "cluster"), what a pod run as one of its ServiceAccounts can hold.</summary>
    private Dictionary<string, Dictionary<(string, string), (RbacSubject Account, RbacExposure Exposure)>> PodPowers(
        Dictionary<RbacSubject, List<RbacExposure>> bySubject, HashSet<RbacExposure>? only)
    {
        var podPowers = new Dictionary<string, Dictionary<(string, string), (RbacSubject, RbacExposure)>>(StringComparer.Ordinal);
        foreach (RbacSubject sa in _model.ServiceAccounts)
        {
            foreach (RbacExposure e in ExposuresOf(bySubject, sa))
            {
                if (only is not null && !only.Contains(e))
                {
                    continue;
                }
                foreach (string key in new[] { sa.Namespace ?? string.Empty, "cluster" })
                {
                    if (!podPowers.TryGetValue(key, out var powers))
                    {
                        podPowers[key] = powers = new Dictionary<(string, string), (RbacSubject, RbacExposure)>();
                    }
                    powers.TryAdd((e.Capability, e.Scope), (sa, e));
                }
            }
        }
        return podPowers;
    }

    /// <summary>What a ServiceAccount holds itself or through the groups every ServiceAccount is in.</summary>
    private static IEnumerable<RbacExposure> ExposuresOf(Dictionary<RbacSubject, List<RbacExposure>> bySubject, RbacSubject sa)
    {
        foreach (RbacSubject who in new[]
                 {
                     sa, new RbacSubject(RbacSubject.Group, "system:serviceaccounts"),
                     new RbacSubject(RbacSubject.Group, $"system:serviceaccounts:{sa.Namespace}"),
                 })
        {
            if (bySubject.TryGetValue(who, out List<RbacExposure>? held))
            {
                foreach (RbacExposure e in held)
                {
                    yield return e;
                }
            }
        }
    }

    private static RbacExposure Derived(RbacExposure holder, RbacExposure inherited, string via, string step) => new()
    {
        Subject = holder.Subject, Capability = inherited.Capability, Severity = inherited.Severity, Scope = inherited.Scope, Via = via,
        Description = inherited.Description, LimitedTo = inherited.LimitedTo, Binding = holder.Binding, Role = holder.Role, Rule = holder.Rule,
        Path = holder.Path.Append(step).Concat(inherited.Path).ToArray(), SourcePath = holder.SourcePath, SourceLine = holder.SourceLine,
        BindingObject = holder.BindingObject,
    };
}
