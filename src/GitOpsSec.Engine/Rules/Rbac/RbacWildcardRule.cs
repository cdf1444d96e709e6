using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.Rbac;

/// <summary>GOS3002: a Role or ClusterRole rule with "*" verbs or "*" resources.</summary>
internal sealed class RbacWildcardRule : IManifestRule
{
    public string Id => "GOS3002";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (obj.Kind is not ("Role" or "ClusterRole") || !obj.ApiVersion.StartsWith("rbac.authorization.k8s.io/", StringComparison.Ordinal) ||
            obj.Node.Seq("rules") is not YSequence rules)
        {
            yield break;
        }
        for (int i = 0; i < rules.Items.Count; i++)
        {
            if (rules.Items[i] is not YMapping rule)
            {
                continue;
            }
            var wild = new[] { "verbs", "resources", "apiGroups" }
                .Where(k => rule.Seq(k)?.Items.OfType<YScalar>().Any(s => s.Value == "*") == true).ToList();
            if (wild.Contains("verbs") || wild.Contains("resources"))
            {
                FieldPath path = FieldPath.Root.Key("rules").Item(i, rule).Key(wild.Contains("verbs") ? "verbs" : "resources");
                yield return new Violation(path, $"{obj.Kind} {obj.Name}", string.Join(", ", wild.Select(w => $"{w}: [\"*\"]")));
            }
        }
    }
}
