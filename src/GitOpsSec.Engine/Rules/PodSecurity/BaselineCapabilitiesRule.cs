using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1004: capabilities.add may only name the container runtime's default capabilities.</summary>
internal sealed class BaselineCapabilitiesRule : PodSecurityRule
{
    internal static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    public override string Id => "GOS1004";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (ContainerRef c in pod.Containers)
        {
            FieldPath addPath = c.SecurityContextPath.Keys("capabilities", "add");
            YNode? add = c.SecurityContext?.Map("capabilities")?["add"];
            if (add is YSequence list)
            {
                for (int i = 0; i < list.Items.Count; i++)
                {
                    string cap = Field.Show(list.Items[i]);
                    if (!Allowed.Contains(cap))
                    {
                        yield return new Violation(addPath.Item(i, list.Items[i]), c.Describe(), cap);
                    }
                }
            }
            else if (!Field.IsUnset(add))
            {
                yield return new Violation(addPath, c.Describe(), Field.Show(add));
            }
        }
    }
}
