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

    /// <summary>
    /// Namespaces whose ServiceAccounts are powerful by default (rbac-police's privileged namespaces); the controller
    /// namespaces and every namespace where a ServiceAccount holds a High or Critical capability are added.
    /// </summary>
    public IReadOnlyList<string> PrivilegedNamespaces { get; init; } = new[] { "kube-system" };

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
                if ((capability.ClusterOnly && scope != "cluster") || (capability.Namespaces is { } only && scope != "cluster" && !only.Contains(scope)))
                {
                    continue; // a RoleBinding cannot grant a cluster-scoped resource; aws-auth lives in kube-system
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
        RequireAllHalves(exposures);
        AddCloudIdentities(exposures);
        RateByNamespace(exposures);
        Derive(exposures);
        return exposures.Values
            .OrderByDescending(e => e.Severity).ThenBy(e => e.Subject.ToString(), StringComparer.Ordinal)
            .ThenBy(e => e.Capability, StringComparer.Ordinal).ThenBy(e => e.Scope, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// A capability with more than one half (CSR approval also needs approve on the signer; stealing pods also needs
    /// to make nodes unschedulable) holds only when the same subject has every half in the scope, from any binding.
    /// The required half's resourceNames (the signers) become LimitedTo.
    /// </summary>
    private void RequireAllHalves(Dictionary<(RbacSubject, string, string), RbacExposure> exposures)
    {
        foreach (var (key, exposure) in exposures.ToList())
        {
            RbacCapability? capability = RbacCapabilities.All.FirstOrDefault(c => c.Name == exposure.Capability);
            if (capability is null || capability.Requires.Count == 0)
            {
                continue;
            }
            var limits = new List<string>();
            var chains = new List<string>();
            bool held = true;
            foreach (IReadOnlyList<AccessRequest> half in capability.Requires)
            {
                var granting = RulesOf(exposure.Subject, exposure.Scope)
                    .Select(r => RbacCapability.Grants(half, r.Rule, null, out var names) ? (r.Chain, Names: names) : default)
                    .Where(g => g.Chain is not null).ToList();
                if (granting.Count == 0)
                {
                    held = false;
                    break;
                }
                if (granting.All(g => g.Names.Count > 0))
                {
                    limits.AddRange(granting.SelectMany(g => g.Names));
                }
                chains.Add(granting[0].Chain);
            }
            if (!held)
            {
                exposures.Remove(key);
                continue;
            }
            exposures[key] = Copy(exposure, exposure.Severity, limits.Count > 0 ? limits.Distinct(StringComparer.Ordinal).ToArray() : exposure.LimitedTo,
                path: exposure.Path.Concat(chains).ToArray());
        }
    }

    /// <summary>The rules a subject holds in a scope (cluster-wide bindings count in every namespace), with their chains.</summary>
    private IEnumerable<(PolicyRule Rule, string Chain)> RulesOf(RbacSubject subject, string scope)
    {
        UserInfo user = UserInfo.For(subject);
        foreach (RbacBinding binding in _model.Bindings)
        {
            if ((!binding.IsClusterWide && binding.Namespace != scope) || _model.RoleOf(binding) is not RbacRole role ||
                !binding.Subjects.Any(s => RbacMatching.AppliesTo(s, user, binding.Namespace)))
            {
                continue;
            }
            for (int i = 0; i < role.Rules.Count; i++)
            {
                yield return (role.Rules[i], $"{binding} -> {role} -> rule {i}: {role.Rules[i]}");
            }
        }
    }

    /// <summary>ServiceAccounts annotated with a cloud IAM identity: the identity is what their token reaches.</summary>
    private void AddCloudIdentities(Dictionary<(RbacSubject, string, string), RbacExposure> exposures)
    {
        foreach (var (account, annotation, identity, source) in _model.CloudIdentities)
        {
            Add(exposures, new RbacExposure
            {
                Subject = account, Capability = RbacCapabilities.CloudIdentity.Name, Severity = RbacCapabilities.CloudIdentity.Severity,
                Scope = account.Namespace ?? "default", Via = "Annotation",
                Description = $"{RbacCapabilities.CloudIdentity.Description} Identity: {identity}.", LimitedTo = new[] { identity },
                Binding = string.Empty, Role = identity, Rule = $"{annotation}: {identity}",
                Path = new[] { $"{account} is annotated {annotation}: {identity}" },
                SourcePath = source?.Path, SourceLine = source?.Line ?? 0,
            });
        }
    }

    /// <summary>
    /// The namespaces whose ServiceAccounts are worth reaching: the configured ones, the controller namespaces, and every
    /// namespace where a ServiceAccount holds a High or Critical capability. A namespace-dependent capability in any other
    /// namespace is Medium: what it reaches there holds nothing dangerous (the derived paths show what it does reach).
    /// </summary>
    private void RateByNamespace(Dictionary<(RbacSubject, string, string), RbacExposure> exposures)
    {
        var privileged = new HashSet<string>(_options.PrivilegedNamespaces.Concat(_options.ControllerNamespaces), StringComparer.Ordinal);
        foreach (RbacExposure e in exposures.Values)
        {
            if (e.Subject.Kind == RbacSubject.ServiceAccount && e.Severity >= Severity.High && e.Subject.Namespace is string ns)
            {
                privileged.Add(ns);
            }
        }
        PrivilegedNamespaces = privileged;
        foreach (var (key, e) in exposures.ToList())
        {
            RbacCapability? capability = RbacCapabilities.All.FirstOrDefault(c => c.Name == e.Capability);
            if (capability is { NamespaceDependent: true } && e.Scope != "cluster" && !privileged.Contains(e.Scope) && e.Severity > Severity.Medium)
            {
                exposures[key] = Copy(e, Severity.Medium, e.LimitedTo, $" In namespace {e.Scope}, whose ServiceAccounts hold nothing dangerous.");
            }
        }
    }

    /// <summary>The privileged namespaces of the last analysis (configured, controller, and those with powerful ServiceAccounts).</summary>
    public IReadOnlySet<string> PrivilegedNamespaces { get; private set; } = new HashSet<string>();

    private static RbacExposure Copy(RbacExposure e, Severity severity, IReadOnlyList<string> limitedTo, string? note = null, IReadOnlyList<string>? path = null)
    {
        var copy = new RbacExposure
        {
            Subject = e.Subject, Capability = e.Capability, Severity = severity, Scope = e.Scope, Via = e.Via, Description = e.Description + note,
            LimitedTo = limitedTo, Binding = e.Binding, Role = e.Role, Rule = e.Rule, Path = path ?? e.Path, SourcePath = e.SourcePath, SourceLine = e.SourceLine,
            BindingObject = e.BindingObject,
        };
        copy.OtherGrants.AddRange(e.OtherGrants);
        return copy;
    }

    /// <summary>Capabilities that let the holder act as the ServiceAccounts of the namespace (creating, changing or entering their pods, or minting their tokens).</summary>
    private static readonly HashSet<string> ReachesServiceAccounts = RbacCapabilities.All.Where(c => c.ReachesServiceAccounts).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);

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
                    case var reaching when ReachesServiceAccounts.Contains(reaching):
                        var offered = fresh is null || fresh.Contains(holder) ? podPowers : freshPodPowers;
                        foreach (var (sa, inherited) in offered.GetValueOrDefault(holder.Scope)?.Values ??
                                                        Enumerable.Empty<(RbacSubject, RbacExposure)>())
                        {
                            if (sa != holder.Subject)
                            {
                                string how = holder.Capability switch
                                {
                                    "ModifyPods" => $"{holder.Subject} can change the image of a running pod in {holder.Scope} that runs as {sa}",
                                    "EphemeralContainers" => $"{holder.Subject} can add an ephemeral container to a pod in {holder.Scope} that runs as {sa}",
                                    "IssueTokenSecrets" => $"{holder.Subject} can create a service-account-token Secret for {sa} in {holder.Scope}, which the token controller fills with a token for it",
                                    "ExecIntoPods" => $"{holder.Subject} can run commands in a pod in {holder.Scope} that runs as {sa}",
                                    "CreateServiceAccountTokens" => $"{holder.Subject} can request a token for {sa} in {holder.Scope}",
                                    _ => $"{holder.Subject} can create pods in {holder.Scope}, which may run as {sa}",
                                };
                                Inherit(holder, inherited, holder.Capability == "CreateWorkloads" ? "PodCreation" : holder.Capability, () => how);
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
