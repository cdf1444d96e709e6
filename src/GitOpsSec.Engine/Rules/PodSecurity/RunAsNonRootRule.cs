using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1103 (Restricted): runAsNonRoot true at pod level or on every container, never set otherwise.
/// </summary>
internal sealed class RunAsNonRootRule : PodSecurityRule
{
    public override string Id => "GOS1103";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        YNode? podValue = pod.SecurityContext?["runAsNonRoot"];
        bool podRequires = Field.IsTrue(podValue);
        if (!Field.IsUnset(podValue) && !podRequires)
        {
            yield return new Violation(pod.SecurityContextPath.Key("runAsNonRoot"), PodTarget, $"runAsNonRoot: {Field.Show(podValue)}");
        }
        foreach (ContainerRef c in pod.Containers)
        {
            YNode? value = c.SecurityContext?["runAsNonRoot"];
            if (Field.IsUnset(value) ? !podRequires : !Field.IsTrue(value))
            {
                string shown = Field.IsUnset(value) ? "runAsNonRoot unset on the container and the pod" : $"runAsNonRoot: {Field.Show(value)}";
                yield return new Violation(c.SecurityContextPath.Key("runAsNonRoot"), c.Describe(), shown);
            }
        }
    }
}
