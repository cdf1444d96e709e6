using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1011: spec.securityContext.sysctls may only name the safe, namespaced sysctls.</summary>
internal sealed class SysctlsRule : PodSecurityRule
{
    public override string Id => "GOS1011";

    protected override bool ChecksByVersion => true;

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        if (pod.SecurityContext?.Seq("sysctls") is not YSequence sysctls)
        {
            yield break;
        }
        IReadOnlySet<string> safe = PodSecurityHistory.SafeSysctls(Version);
        for (int i = 0; i < sysctls.Items.Count; i++)
        {
            string name = (sysctls.Items[i] as YMapping)?.Text("name") ?? Field.Show(sysctls.Items[i]);
            if (!safe.Contains(name))
            {
                yield return new Violation(pod.SecurityContextPath.Key("sysctls").Item(i, sysctls.Items[i]), PodTarget, name);
            }
        }
    }
}
