using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1006: containers[*].ports[*].hostPort must be unset or 0.</summary>
internal sealed class HostPortsRule : PodSecurityRule
{
    public override string Id => "GOS1006";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (ContainerRef c in pod.Containers)
        {
            if (c.Node.Seq("ports") is not YSequence ports)
            {
                continue;
            }
            for (int i = 0; i < ports.Items.Count; i++)
            {
                YNode? hostPort = (ports.Items[i] as YMapping)?["hostPort"];
                if (!Field.IsUnset(hostPort) && (hostPort as YScalar)?.AsInteger() != 0)
                {
                    yield return new Violation(c.Path.Key("ports").Item(i, ports.Items[i]).Key("hostPort"), c.Describe(), Field.Show(hostPort));
                }
            }
        }
    }
}
