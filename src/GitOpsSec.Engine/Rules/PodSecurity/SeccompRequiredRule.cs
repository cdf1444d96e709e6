using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1105 (Restricted, v1.19+): seccompProfile.type RuntimeDefault or Localhost on the pod, or on every
/// container that does not inherit it; a pod or container that sets any other type is a violation too
/// (check_seccompProfile_restricted.go, which replaces the baseline seccomp check at this level). Windows pods
/// are exempt from v1.25.
/// </summary>
internal sealed class SeccompRequiredRule : PodSecurityRule
{
    public override string Id => "GOS1105";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        YNode? podType = pod.SecurityContext?.Map("seccompProfile")?["type"];
        bool podSet = SeccompUnconfinedRule.IsAllowedType(podType);
        if (!Field.IsUnset(podType) && !podSet)
        {
            yield return new Violation(pod.SecurityContextPath.Keys("seccompProfile", "type"), PodTarget, $"seccompProfile.type {Field.Show(podType)}");
        }
        foreach (ContainerRef c in pod.Containers)
        {
            YNode? type = c.SecurityContext?.Map("seccompProfile")?["type"];
            if (Field.IsUnset(type) ? !podSet : !SeccompUnconfinedRule.IsAllowedType(type))
            {
                yield return new Violation(c.SecurityContextPath.Keys("seccompProfile", "type"), c.Describe(),
                    Field.IsUnset(type) ? "seccompProfile unset on the container and the pod" : $"seccompProfile.type {Field.Show(type)}");
            }
        }
    }
}
