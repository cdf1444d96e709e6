namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1002: hostNetwork, hostPID and hostIPC must be unset or false.</summary>
internal sealed class HostNamespacesRule : PodSecurityRule
{
    public override string Id => "GOS1002";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (string field in new[] { "hostNetwork", "hostPID", "hostIPC" })
        {
            if (Field.IsSetNotFalse(pod.Spec[field]))
            {
                yield return new Violation(pod.SpecPath.Key(field), PodTarget, Field.Show(pod.Spec[field]));
            }
        }
    }
}
