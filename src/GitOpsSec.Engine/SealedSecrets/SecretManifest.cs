using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.SealedSecrets;

/// <summary>A plain Kubernetes Secret as read from a manifest: metadata and decoded values.</summary>
public sealed class SecretManifest
{
    /// <summary>Annotations that describe how a file was applied, not the Secret: never copied into a seal.</summary>
    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";

    public string Name { get; init; } = string.Empty;
    public string? Namespace { get; set; }
    public string Type { get; init; } = "Opaque";
    public bool? Immutable { get; init; }
    public SortedDictionary<string, string> Labels { get; init; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, string> Annotations { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Decoded values: data (base64-decoded) overlaid by stringData, as the API server does.</summary>
    public SortedDictionary<string, byte[]> Data { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Reads a v1 Secret; NotASecret or InvalidSecretData (naming the key, never the value) otherwise.</summary>
    public static SecretManifest FromNode(YMapping node, string target)
    {
        if (node.Text("kind") != "Secret" || node.Text("apiVersion") != "v1")
        {
            throw new GitOpsSecOperationException(ErrorIds.NotASecret, ScanErrorCategory.InvalidData,
                $"{target} is a {node.Text("kind") ?? "document without a kind"}, not a v1 Secret.", target);
        }
        YMapping? metadata = node.Map("metadata");
        string name = metadata?.Text("name") ?? throw new GitOpsSecOperationException(ErrorIds.NotASecret,
            ScanErrorCategory.InvalidData, $"The Secret in {target} has no metadata.name.", target);
        var secret = new SecretManifest
        {
            Name = name,
            Namespace = metadata.Text("namespace"),
            Type = node.Text("type") ?? "Opaque",
            Immutable = node.Scalar("immutable")?.AsBoolean(),
            Labels = metadata.Map("labels").StringValues(),
            Annotations = metadata.Map("annotations").StringValues(),
        };
        secret.Annotations.Remove(LastApplied);
        foreach (var entry in node.Map("data")?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
        {
            string encoded = (entry.Value as YScalar)?.Value ?? string.Empty;
            try
            {
                secret.Data[entry.Key.Value] = Convert.FromBase64String(encoded.Replace("\n", string.Empty, StringComparison.Ordinal));
            }
            catch (FormatException e)
            {
                throw new GitOpsSecOperationException(ErrorIds.InvalidSecretData, ScanErrorCategory.InvalidData,
                    $"data.{entry.Key.Value} of Secret {secret.Namespace}/{name} in {target} is not valid base64.", target, e);
            }
        }
        foreach (var entry in node.Map("stringData")?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
        {
            secret.Data[entry.Key.Value] = Encoding.UTF8.GetBytes((entry.Value as YScalar)?.Value ?? string.Empty);
        }
        return secret;
    }
}
