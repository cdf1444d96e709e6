using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1106 (Restricted): every container drops ALL and adds nothing but NET_BIND_SERVICE
/// (not for Windows pods).
/// </summary>
internal sealed class RestrictedCapabilitiesRule : PodSecurityRule
{
    public override string Id => "GOS1106";


    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (ContainerRef c in pod.Containers)
        {
            YMapping? caps = c.SecurityContext?.Map("capabilities");
            FieldPath capsPath = c.SecurityContextPath.Key("capabilities");
            bool dropsAll = caps?.Seq("drop")?.Items.Any(i => Field.Show(i) == "ALL") == true;
            if (!dropsAll)
            {
                yield return new Violation(capsPath.Key("drop"), c.Describe(), "does not drop ALL capabilities");
            }
            if (caps?.Seq("add") is YSequence add)
            {
                for (int i = 0; i < add.Items.Count; i++)
                {
                    string cap = Field.Show(add.Items[i]);
                    if (cap != "NET_BIND_SERVICE")
                    {
                        // This control replaces GOS1004 at the restricted level; a capability beyond the baseline set keeps GOS1004's severity.
                        yield return new Violation(capsPath.Key("add").Item(i, add.Items[i]), c.Describe(),
                            $"adds capability {cap} (only NET_BIND_SERVICE is allowed)",
                            Severity: BaselineCapabilitiesRule.Allowed.Contains(cap) ? null : RuleCatalog.Find("GOS1004")?.Severity);
                    }
                }
            }
        }
    }
}
