namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1003: securityContext.privileged must be unset or false on every container.</summary>
internal sealed class PrivilegedContainerRule : PodSecurityRule
{
    public override string Id => "GOS1003";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (ContainerRef c in pod.Containers)
        {
            var value = c.SecurityContext?["privileged"];
            if (Field.IsSetNotFalse(value))
            {
                yield return new Violation(c.SecurityContextPath.Key("privileged"), c.Describe(), Field.Show(value));
            }
        }
    }
}
