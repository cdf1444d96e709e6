using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1008: seLinuxOptions.type only container_t, container_init_t, container_kvm_t or
/// container_engine_t; seLinuxOptions.user and .role unset (pod and every container).
/// </summary>
internal sealed class SeLinuxRule : PodSecurityRule
{

    public override string Id => "GOS1008";

    protected override bool ChecksByVersion => true;

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (Violation v in CheckOptions(pod.SecurityContext, pod.SecurityContextPath, PodTarget))
        {
            yield return v;
        }
        foreach (ContainerRef c in pod.Containers)
        {
            foreach (Violation v in CheckOptions(c.SecurityContext, c.SecurityContextPath, c.Describe()))
            {
                yield return v;
            }
        }
    }

    private IEnumerable<Violation> CheckOptions(YMapping? securityContext, FieldPath path, string target)
    {
        if (securityContext?.Map("seLinuxOptions") is not YMapping options)
        {
            yield break;
        }
        FieldPath optionsPath = path.Key("seLinuxOptions");
        YNode? type = options["type"];
        if (!Field.IsUnset(type) && !PodSecurityHistory.SeLinuxTypes(Version).Contains(Field.Show(type)))
        {
            yield return new Violation(optionsPath.Key("type"), target, Field.Show(type));
        }
        foreach (string key in new[] { "user", "role" })
        {
            YNode? value = options[key];
            if (!Field.IsUnset(value) && Field.Show(value).Length > 0)
            {
                yield return new Violation(optionsPath.Key(key), target, Field.Show(value));
            }
        }
    }
}
