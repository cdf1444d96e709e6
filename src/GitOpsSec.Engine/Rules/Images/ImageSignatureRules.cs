using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.Images;

/// <summary>The image uses of a repository with the one finding each signature rule reports, if any.</summary>
internal static class SignatureFindings
{
    public static IEnumerable<(ManifestObject, Violation)> Where(RepositoryContext repository, Func<ImageSignatureUse, string?> why) =>
        repository.Signatures.Uses
            .Select(use => (use, why: why(use)))
            .Where(u => u.why is not null)
            .Select(u => (u.use.Object, new Violation(u.use.Field, $"{u.use.Container} of {u.use.Workload}", $"image '{u.use.Image}' {u.why}")));
}

/// <summary>GOS6005: no enforcing policy verifies the image's signature in the namespace it is deployed to.</summary>
internal sealed class ImageSignatureNotVerifiedRule : IRepositoryRule
{
    public string Id => "GOS6005";
    public RepositoryModels Reads => RepositoryModels.Signatures;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        SignatureFindings.Where(repository, use => use.Enforced || use.AuditOnly ? null : $"is admitted unsigned in namespace {use.Namespace}: {use.Why()}");
}

/// <summary>GOS6006: only Audit (Kyverno) or warn (policy-controller) policies verify the image: an unsigned image is still admitted.</summary>
internal sealed class ImageSignatureAuditOnlyRule : IRepositoryRule
{
    public string Id => "GOS6006";
    public RepositoryModels Reads => RepositoryModels.Signatures;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        SignatureFindings.Where(repository, use => use.AuditOnly
            ? $"is verified in namespace {use.Namespace} only by {string.Join(", ", use.Checks.Where(c => c.Outcome == SignatureCheckOutcome.Covers).Select(c => c.Policy))}, which admit it when verification fails" +
              (use.Trust == SignatureTrust.Unconstrained ? $"; enforced as written, it would still accept any signer: {use.Attestor}" : string.Empty)
            : null);
}

/// <summary>GOS6007: the enforcing policy accepts a signature anyone can make (keyless without a fixed issuer and builder subject, a placeholder key, a static pass).</summary>
internal sealed class ImageSignatureIdentityUnconstrainedRule : IRepositoryRule
{
    public string Id => "GOS6007";
    public RepositoryModels Reads => RepositoryModels.Signatures;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        SignatureFindings.Where(repository, use => use.Enforced && use.Trust == SignatureTrust.Unconstrained
            ? $"is verified by {use.Policy} with {use.Attestor}"
            : null);
}

/// <summary>GOS6008: a tag-only image whose enforcing policy neither verifies nor mutates to a digest: the tag can move after verification.</summary>
internal sealed class ImageSignatureDigestNotEnforcedRule : IRepositoryRule
{
    public string Id => "GOS6008";
    public RepositoryModels Reads => RepositoryModels.Signatures;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        SignatureFindings.Where(repository, use => use.Enforced && use.Trust is SignatureTrust.Unconstrained or SignatureTrust.Constrained && !use.DigestEnforced
            ? $"is verified by {use.Policy}, which sets mutateDigest and verifyDigest to false, so the tag it verified can be moved"
            : null);
}
