using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.GitOps;

internal static class Flux
{
    public static bool Is(ManifestObject o, string kind, string group) =>
        o.Kind == kind && o.ApiVersion.StartsWith(group + "/", StringComparison.Ordinal);

    public static bool IsSource(ManifestObject o) =>
        Is(o, "GitRepository", "source.toolkit.fluxcd.io") || Is(o, "OCIRepository", "source.toolkit.fluxcd.io") ||
        Is(o, "HelmChart", "source.toolkit.fluxcd.io") || Is(o, "Bucket", "source.toolkit.fluxcd.io") || Is(o, "HelmRepository", "source.toolkit.fluxcd.io");
}

/// <summary>GOS7101: a Flux GitRepository or OCIRepository whose content is not verified (no spec.verify).</summary>
internal sealed class FluxSourceNotVerifiedRule : IManifestRule
{
    public string Id => "GOS7101";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        bool git = Flux.Is(obj, "GitRepository", "source.toolkit.fluxcd.io");
        bool oci = Flux.Is(obj, "OCIRepository", "source.toolkit.fluxcd.io");
        if ((git || oci) && obj.Node.Map("spec") is YMapping spec && spec.Map("verify") is null)
        {
            // The Git source is what the cluster is: an unsigned commit there is applied as is (Medium). An OCI artifact
            // (mostly a third party's Helm chart) can only be verified when its publisher signs it (Low).
            yield return new Violation(FieldPath.Root.Key("spec"), $"{obj.Kind} '{obj.Name}'", spec.Text("url") ?? "(no url)",
                Severity: oci ? GitOpsSec.Severity.Low : null);
        }
    }
}

/// <summary>GOS7102: a Flux source fetched over plain HTTP or with TLS verification off (spec.insecure).</summary>
internal sealed class FluxInsecureSourceRule : IManifestRule
{
    public string Id => "GOS7102";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (!Flux.IsSource(obj) || obj.Node.Map("spec") is not YMapping spec)
        {
            yield break;
        }
        if (spec.Scalar("insecure")?.AsBoolean() == true)
        {
            yield return new Violation(FieldPath.Root.Keys("spec", "insecure"), $"{obj.Kind} '{obj.Name}'", "insecure: true");
        }
        else if (spec.Text("url") is string url && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            yield return new Violation(FieldPath.Root.Keys("spec", "url"), $"{obj.Kind} '{obj.Name}'", url);
        }
    }
}

/// <summary>GOS7103: a Flux Kustomization or HelmRelease applied with the controller's own (cluster-admin) service account.</summary>
internal sealed class FluxNoServiceAccountRule : IManifestRule
{
    public string Id => "GOS7103";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        bool applier = Flux.Is(obj, "Kustomization", "kustomize.toolkit.fluxcd.io") || Flux.Is(obj, "HelmRelease", "helm.toolkit.fluxcd.io");
        if (applier && obj.Node.Map("spec") is YMapping spec && string.IsNullOrEmpty(spec.Text("serviceAccountName")))
        {
            yield return new Violation(FieldPath.Root.Key("spec"), $"{obj.Kind} '{obj.Name}'", "no serviceAccountName", Severity: Calibrate(obj, spec));
        }
    }

    /// <summary>
    /// Flux's multi-tenancy guidance, with the unit's sources from the application model: content from another Git
    /// repository or branch (a tenant's) applied with the controller's cluster-admin account is High; a HelmRelease, whose
    /// chart templates are a third party's, is Low; the platform's own units applying this repository are Info (the set-up
    /// flux bootstrap makes); without a model, Medium.
    /// </summary>
    private static GitOpsSec.Severity? Calibrate(ManifestObject obj, YMapping spec)
    {
        if (obj.Unit is not GitOpsSec.Applications.DeploymentUnit unit)
        {
            return null;
        }
        if (unit.Sources.Any(s => s.SourceKind == "Git" && s.Type is "External" or "OtherRevision"))
        {
            return GitOpsSec.Severity.High;
        }
        if (obj.Kind == "HelmRelease" || obj.Namespace is not "flux-system")
        {
            return GitOpsSec.Severity.Low;
        }
        return GitOpsSec.Severity.Info;
    }
}

/// <summary>GOS7104: the repository holds SOPS-encrypted manifests but a Flux Kustomization has no spec.decryption: they are applied still encrypted (or not at all).</summary>
internal sealed class FluxSopsDecryptionRule : IRepositoryRule
{
    public string Id => "GOS7104";

    public IEnumerable<(ManifestObject Object, Violation Violation)> Evaluate(RepositoryContext repository)
    {
        // A compact copy is never of an encrypted object (RepositoryNeeds keeps those whole): its tree is not thawed to look.
        var encrypted = repository.Objects.Where(o => !o.IsCompact && o.Node.Map("sops") is YMapping sops && sops["mac"] is not null).ToList();
        if (encrypted.Count == 0)
        {
            yield break;
        }
        foreach (ManifestObject k in repository.Objects.Where(o => Flux.Is(o, "Kustomization", "kustomize.toolkit.fluxcd.io")))
        {
            if (k.Node.Map("spec") is YMapping spec && spec.Map("decryption")?.Text("provider") != "sops")
            {
                yield return (k, new Violation(FieldPath.Root.Key("spec"), $"Kustomization '{k.Name}'",
                    $"no sops decryption while {encrypted.Count} SOPS-encrypted manifest(s) exist (e.g. {encrypted[0].Path})"));
            }
        }
    }
}
