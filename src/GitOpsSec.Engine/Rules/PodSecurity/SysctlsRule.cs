using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1011: spec.securityContext.sysctls may only name the safe, namespaced sysctls.</summary>
internal sealed class SysctlsRule : PodSecurityRule
{
    private static readonly HashSet<string> Safe = new(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    };

    public override string Id => "GOS1011";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        if (pod.SecurityContext?.Seq("sysctls") is not YSequence sysctls)
        {
            yield break;
        }
        for (int i = 0; i < sysctls.Items.Count; i++)
        {
            string name = (sysctls.Items[i] as YMapping)?.Text("name") ?? Field.Show(sysctls.Items[i]);
            if (!Safe.Contains(name))
            {
                yield return new Violation(pod.SecurityContextPath.Key("sysctls").Item(i, sysctls.Items[i]), PodTarget, name);
            }
        }
    }
}
