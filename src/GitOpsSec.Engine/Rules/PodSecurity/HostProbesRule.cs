using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// GOS1012 (v1.34+): liveness, readiness and startup probes and postStart/preStop handlers must not set host
/// (httpGet.host, tcpSocket.host): the kubelet would connect to another machine on the pod's behalf.
/// </summary>
internal sealed class HostProbesRule : PodSecurityRule
{
    public override string Id => "GOS1012";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        foreach (ContainerRef c in pod.Containers)
        {
            var handlers = new List<(YMapping? Node, FieldPath Path)>();
            foreach (string probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
            {
                handlers.Add((c.Node.Map(probe), c.Path.Key(probe)));
            }
            foreach (string hook in new[] { "postStart", "preStop" })
            {
                handlers.Add((c.Node.Map("lifecycle")?.Map(hook), c.Path.Keys("lifecycle", hook)));
            }
            foreach (var (node, path) in handlers)
            {
                foreach (string action in new[] { "httpGet", "tcpSocket" })
                {
                    YNode? host = node?.Map(action)?["host"];
                    if (!Field.IsUnset(host) && Field.Show(host).Length > 0)
                    {
                        yield return new Violation(path.Keys(action, "host"), c.Describe(), Field.Show(host));
                    }
                }
            }
        }
    }
}
