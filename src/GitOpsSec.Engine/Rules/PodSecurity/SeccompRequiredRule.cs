using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1105 (Restricted): seccompProfile.type RuntimeDefault or Localhost on the pod, or on every
/// container that does not inherit it (not for Windows pods).
/// </summary>
internal sealed class SeccompRequiredRule : PodSecurityRule
{
    public override string Id => "GOS1105";


    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        bool podSet = SeccompUnconfinedRule.IsAllowedType(pod.SecurityContext?.Map("seccompProfile")?["type"]);
        foreach (ContainerRef c in pod.Containers)
        {
            YNode? type = c.SecurityContext?.Map("seccompProfile")?["type"];
            if (Field.IsUnset(type) && !podSet)
            {
                yield return new Violation(c.SecurityContextPath.Keys("seccompProfile", "type"), c.Describe(),
                    "seccompProfile unset on the container and the pod");
            }
        }
    }
}
