using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.Secrets;

/// <summary>GOS2001: a v1 Secret with data or stringData committed to the repository (base64 is not encryption).</summary>
internal sealed class PlaintextSecretRule : IManifestRule
{
    public string Id => "GOS2001";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (obj.Kind != "Secret" || obj.ApiVersion != "v1")
        {
            yield break;
        }
        var keys = new List<string>();
        string? field = null;
        foreach (string section in new[] { "data", "stringData" })
        {
            if (obj.Node.Map(section) is YMapping values && values.Entries.Count > 0)
            {
                field ??= section;
                keys.AddRange(values.Entries.Select(e => e.Key.Value));
            }
        }
        if (field is null)
        {
            yield break;
        }
        // Only the key names: the values are the secret.
        string described = $"{keys.Count} value{(keys.Count == 1 ? string.Empty : "s")} ({string.Join(", ", keys.Distinct())})";
        yield return new Violation(FieldPath.Root.Key(field), obj.Name ?? "(unnamed)", described, $"keys: {string.Join(", ", keys.Distinct())}");
    }
}
