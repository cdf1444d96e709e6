using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1007: appArmorProfile.type (pod, containers) must be RuntimeDefault or Localhost, and the legacy
/// container.apparmor.security.beta.kubernetes.io/* annotations runtime/default or localhost/*.
/// </summary>
internal sealed class AppArmorRule : PodSecurityRule
{
    private const string AnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";

    public override string Id => "GOS1007";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        YNode? podType = pod.SecurityContext?.Map("appArmorProfile")?["type"];
        if (!Allowed(podType))
        {
            yield return new Violation(pod.SecurityContextPath.Keys("appArmorProfile", "type"), PodTarget, Field.Show(podType));
        }
        foreach (ContainerRef c in pod.Containers)
        {
            YNode? type = c.SecurityContext?.Map("appArmorProfile")?["type"];
            if (!Allowed(type))
            {
                yield return new Violation(c.SecurityContextPath.Keys("appArmorProfile", "type"), c.Describe(), Field.Show(type));
            }
        }
        FieldPath annotations = pod.AnnotationsPath;
        foreach (var (key, value) in pod.Annotations)
        {
            // An empty value is allowed (check_appArmorProfile.go allowedAnnotationValue).
            if (key.StartsWith(AnnotationPrefix, StringComparison.Ordinal) && value.Length > 0 &&
                value != "runtime/default" && !value.StartsWith("localhost/", StringComparison.Ordinal))
            {
                yield return new Violation(annotations.Key(key), $"Container '{key[AnnotationPrefix.Length..]}'", value);
            }
        }
    }

    private static bool Allowed(YNode? type) =>
        Field.IsUnset(type) || Field.Show(type) is "RuntimeDefault" or "Localhost";
}
