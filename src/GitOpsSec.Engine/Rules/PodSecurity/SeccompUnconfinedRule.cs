using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1010: seccompProfile.type, where set, must be RuntimeDefault or Localhost (pod and containers);
/// the legacy seccomp annotations must not say unconfined.
/// </summary>
internal sealed class SeccompUnconfinedRule : PodSecurityRule
{
    public override string Id => "GOS1010";

    internal static bool IsAllowedType(YNode? type) => Field.Show(type) is "RuntimeDefault" or "Localhost";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        YNode? podType = pod.SecurityContext?.Map("seccompProfile")?["type"];
        if (!Field.IsUnset(podType) && !IsAllowedType(podType))
        {
            yield return new Violation(pod.SecurityContextPath.Keys("seccompProfile", "type"), PodTarget, Field.Show(podType));
        }
        foreach (ContainerRef c in pod.Containers)
        {
            YNode? type = c.SecurityContext?.Map("seccompProfile")?["type"];
            if (!Field.IsUnset(type) && !IsAllowedType(type))
            {
                yield return new Violation(c.SecurityContextPath.Keys("seccompProfile", "type"), c.Describe(), Field.Show(type));
            }
        }
        FieldPath annotations = pod.AnnotationsPath;
        foreach (var (key, value) in pod.Annotations)
        {
            bool seccompAnnotation = key == "seccomp.security.alpha.kubernetes.io/pod" ||
                                     key.StartsWith("container.seccomp.security.alpha.kubernetes.io/", StringComparison.Ordinal);
            if (seccompAnnotation && value == "unconfined")
            {
                yield return new Violation(annotations.Key(key), PodTarget, value);
            }
        }
    }
}
