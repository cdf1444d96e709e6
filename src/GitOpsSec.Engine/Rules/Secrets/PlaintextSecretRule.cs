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
        foreach (var (section, key) in PlaintextKeys(obj))
        {
            field ??= section;
            keys.Add(key);
        }
        if (field is null)
        {
            yield break;
        }
        // Only the key names: the values are the secret.
        string described = $"{keys.Count} value{(keys.Count == 1 ? string.Empty : "s")} ({string.Join(", ", keys.Distinct())})";
        yield return new Violation(FieldPath.Root.Key(field), obj.Name ?? "(unnamed)", described, $"keys: {string.Join(", ", keys.Distinct())}");
    }

    /// <summary>
    /// The data and stringData keys of a v1 Secret whose values are real values: not SOPS ciphertext (a document
    /// with a sops block), and not a reference resolved at deploy time (op://, ref+vault://, &lt;path:…&gt;, ${VAR}
    /// under Flux postBuild substitution, {{ templates }}) or a placeholder.
    /// </summary>
    internal static IEnumerable<(string Section, string Key)> PlaintextKeys(ManifestObject obj)
    {
        if (obj.Node.Map("sops") is not null)
        {
            yield break;
        }
        foreach (string section in new[] { "data", "stringData" })
        {
            foreach (var (key, node) in obj.Node.Map(section)?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
            {
                string? value = node is YScalar scalar && !scalar.IsNull ? scalar.Value : null;
                string? plain = value is null ? null : section == "data" ? GitOpsSec.Secrets.SecretText.Base64Text(value) ?? value : value;
                if (plain is not null && !GitOpsSec.Secrets.SecretText.IsPlaceholder(plain))
                {
                    yield return (section, key.Value);
                }
            }
        }
    }
}
