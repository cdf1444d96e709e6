namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1102 (Restricted): every container sets allowPrivilegeEscalation: false (not for Windows pods).</summary>
internal sealed class AllowPrivilegeEscalationRule : PodSecurityRule
{
    public override string Id => "GOS1102";


    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (ContainerRef c in pod.Containers)
        {
            var value = c.SecurityContext?["allowPrivilegeEscalation"];
            if ((value as Manifests.YScalar)?.AsBoolean() != false)
            {
                yield return new Violation(c.SecurityContextPath.Key("allowPrivilegeEscalation"), c.Describe(),
                    $"allowPrivilegeEscalation: {Field.Show(value)}");
            }
        }
    }
}
