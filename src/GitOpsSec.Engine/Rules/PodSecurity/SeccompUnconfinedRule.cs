using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1010: before v1.19 the seccomp annotations (seccomp.security.alpha.kubernetes.io/pod and
/// container.seccomp.security.alpha.kubernetes.io/&lt;container&gt;) may only name runtime/default, docker/default
/// or localhost/*; from v1.19 seccompProfile.type, where set, must be RuntimeDefault or Localhost (pod and
/// containers) and the annotations are no longer read (check_seccompProfile_baseline.go).
/// </summary>
internal sealed class SeccompUnconfinedRule : PodSecurityRule
{
    public override string Id => "GOS1010";

    protected override bool ChecksByVersion => true;

    internal static bool IsAllowedType(YNode? type) => Field.Show(type) is "RuntimeDefault" or "Localhost";

    protected override IEnumerable<Violation> Check(PodSpec pod) => Version.AtLeast(19) ? Fields(pod) : Annotations(pod);

    private static IEnumerable<Violation> Fields(PodSpec pod)
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
    }

    private static IEnumerable<Violation> Annotations(PodSpec pod)
    {
        const string podKey = "seccomp.security.alpha.kubernetes.io/pod", containerPrefix = "container.seccomp.security.alpha.kubernetes.io/";
        var containers = pod.Containers.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        FieldPath annotations = pod.AnnotationsPath;
        foreach (var (key, value) in pod.Annotations)
        {
            bool checkedKey = key == podKey || (key.StartsWith(containerPrefix, StringComparison.Ordinal) && containers.Contains(key[containerPrefix.Length..]));
            if (checkedKey && value != "runtime/default" && value != "docker/default" && !value.StartsWith("localhost/", StringComparison.Ordinal))
            {
                yield return new Violation(annotations.Key(key), PodTarget, value);
            }
        }
    }
}
