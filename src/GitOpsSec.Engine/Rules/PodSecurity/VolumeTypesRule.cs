using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>GOS1101 (Restricted): volumes only of the core, non-host types the standard lists.</summary>
internal sealed class VolumeTypesRule : PodSecurityRule
{
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "name", "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
    };

    public override string Id => "GOS1101";

    protected override IEnumerable<Violation> Check(PodSpec pod)
    {
        if (pod.Spec.Seq("volumes") is not YSequence volumes)
        {
            yield break;
        }
        for (int i = 0; i < volumes.Items.Count; i++)
        {
            if (volumes.Items[i] is not YMapping v)
            {
                continue;
            }
            foreach (var entry in v.Entries)
            {
                if (!Allowed.Contains(entry.Key.Value))
                {
                    string name = v.Text("name") ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    yield return new Violation(pod.SpecPath.Key("volumes").Item(i, v).Key(entry.Key.Value), PodTarget, name);
                }
            }
        }
    }
}
