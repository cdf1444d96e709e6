namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1009: securityContext.procMount must be unset or Default.</summary>
internal sealed class ProcMountRule : PodSecurityRule
{
    public override string Id => "GOS1009";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (ContainerRef c in pod.Containers)
        {
            var value = c.SecurityContext?["procMount"];
            if (!Field.IsUnset(value) && Field.Show(value) != "Default")
            {
                yield return new Violation(c.SecurityContextPath.Key("procMount"), c.Describe(), Field.Show(value));
            }
        }
    }
}
