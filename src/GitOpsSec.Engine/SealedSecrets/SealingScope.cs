namespace GitOpsSec.SealedSecrets;

/// <summary>Where a SealedSecret may be unsealed: the scopes of the sealed-secrets controller.</summary>
public enum SealingScope
{
    /// <summary>Only as a Secret of this name in this namespace (the default).</summary>
    Strict = 0,

    /// <summary>Under any name in this namespace.</summary>
    NamespaceWide = 1,

    /// <summary>Under any name in any namespace.</summary>
    ClusterWide = 2,
}

/// <summary>The scope's wire details: the RSA-OAEP label and the annotations the controller reads.</summary>
public static class SealingScopes
{
    public const string NamespaceWideAnnotation = "sealedsecrets.bitnami.com/namespace-wide";
    public const string ClusterWideAnnotation = "sealedsecrets.bitnami.com/cluster-wide";

    /// <summary>
    /// The OAEP label that binds a value to its scope: "namespace/name" (strict), "namespace"
    /// (namespace-wide) or empty (cluster-wide). A value sealed for one name fails to decrypt under another.
    /// </summary>
    public static byte[] Label(SealingScope scope, string? @namespace, string? name) => scope switch
    {
        SealingScope.ClusterWide => Array.Empty<byte>(),
        SealingScope.NamespaceWide => System.Text.Encoding.UTF8.GetBytes(@namespace ?? string.Empty),
        _ => System.Text.Encoding.UTF8.GetBytes($"{@namespace}/{name}"),
    };

    /// <summary>The scope a SealedSecret's annotations declare (cluster-wide wins, as in the controller).</summary>
    public static SealingScope FromAnnotations(IReadOnlyDictionary<string, string> annotations)
    {
        if (annotations.TryGetValue(ClusterWideAnnotation, out string? cw) && cw == "true")
        {
            return SealingScope.ClusterWide;
        }
        if (annotations.TryGetValue(NamespaceWideAnnotation, out string? nw) && nw == "true")
        {
            return SealingScope.NamespaceWide;
        }
        return SealingScope.Strict;
    }
}
