using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1005: no volume may be a hostPath.</summary>
internal sealed class HostPathVolumeRule : PodSecurityRule
{
    public override string Id => "GOS1005";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        if (pod.Spec.Seq("volumes") is not YSequence volumes)
        {
            yield break;
        }
        for (int i = 0; i < volumes.Items.Count; i++)
        {
            if (volumes.Items[i] is YMapping v && v.ContainsKey("hostPath"))
            {
                string path = v.Map("hostPath")?.Text("path") ?? "?";
                yield return new Violation(pod.SpecPath.Key("volumes").Item(i, v).Key("hostPath"),
                    PodTarget, v.Text("name") ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"hostPath: {path}");
            }
        }
    }
}
