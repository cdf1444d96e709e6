namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// How each Pod Security control changed from v1.0 to the newest release: when it appeared, when its check
/// changed, when it exempts Windows pods or relaxes for pods in a user namespace (hostUsers: false), and which
/// baseline control a restricted one replaces at the restricted level. Source: the version registrations in
/// kubernetes/pod-security-admission policy/check_*.go (read at the commit that registers v1.37), one entry per
/// control with the file it comes from. Data, not scattered ifs: the rules read it, Get-GitOpsRule shows it.
/// </summary>
public static class PodSecurityHistory
{
    /// <summary>One control: our rule, upstream's check id and file, and its version history.</summary>
    public sealed record Control(
        string RuleId,
        string UpstreamId,
        string Source,
        int Since,
        IReadOnlyList<(int Minor, string Change)> Changes,
        int? WindowsExemptFrom = null,
        int? UserNamespaceRelaxedFrom = null,
        bool RelaxedOnlyAtBaseline = false,
        (string RuleId, int From)? OverriddenAtRestrictedBy = null);

    private static readonly (int, string)[] None = Array.Empty<(int, string)>();

    public static IReadOnlyList<Control> Controls { get; } = new Control[]
    {
        new("GOS1001", "windowsHostProcess", "policy/check_windowsHostProcess.go", 0, None),
        new("GOS1002", "hostNamespaces", "policy/check_hostNamespaces.go", 0, None),
        new("GOS1003", "privileged", "policy/check_privileged.go", 0, None),
        new("GOS1004", "capabilities_baseline", "policy/check_capabilities_baseline.go", 0, None,
            OverriddenAtRestrictedBy: ("GOS1106", 22)),
        new("GOS1005", "hostPathVolumes", "policy/check_hostPathVolumes.go", 0, None),
        new("GOS1006", "hostPorts", "policy/check_hostPorts.go", 0, None),
        new("GOS1007", "appArmorProfile", "policy/check_appArmorProfile.go", 0, None),
        new("GOS1008", "seLinuxOptions", "policy/check_seLinuxOptions.go", 0, new[] { (31, "type container_engine_t allowed") }),
        new("GOS1009", "procMount", "policy/check_procMount_baseline.go, policy/check_procMount_restricted.go", 0,
            new[] { (35, "baseline allows Unmasked for pods with hostUsers: false; restricted does not") },
            UserNamespaceRelaxedFrom: 35, RelaxedOnlyAtBaseline: true),
        new("GOS1010", "seccompProfile_baseline", "policy/check_seccompProfile_baseline.go", 0,
            new[] { (19, "checks seccompProfile.type fields instead of the seccomp.security.alpha.kubernetes.io annotations") },
            OverriddenAtRestrictedBy: ("GOS1105", 19)),
        new("GOS1011", "sysctls", "policy/check_sysctls.go", 0, new[]
        {
            (27, "net.ipv4.ip_local_reserved_ports allowed"),
            (29, "net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl, tcp_keepalive_probes allowed"),
            (32, "net.ipv4.tcp_rmem, tcp_wmem allowed"),
            (37, "net.ipv4.tcp_slow_start_after_idle, tcp_notsent_lowat allowed"),
        }),
        new("GOS1012", "hostProbesAndHostLifecycle", "policy/check_hostProbesAndhostLifecycle.go", 34, None),
        new("GOS1101", "restrictedVolumes", "policy/check_restrictedVolumes.go", 0, None),
        new("GOS1102", "allowPrivilegeEscalation", "policy/check_allowPrivilegeEscalation.go", 8, None, WindowsExemptFrom: 25),
        new("GOS1103", "runAsNonRoot", "policy/check_runAsNonRoot.go", 0, None, UserNamespaceRelaxedFrom: 35),
        new("GOS1104", "runAsUser", "policy/check_runAsUser.go", 23, None, UserNamespaceRelaxedFrom: 35),
        new("GOS1105", "seccompProfile_restricted", "policy/check_seccompProfile_restricted.go", 19, None, WindowsExemptFrom: 25),
        new("GOS1106", "capabilities_restricted", "policy/check_capabilities_restricted.go", 22, None, WindowsExemptFrom: 25),
    };

    private static readonly Dictionary<string, Control> ById = Controls.ToDictionary(c => c.RuleId, StringComparer.Ordinal);

    public static Control? For(string ruleId) => ById.GetValueOrDefault(ruleId);

    /// <summary>The versions a rule applies to and how it changed, for Get-GitOpsRule: "v1.0+", "v1.23+; v1.35: ...".</summary>
    public static string? Describe(string ruleId)
    {
        if (For(ruleId) is not Control c)
        {
            return null;
        }
        var parts = new List<string> { $"v1.{c.Since}+" };
        parts.AddRange(c.Changes.Select(x => $"v1.{x.Minor}: {x.Change}"));
        if (c.WindowsExemptFrom is int w)
        {
            parts.Add($"v1.{w}: Windows pods exempt");
        }
        if (c.UserNamespaceRelaxedFrom is int u && !c.RelaxedOnlyAtBaseline)
        {
            parts.Add($"v1.{u}: pods with hostUsers: false exempt");
        }
        if (c.OverriddenAtRestrictedBy is var (by, from))
        {
            parts.Add($"v1.{from}: at the restricted level {by} replaces it");
        }
        return string.Join("; ", parts);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, IReadOnlySet<string>> SysctlsByMinor = new();

    /// <summary>The safe (namespaced) sysctls of policy/check_sysctls.go at a version (one set per version, made once).</summary>
    public static IReadOnlySet<string> SafeSysctls(PodSecurityVersion version) =>
        SysctlsByMinor.GetOrAdd(version.IsLatest ? int.MaxValue : version.Minor, _ => MakeSafeSysctls(version));

    private static IReadOnlySet<string> MakeSafeSysctls(PodSecurityVersion version)
    {
        var set = new HashSet<string>(StringComparer.Ordinal)
        {
            "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
        };
        if (version.AtLeast(27))
        {
            set.Add("net.ipv4.ip_local_reserved_ports");
        }
        if (version.AtLeast(29))
        {
            set.UnionWith(new[] { "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes" });
        }
        if (version.AtLeast(32))
        {
            set.UnionWith(new[] { "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem" });
        }
        if (version.AtLeast(37))
        {
            set.UnionWith(new[] { "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat" });
        }
        return set;
    }

    private static readonly IReadOnlySet<string> SeLinuxTypes1Dot0 = new HashSet<string>(StringComparer.Ordinal) { "", "container_t", "container_init_t", "container_kvm_t" };
    private static readonly IReadOnlySet<string> SeLinuxTypes1Dot31 = new HashSet<string>(SeLinuxTypes1Dot0, StringComparer.Ordinal) { "container_engine_t" };

    /// <summary>The SELinux types of policy/check_seLinuxOptions.go at a version ("" is unset).</summary>
    public static IReadOnlySet<string> SeLinuxTypes(PodSecurityVersion version) => version.AtLeast(31) ? SeLinuxTypes1Dot31 : SeLinuxTypes1Dot0;
}
