using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.SealedSecrets;

/// <summary>File-level operations: seal the Secrets of a file, re-encrypt or merge into its SealedSecrets, in place.</summary>
public static class SealedSecretFiles
{
    /// <summary>The scope to seal a Secret with: the one asked for, else the Secret's own scope annotations, else Strict.</summary>
    public static SealingScope ScopeFor(SecretManifest secret, SealingScope? requested) =>
        requested ?? SealingScopes.FromAnnotations(secret.Annotations);

    /// <summary>
    /// Seals every v1 Secret document of a file's text; other documents and comments are kept.
    /// Returns the new text (null when the file has no Secret) and the SealedSecrets made. All or nothing: when
    /// one Secret cannot be sealed the text is null and nothing is made, so a rewrite never leaves a plaintext
    /// Secret next to sealed ones (GitOpsSec.SealedSecret.FileNotRewritten names the file).
    /// </summary>
    public static (string? Text, List<SealedSecret> Sealed) SealSecrets(string text, string target, SealedSecretCertificate certificate,
        SealingScope? scope, string? @namespace, Action<ScanError> error, ISet<int>? onlyDocuments = null)
    {
        var made = new List<SealedSecret>();
        bool failed = false;
        string? rewritten = DocumentRewriter.Rewrite(text, target, doc =>
        {
            if (doc.Root is not YMapping map || map.Text("kind") != "Secret" || map.Text("apiVersion") != "v1" ||
                (onlyDocuments is { Count: > 0 } && !onlyDocuments.Contains(doc.Index)))
            {
                return null;
            }
            try
            {
                SecretManifest secret = SecretManifest.FromNode(map, $"{target}:{doc.Root.Line}");
                secret.Namespace ??= @namespace;
                SealedSecret sealedSecret = SealedSecretSealer.Seal(secret, certificate, ScopeFor(secret, scope));
                made.Add(sealedSecret);
                return sealedSecret.ToYaml();
            }
            catch (GitOpsSecOperationException e)
            {
                failed = true;
                error(e.ToScanError() with { Target = target, Line = doc.Root.Line });
                return null;
            }
        }, error);
        return failed ? NotRewritten(target, error, made) : (rewritten, made);
    }

    /// <summary>Re-encrypts every SealedSecret document of a file's text to a new certificate; all or nothing, like <see cref="SealSecrets"/>.</summary>
    public static (string? Text, List<SealedSecret> Updated) Reencrypt(string text, string target, SealedSecretKeyRing keys,
        SealedSecretCertificate newCertificate, Action<ScanError> error)
    {
        var updated = new List<SealedSecret>();
        bool failed = false;
        string? rewritten = DocumentRewriter.Rewrite(text, target, doc =>
        {
            if (doc.Root is not YMapping map || map.Text("kind") != SealedSecret.Kind)
            {
                return null;
            }
            try
            {
                SealedSecret sealedSecret = SealedSecretSealer.Reencrypt(SealedSecret.FromNode(map, target), keys, newCertificate);
                updated.Add(sealedSecret);
                return sealedSecret.ToYaml();
            }
            catch (GitOpsSecOperationException e)
            {
                failed = true;
                error(e.ToScanError() with { Target = target, Line = doc.Root.Line });
                return null;
            }
        }, error);
        return failed ? NotRewritten(target, error, updated) : (rewritten, updated);
    }

    private static (string? Text, List<SealedSecret> Made) NotRewritten(string target, Action<ScanError> error, List<SealedSecret> done)
    {
        error(new ScanError("GitOpsSec.SealedSecret.FileNotRewritten", ScanErrorCategory.InvalidData,
            $"'{target}' was left as it was: {done.Count} document(s) could be processed, but not all of them, and a partial rewrite would mix sealed and unsealed documents. Fix the errors above and run again.",
            target));
        return (null, new List<SealedSecret>());
    }

    /// <summary>Adds or replaces keys in the file's one SealedSecret (kubeseal --merge-into).</summary>
    public static (string Text, SealedSecret Merged) Merge(string text, string target, IEnumerable<KeyValuePair<string, byte[]>> values,
        SealedSecretCertificate certificate)
    {
        SealedSecret? merged = null;
        var errors = new List<ScanError>();
        string? rewritten = DocumentRewriter.Rewrite(text, target, doc =>
        {
            if (merged is not null || doc.Root is not YMapping map || map.Text("kind") != SealedSecret.Kind)
            {
                return null;
            }
            merged = SealedSecret.FromNode(map, target);
            SealedSecretSealer.Merge(merged, values, certificate);
            return merged.ToYaml();
        }, errors.Add);
        if (merged is null || rewritten is null)
        {
            throw errors.Count > 0
                ? new GitOpsSecOperationException(errors[0].ErrorId, errors[0].Category, errors[0].Message, target)
                : new GitOpsSecOperationException(ErrorIds.NotASealedSecret, ScanErrorCategory.InvalidData,
                    $"'{target}' holds no SealedSecret to merge into.", target);
        }
        return (rewritten, merged);
    }
}
