using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.GitOps;

internal static class ArgoCd
{
    public static bool IsApplication(ManifestObject o) => o.Kind == "Application" && o.ApiVersion.StartsWith("argoproj.io/", StringComparison.Ordinal);

    public static bool IsProject(ManifestObject o) => o.Kind == "AppProject" && o.ApiVersion.StartsWith("argoproj.io/", StringComparison.Ordinal);

    /// <summary>The sources of an Application: spec.source and every spec.sources item, with their paths.</summary>
    public static IEnumerable<(YMapping Source, FieldPath Path)> Sources(ManifestObject app)
    {
        YMapping? spec = app.Node.Map("spec");
        FieldPath specPath = FieldPath.Root.Key("spec");
        if (spec?.Map("source") is YMapping single)
        {
            yield return (single, specPath.Key("source"));
        }
        if (spec?.Seq("sources") is YSequence many)
        {
            for (int i = 0; i < many.Items.Count; i++)
            {
                if (many.Items[i] is YMapping s)
                {
                    yield return (s, specPath.Key("sources").Item(i, s));
                }
            }
        }
    }
}

/// <summary>GOS7001: an Argo CD Application in the built-in "default" project, which allows any repo, cluster and namespace.</summary>
internal sealed class ArgoDefaultProjectRule : IManifestRule
{
    public string Id => "GOS7001";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (!ArgoCd.IsApplication(obj))
        {
            yield break;
        }
        string? project = obj.Node.Map("spec")?.Text("project");
        if (project is null or "" or "default")
        {
            yield return new Violation(FieldPath.Root.Keys("spec", "project"), $"Application '{obj.Name}'", project ?? "(unset: default)");
        }
    }
}

/// <summary>GOS7002: an AppProject that allows any source repository or any destination.</summary>
internal sealed class ArgoProjectWildcardRule : IManifestRule
{
    public string Id => "GOS7002";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (!ArgoCd.IsProject(obj) || obj.Node.Map("spec") is not YMapping spec)
        {
            yield break;
        }
        var target = $"AppProject '{obj.Name}'";
        if (spec.Seq("sourceRepos") is YSequence repos)
        {
            for (int i = 0; i < repos.Items.Count; i++)
            {
                if (repos.Items[i] is YScalar { Value: "*" } s)
                {
                    yield return new Violation(FieldPath.Root.Keys("spec", "sourceRepos").Item(i, s), target, "sourceRepos: '*'");
                }
            }
        }
        if (spec.Seq("destinations") is YSequence destinations)
        {
            for (int i = 0; i < destinations.Items.Count; i++)
            {
                if (destinations.Items[i] is YMapping d &&
                    (d.Text("server") == "*" || d.Text("name") == "*" || d.Text("namespace") == "*"))
                {
                    yield return new Violation(FieldPath.Root.Keys("spec", "destinations").Item(i, d), target,
                        $"destination server '{d.Text("server") ?? d.Text("name")}', namespace '{d.Text("namespace")}'");
                }
            }
        }
    }
}

/// <summary>GOS7003: an AppProject whose clusterResourceWhitelist allows every cluster-scoped kind (ClusterRoles, CRDs, webhooks...).</summary>
internal sealed class ArgoClusterResourceWildcardRule : IManifestRule
{
    public string Id => "GOS7003";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (!ArgoCd.IsProject(obj) || obj.Node.Map("spec")?.Seq("clusterResourceWhitelist") is not YSequence list)
        {
            yield break;
        }
        for (int i = 0; i < list.Items.Count; i++)
        {
            if (list.Items[i] is YMapping r && r.Text("group") == "*" && r.Text("kind") == "*")
            {
                yield return new Violation(FieldPath.Root.Keys("spec", "clusterResourceWhitelist").Item(i, r), $"AppProject '{obj.Name}'", "group '*', kind '*'");
            }
        }
    }
}

/// <summary>GOS7004: automated sync that prunes but does not self-heal: manual changes in the cluster survive until the next commit.</summary>
internal sealed class ArgoPruneWithoutSelfHealRule : IManifestRule
{
    public string Id => "GOS7004";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (!ArgoCd.IsApplication(obj) || obj.Node.Map("spec")?.Map("syncPolicy")?.Map("automated") is not YMapping automated)
        {
            yield break;
        }
        if (automated.Scalar("selfHeal")?.AsBoolean() != true)
        {
            yield return new Violation(FieldPath.Root.Keys("spec", "syncPolicy", "automated"), $"Application '{obj.Name}'",
                $"prune: {automated.Scalar("prune")?.AsBoolean() ?? false}, selfHeal: {automated.Scalar("selfHeal")?.AsBoolean() ?? false}");
        }
    }
}

/// <summary>GOS7005: an Application that follows a moving revision (HEAD, a branch, unset) instead of a tag or commit.</summary>
internal sealed class ArgoTargetRevisionRule : IManifestRule
{
    private static readonly HashSet<string> Moving = new(StringComparer.OrdinalIgnoreCase) { "", "HEAD", "main", "master", "latest", "*" };

    public string Id => "GOS7005";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (!ArgoCd.IsApplication(obj))
        {
            yield break;
        }
        foreach (var (source, path) in ArgoCd.Sources(obj))
        {
            string revision = source.Text("targetRevision") ?? string.Empty;
            if (Moving.Contains(revision))
            {
                yield return new Violation(path.Key("targetRevision"), $"Application '{obj.Name}'", revision.Length == 0 ? "(unset: HEAD)" : revision);
            }
        }
    }
}

/// <summary>GOS7006: signed commits are required (.gitopssec.yaml trustedKeys) but an AppProject does not make Argo CD verify them (no signatureKeys).</summary>
internal sealed class ArgoSignatureKeysRule : IManifestRule, IConfigurableRule
{
    private readonly bool _required;

    public ArgoSignatureKeysRule() : this(false)
    {
    }

    private ArgoSignatureKeysRule(bool required) => _required = required;

    public string Id => "GOS7006";

    public IRule Configure(RuleSelection selection) => new ArgoSignatureKeysRule(selection.RequireSignedCommits);

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (_required && ArgoCd.IsProject(obj) && obj.Node.Map("spec") is YMapping spec && spec.Seq("signatureKeys") is not { Items.Count: > 0 })
        {
            yield return new Violation(FieldPath.Root.Key("spec"), $"AppProject '{obj.Name}'", "no signatureKeys");
        }
    }
}
