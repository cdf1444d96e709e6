using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1001: windowsOptions.hostProcess must be unset or false (pod and every container).</summary>
internal sealed class HostProcessRule : PodSecurityRule
{
    public override string Id => "GOS1001";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        YNode? podValue = pod.SecurityContext?.Map("windowsOptions")?["hostProcess"];
        if (Field.IsSetNotFalse(podValue))
        {
            yield return new Violation(pod.SecurityContextPath.Keys("windowsOptions", "hostProcess"), PodTarget, Field.Show(podValue));
        }
        foreach (ContainerRef c in pod.Containers)
        {
            YNode? value = c.SecurityContext?.Map("windowsOptions")?["hostProcess"];
            if (Field.IsSetNotFalse(value))
            {
                yield return new Violation(c.SecurityContextPath.Keys("windowsOptions", "hostProcess"), c.Describe(), Field.Show(value));
            }
        }
    }
}
