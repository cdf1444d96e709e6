using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.ExternalSecrets;

internal static class Eso
{
    public static bool Is(ManifestObject o, string kind) =>
        o.Kind == kind && o.ApiVersion.StartsWith("external-secrets.io/", StringComparison.Ordinal);

    public static bool IsStore(ManifestObject o) => Is(o, "SecretStore") || Is(o, "ClusterSecretStore");

    /// <summary>Every secretRef under spec.provider (auth credentials of any provider), with its path.</summary>
    public static IEnumerable<(string Name, string? Namespace, FieldPath Path)> CredentialRefs(ManifestObject store)
    {
        var stack = new Stack<(YNode Node, FieldPath Path)>();
        if (store.Node.Map("spec")?.Map("provider") is YMapping provider)
        {
            stack.Push((provider, FieldPath.Root.Keys("spec", "provider")));
        }
        while (stack.Count > 0)
        {
            var (node, path) = stack.Pop();
            if (node is YMapping map)
            {
                foreach (var (key, value) in map.Entries)
                {
                    FieldPath child = path.Key(key.Value);
                    if (value is YMapping m && m.Text("name") is string name && (key.Value.EndsWith("SecretRef", StringComparison.Ordinal) || key.Value == "secretRef" || m.Text("key") is not null))
                    {
                        yield return (name, m.Text("namespace"), child);
                    }
                    stack.Push((value, child));
                }
            }
            else if (node is YSequence seq)
            {
                for (int i = 0; i < seq.Items.Count; i++)
                {
                    stack.Push((seq.Items[i], path.Item(i, seq.Items[i])));
                }
            }
        }
    }
}

/// <summary>GOS2201: a ClusterSecretStore without conditions: every namespace can read every secret it reaches.</summary>
internal sealed class ClusterStoreUnrestrictedRule : IManifestRule
{
    public string Id => "GOS2201";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (Eso.Is(obj, "ClusterSecretStore") && obj.Node.Map("spec") is YMapping spec && spec.Seq("conditions") is not { Items.Count: > 0 })
        {
            yield return new Violation(FieldPath.Root.Key("spec"), $"ClusterSecretStore '{obj.Name}'", "no spec.conditions");
        }
    }
}

/// <summary>GOS2202: a secret store authenticates with a static credential kept in a plaintext Secret committed to the repository.</summary>
internal sealed class StoreCredentialInRepoRule : IRepositoryRule
{
    public string Id => "GOS2202";

    public IEnumerable<(ManifestObject Object, Violation Violation)> Evaluate(RepositoryContext repository)
    {
        // Secrets an ExternalSecret produces are written by the operator, not committed (whatever stub the repository holds).
        var produced = repository.Objects.Where(o => Eso.Is(o, "ExternalSecret"))
            .Select(o => (o.Namespace ?? "default", o.Node.Map("spec")?.Map("target")?.Text("name") ?? o.Name ?? string.Empty)).ToHashSet();
        var plainSecrets = repository.Objects
            .Where(o => o.Kind == "Secret" && o.ApiVersion == "v1" && GitOpsSec.Rules.Secrets.PlaintextSecretRule.PlaintextKeys(o).Any())
            .Select(o => (o.Namespace ?? "default", o.Name ?? string.Empty)).Where(s => !produced.Contains(s)).ToHashSet();
        foreach (ManifestObject store in repository.Objects.Where(Eso.IsStore))
        {
            foreach (var (name, ns, path) in Eso.CredentialRefs(store))
            {
                string secretNs = ns ?? store.Namespace ?? "default";
                if (plainSecrets.Contains((secretNs, name)))
                {
                    yield return (store, new Violation(path, $"{store.Kind} '{store.Name}'", $"Secret {secretNs}/{name}"));
                }
            }
        }
    }
}

/// <summary>GOS2203: an ExternalSecret whose secretStoreRef names a store the repository does not define.</summary>
internal sealed class ExternalSecretStoreMissingRule : IRepositoryRule
{
    public string Id => "GOS2203";

    public IEnumerable<(ManifestObject Object, Violation Violation)> Evaluate(RepositoryContext repository)
    {
        var stores = repository.Objects.Where(Eso.IsStore)
            .Select(s => (s.Kind, s.Kind == "ClusterSecretStore" ? null : s.Namespace ?? "default", s.Name ?? string.Empty)).ToHashSet();
        foreach (ManifestObject es in repository.Objects.Where(o => Eso.Is(o, "ExternalSecret") || Eso.Is(o, "PushSecret")))
        {
            YMapping? spec = es.Node.Map("spec");
            YMapping? reference = spec?.Map("secretStoreRef") ?? (spec?.Seq("secretStoreRefs")?.Items.FirstOrDefault() as YMapping);
            if (reference?.Text("name") is not string name)
            {
                continue;
            }
            string kind = reference.Text("kind") ?? "SecretStore";
            string? ns = kind == "ClusterSecretStore" ? null : es.Namespace ?? "default";
            if (!stores.Contains((kind, ns, name)))
            {
                yield return (es, new Violation(FieldPath.Root.Keys("spec", spec!.Map("secretStoreRef") is null ? "secretStoreRefs" : "secretStoreRef"),
                    $"{es.Kind} '{es.Name}'", $"{kind} '{name}'{(ns is null ? string.Empty : $" in namespace {ns}")}"));
            }
        }
    }
}

/// <summary>GOS2204: an ExternalSecret with refreshInterval 0: a rotated secret never reaches the cluster.</summary>
internal sealed class ExternalSecretRefreshRule : IManifestRule
{
    public string Id => "GOS2204";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (Eso.Is(obj, "ExternalSecret") && obj.Node.Map("spec")?.Text("refreshInterval") is "0" or "0s" or "0m" or "0h")
        {
            yield return new Violation(FieldPath.Root.Keys("spec", "refreshInterval"), $"ExternalSecret '{obj.Name}'", obj.Node.Map("spec")!.Text("refreshInterval")!);
        }
    }
}
