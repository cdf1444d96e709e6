using GitOpsSec.Manifests;
using GitOpsSec.Rules.PodSecurity;

namespace GitOpsSec.Secrets;

/// <summary>One secret a workload consumes, and where its value comes from.</summary>
public sealed record SecretReference
{
    /// <summary>Kind/namespace/name of the workload.</summary>
    public required string Workload { get; init; }
    public string? Namespace { get; init; }

    /// <summary>The container (null for pod-level uses: imagePullSecrets, annotations).</summary>
    public string? Container { get; init; }

    /// <summary>The Secret's name (or the Vault path / SecretProviderClass / env variable for those sources).</summary>
    public required string Secret { get; init; }
    public string? Key { get; init; }

    /// <summary>How it is consumed: env, envFrom, volume, projected, imagePullSecret, vault-agent, csi, literal.</summary>
    public required string Via { get; init; }

    /// <summary>SealedSecret, ExternalSecret, Secret (plain, in Git), VaultAgent, SecretsStoreCsi, Literal, or NotInRepository.</summary>
    public required string Source { get; init; }

    public string? Path { get; init; }
    public int Line { get; init; }

    public override string ToString() => $"{Workload} {Via} {Secret} <- {Source}";
}

/// <summary>The secret inventory an auditor asks for: every secret every workload consumes and where it comes from.</summary>
public static class SecretInventory
{
    private static readonly string[] CredentialWords = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL" };

    public static List<SecretReference> Build(IReadOnlyList<ManifestObject> objects)
    {
        var sealedNames = Names(objects, o => o.Kind == "SealedSecret" && o.ApiVersion.StartsWith("bitnami.com/", StringComparison.Ordinal),
            o => o.Node.Map("spec")?.Map("template")?.Map("metadata")?.Text("name") ?? o.Name);
        var externalNames = Names(objects, o => o.Kind == "ExternalSecret" && o.ApiVersion.StartsWith("external-secrets.io/", StringComparison.Ordinal),
            o => o.Node.Map("spec")?.Map("target")?.Text("name") ?? o.Name);
        var plainNames = Names(objects, o => o.Kind == "Secret" && o.ApiVersion == "v1", o => o.Name);
        var result = new List<SecretReference>();
        foreach (ManifestObject obj in objects)
        {
            if (PodSpec.Of(obj) is not PodSpec pod)
            {
                continue;
            }
            string ns = obj.Namespace ?? "default";
            string workload = $"{obj.Kind}/{ns}/{obj.Name}";
            string Source(string secret) =>
                sealedNames.Contains((ns, secret)) ? "SealedSecret"
                : externalNames.Contains((ns, secret)) ? "ExternalSecret"
                : plainNames.Contains((ns, secret)) ? "Secret"
                : "NotInRepository";
            SecretReference Ref(string? container, string secret, string? key, string via, string source, FieldPath path)
            {
                SourceLocation where = obj.Locate(path);
                return new SecretReference
                {
                    Workload = workload, Namespace = ns, Container = container, Secret = secret, Key = key, Via = via, Source = source,
                    Path = where.Path, Line = where.Line,
                };
            }
            foreach (ContainerRef c in pod.Containers)
            {
                if (c.Node.Seq("env") is YSequence env)
                {
                    for (int i = 0; i < env.Items.Count; i++)
                    {
                        if (env.Items[i] is not YMapping e)
                        {
                            continue;
                        }
                        FieldPath path = c.Path.Key("env").Item(i, e);
                        if (e.Map("valueFrom")?.Map("secretKeyRef") is YMapping sk && sk.Text("name") is string name)
                        {
                            result.Add(Ref(c.Name, name, sk.Text("key"), "env", Source(name), path));
                        }
                        else if (e.Text("name") is string var && e.Text("value") is string value && value.Length > 0 &&
                                 CredentialWords.Any(w => var.ToUpperInvariant().Contains(w, StringComparison.Ordinal)) && !SecretText.IsPlaceholder(value))
                        {
                            result.Add(Ref(c.Name, var, null, "literal", "Literal", path));
                        }
                    }
                }
                if (c.Node.Seq("envFrom") is YSequence envFrom)
                {
                    for (int i = 0; i < envFrom.Items.Count; i++)
                    {
                        if (envFrom.Items[i] is YMapping ef && ef.Map("secretRef")?.Text("name") is string name)
                        {
                            result.Add(Ref(c.Name, name, null, "envFrom", Source(name), c.Path.Key("envFrom").Item(i, ef)));
                        }
                    }
                }
            }
            if (pod.Spec.Seq("volumes") is YSequence volumes)
            {
                for (int i = 0; i < volumes.Items.Count; i++)
                {
                    if (volumes.Items[i] is not YMapping v)
                    {
                        continue;
                    }
                    FieldPath path = pod.SpecPath.Key("volumes").Item(i, v);
                    if (v.Map("secret")?.Text("secretName") is string secretName)
                    {
                        result.Add(Ref(null, secretName, null, "volume", Source(secretName), path));
                    }
                    foreach (YMapping source in v.Map("projected")?.Seq("sources")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
                    {
                        if (source.Map("secret")?.Text("name") is string projected)
                        {
                            result.Add(Ref(null, projected, null, "projected", Source(projected), path));
                        }
                    }
                    if (v.Map("csi") is YMapping csi && csi.Text("driver") == "secrets-store.csi.k8s.io")
                    {
                        string spc = csi.Map("volumeAttributes")?.Text("secretProviderClass") ?? "(unnamed)";
                        result.Add(Ref(null, spc, null, "csi", "SecretsStoreCsi", path));
                    }
                }
            }
            if (pod.Spec.Seq("imagePullSecrets") is YSequence pulls)
            {
                for (int i = 0; i < pulls.Items.Count; i++)
                {
                    if (pulls.Items[i] is YMapping p && p.Text("name") is string name)
                    {
                        result.Add(Ref(null, name, null, "imagePullSecret", Source(name), pod.SpecPath.Key("imagePullSecrets").Item(i, p)));
                    }
                }
            }
            foreach (var (key, value) in pod.Annotations)
            {
                const string prefix = "vault.hashicorp.com/agent-inject-secret-";
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    result.Add(Ref(null, value, key[prefix.Length..], "vault-agent", "VaultAgent", pod.AnnotationsPath));
                }
            }
        }
        return result;
    }

    private static HashSet<(string, string)> Names(IEnumerable<ManifestObject> objects, Func<ManifestObject, bool> filter, Func<ManifestObject, string?> name) =>
        objects.Where(filter).Select(o => (o.Namespace ?? "default", name(o) ?? string.Empty)).ToHashSet();
}
