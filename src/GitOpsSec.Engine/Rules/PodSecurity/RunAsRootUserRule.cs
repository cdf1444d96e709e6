using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1104 (Restricted): runAsUser must not be 0 (pod or container).</summary>
internal sealed class RunAsRootUserRule : PodSecurityRule
{
    public override string Id => "GOS1104";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        if (IsRoot(pod.SecurityContext?["runAsUser"]))
        {
            yield return new Violation(pod.SecurityContextPath.Key("runAsUser"), PodTarget, Field.Show(pod.SecurityContext!["runAsUser"]));
        }
        foreach (ContainerRef c in pod.Containers)
        {
            YNode? value = c.SecurityContext?["runAsUser"];
            if (IsRoot(value))
            {
                yield return new Violation(c.SecurityContextPath.Key("runAsUser"), c.Describe(), Field.Show(value));
            }
        }
    }

    /// <summary>0, or anything that is not a plain integer (fail closed).</summary>
    private static bool IsRoot(YNode? value) =>
        !Field.IsUnset(value) && (value is not YScalar s || s.AsInteger() is not long uid || uid == 0);
}
