using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.SealedSecrets;

/// <summary>
/// A bitnami.com/v1alpha1 SealedSecret: who it unseals for (name, namespace, scope), the sealed
/// values, and the template of the Secret the controller creates.
/// </summary>
public sealed class SealedSecret
{
    public const string ApiVersion = "bitnami.com/v1alpha1";
    public const string Kind = "SealedSecret";

    public string Name { get; set; } = string.Empty;
    public string? Namespace { get; set; }
    public SealingScope Scope { get; set; }

    /// <summary>The SealedSecret's own labels and annotations (the scope annotations live here).</summary>
    public SortedDictionary<string, string> Labels { get; init; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, string> Annotations { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Key to base64 sealed value.</summary>
    public SortedDictionary<string, string> EncryptedData { get; init; } = new(StringComparer.Ordinal);

    public string TemplateType { get; set; } = "Opaque";
    public bool? TemplateImmutable { get; set; }
    public SortedDictionary<string, string> TemplateLabels { get; init; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, string> TemplateAnnotations { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Template fields this model does not interpret (e.g. template.data for non-secret keys), kept as written.</summary>
    internal YMapping? OriginalTemplate { get; set; }

    public string[] Keys => EncryptedData.Keys.ToArray();

    public byte[] Label => SealingScopes.Label(Scope, Namespace, Name);

    public override string ToString() => $"SealedSecret {Namespace}/{Name} ({Scope}; {string.Join(", ", EncryptedData.Keys)})";

    /// <summary>Sets the scope and the annotations the controller reads for it.</summary>
    public void ApplyScope(SealingScope scope)
    {
        Scope = scope;
        foreach (var annotations in new[] { Annotations, TemplateAnnotations })
        {
            annotations.Remove(SealingScopes.NamespaceWideAnnotation);
            annotations.Remove(SealingScopes.ClusterWideAnnotation);
            if (scope == SealingScope.NamespaceWide)
            {
                annotations[SealingScopes.NamespaceWideAnnotation] = "true";
            }
            else if (scope == SealingScope.ClusterWide)
            {
                annotations[SealingScopes.ClusterWideAnnotation] = "true";
            }
        }
    }

    /// <summary>Reads a SealedSecret manifest; NotASealedSecret for anything else.</summary>
    public static SealedSecret FromNode(YMapping node, string target)
    {
        if (node.Text("kind") != Kind || node.Text("apiVersion") is not string apiVersion ||
            !apiVersion.StartsWith("bitnami.com/", StringComparison.Ordinal))
        {
            throw new GitOpsSecOperationException(ErrorIds.NotASealedSecret, ScanErrorCategory.InvalidData,
                $"{target} is a {node.Text("kind") ?? "document without a kind"}, not a bitnami.com SealedSecret.", target);
        }
        YMapping? metadata = node.Map("metadata");
        YMapping? spec = node.Map("spec");
        YMapping? template = spec?.Map("template");
        var sealedSecret = new SealedSecret
        {
            Name = metadata?.Text("name") ?? throw new GitOpsSecOperationException(ErrorIds.NotASealedSecret,
                ScanErrorCategory.InvalidData, $"The SealedSecret in {target} has no metadata.name.", target),
            Namespace = metadata.Text("namespace"),
            Labels = metadata.Map("labels").StringValues(),
            Annotations = metadata.Map("annotations").StringValues(),
            EncryptedData = (spec?.Map("encryptedData")).StringValues(),
            TemplateType = template?.Text("type") ?? "Opaque",
            TemplateImmutable = template?.Scalar("immutable")?.AsBoolean(),
            TemplateLabels = (template?.Map("metadata")?.Map("labels")).StringValues(),
            TemplateAnnotations = (template?.Map("metadata")?.Map("annotations")).StringValues(),
            OriginalTemplate = template,
        };
        sealedSecret.Scope = SealingScopes.FromAnnotations(sealedSecret.Annotations);
        return sealedSecret;
    }

    /// <summary>The manifest as kubeseal writes it (YAML, keys sorted, creationTimestamp null).</summary>
    public string ToYaml()
    {
        var metadata = new YamlMap();
        metadata.AddIf("annotations", YamlMap.From(Annotations));
        metadata.Add("creationTimestamp", null);
        metadata.AddIf("labels", YamlMap.From(Labels));
        metadata.Add("name", Name);
        metadata.AddIf("namespace", Namespace);

        var templateMetadata = new YamlMap();
        templateMetadata.AddIf("annotations", YamlMap.From(TemplateAnnotations));
        templateMetadata.Add("creationTimestamp", null);
        templateMetadata.AddIf("labels", YamlMap.From(TemplateLabels));
        templateMetadata.Add("name", Name);
        templateMetadata.AddIf("namespace", Namespace);
        var template = new YamlMap();
        if (OriginalTemplate?.Map("data") is YMapping plainData)
        {
            template.Add("data", YamlMap.From(plainData.StringValues()));
        }
        if (TemplateImmutable is bool immutable)
        {
            template.Add("immutable", immutable);
        }
        template.Add("metadata", templateMetadata);
        template.Add("type", TemplateType);

        var spec = new YamlMap { { "encryptedData", YamlMap.From(EncryptedData) }, { "template", template } };
        var document = new YamlMap
        {
            { "apiVersion", ApiVersion },
            { "kind", Kind },
            { "metadata", metadata },
            { "spec", spec },
        };
        return YamlWriter.Write(document);
    }
}
