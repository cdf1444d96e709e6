using GitOpsSec.Diagnostics;

namespace GitOpsSec.SealedSecrets;

/// <summary>Sealing, merging, unsealing and re-encrypting, as kubeseal does them, without a cluster.</summary>
public static class SealedSecretSealer
{
    /// <summary>kubeseal: seals every value of a Secret; the template keeps its type, labels and annotations.</summary>
    public static SealedSecret Seal(SecretManifest secret, SealedSecretCertificate certificate, SealingScope scope)
    {
        RequireNamespace(scope, secret.Namespace, secret.Name);
        var sealedSecret = new SealedSecret
        {
            Name = secret.Name,
            Namespace = secret.Namespace,
            TemplateType = secret.Type,
            TemplateImmutable = secret.Immutable,
            TemplateLabels = new SortedDictionary<string, string>(secret.Labels, StringComparer.Ordinal),
            TemplateAnnotations = new SortedDictionary<string, string>(secret.Annotations, StringComparer.Ordinal),
        };
        sealedSecret.ApplyScope(scope);
        foreach (var (key, value) in secret.Data)
        {
            sealedSecret.EncryptedData[key] = SealValue(value, certificate, scope, secret.Namespace, secret.Name);
        }
        return sealedSecret;
    }

    /// <summary>kubeseal --raw: one value for a name, namespace and scope, base64.</summary>
    public static string SealValue(ReadOnlySpan<byte> value, SealedSecretCertificate certificate, SealingScope scope, string? @namespace, string? name)
    {
        RequireNamespace(scope, @namespace, name);
        return Convert.ToBase64String(SealedSecretCipher.Encrypt(certificate.PublicKey, value, SealingScopes.Label(scope, @namespace, name)));
    }

    /// <summary>kubeseal --merge-into: adds or replaces keys, sealed for the existing secret's name, namespace and scope.</summary>
    public static void Merge(SealedSecret target, IEnumerable<KeyValuePair<string, byte[]>> values, SealedSecretCertificate certificate)
    {
        foreach (var (key, value) in values)
        {
            target.EncryptedData[key] = SealValue(value, certificate, target.Scope, target.Namespace, target.Name);
        }
    }

    /// <summary>
    /// kubeseal --recovery-unseal: decrypts every key with the ring. Keys that do not decrypt are
    /// reported to <paramref name="failed"/> (key, error) and left out; the rest are returned.
    /// </summary>
    public static SortedDictionary<string, byte[]> Unseal(SealedSecret sealedSecret, SealedSecretKeyRing keys, Action<string, GitOpsSecOperationException> failed)
    {
        var values = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] label = sealedSecret.Label;
        foreach (var (key, encoded) in sealedSecret.EncryptedData)
        {
            byte[] ciphertext;
            try
            {
                ciphertext = Convert.FromBase64String(encoded);
            }
            catch (FormatException e)
            {
                failed(key, new GitOpsSecOperationException(ErrorIds.InvalidCiphertext, ScanErrorCategory.InvalidData,
                    $"encryptedData.{key} of SealedSecret {sealedSecret.Namespace}/{sealedSecret.Name} is not base64.", key, e));
                continue;
            }
            try
            {
                values[key] = keys.Decrypt(ciphertext, label);
            }
            catch (GitOpsSecOperationException e)
            {
                failed(key, new GitOpsSecOperationException(e.ErrorId, e.Category,
                    $"encryptedData.{key} of SealedSecret {sealedSecret.Namespace}/{sealedSecret.Name} ({sealedSecret.Scope}): {e.Message}", key, e));
            }
        }
        return values;
    }

    /// <summary>
    /// Re-encrypts every value to a new certificate (rotation without a cluster). All or nothing: if
    /// one key does not decrypt, the SealedSecret is left as it was and the error is thrown.
    /// </summary>
    public static SealedSecret Reencrypt(SealedSecret sealedSecret, SealedSecretKeyRing keys, SealedSecretCertificate newCertificate)
    {
        GitOpsSecOperationException? firstFailure = null;
        SortedDictionary<string, byte[]> values = Unseal(sealedSecret, keys, (_, e) => firstFailure ??= e);
        if (firstFailure is not null)
        {
            throw firstFailure;
        }
        var rotated = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            rotated[key] = SealValue(value, newCertificate, sealedSecret.Scope, sealedSecret.Namespace, sealedSecret.Name);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
        }
        sealedSecret.EncryptedData.Clear();
        foreach (var (key, value) in rotated)
        {
            sealedSecret.EncryptedData[key] = value;
        }
        return sealedSecret;
    }

    private static void RequireNamespace(SealingScope scope, string? @namespace, string? name)
    {
        if (scope != SealingScope.ClusterWide && string.IsNullOrEmpty(@namespace))
        {
            throw new GitOpsSecOperationException(ErrorIds.NamespaceRequired, ScanErrorCategory.InvalidArgument,
                $"Sealing '{name}' with {scope} scope binds it to a namespace, and none was given (set metadata.namespace or -Namespace).", name);
        }
        if (scope == SealingScope.Strict && string.IsNullOrEmpty(name))
        {
            throw new GitOpsSecOperationException(ErrorIds.NamespaceRequired, ScanErrorCategory.InvalidArgument,
                "Strict scope binds a value to a Secret name, and none was given.", @namespace);
        }
    }
}
