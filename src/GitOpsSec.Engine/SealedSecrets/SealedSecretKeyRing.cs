using System.Security.Cryptography;
using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace GitOpsSec.SealedSecrets;

/// <summary>
/// Private keys of a sealed-secrets controller, for recovery and rotation: PEM files (PKCS#1 or
/// PKCS#8) or the controller's key backup (kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml),
/// whose Secrets hold tls.key. Decryption tries every key.
/// </summary>
public sealed class SealedSecretKeyRing
{
    private readonly List<(RsaPrivateCrtKeyParameters Key, string Source)> _keys = new();

    public int Count => _keys.Count;

    public IEnumerable<string> Sources => _keys.Select(k => k.Source);

    /// <summary>Adds every key a file holds; a file with none is an InvalidPrivateKey error.</summary>
    public void AddFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = GitOpsSec.Diagnostics.SafeFile.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GitOpsSecOperationException(ErrorIds.PrivateKeyInvalid, ScanErrorCategory.ReadError,
                $"The key file '{path}' could not be read: {e.Message}", path, e);
        }
        string text = Encoding.UTF8.GetString(bytes);
        int before = _keys.Count;
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            AddPemBlocks(text, path);
        }
        else
        {
            AddFromBackupYaml(text, path);
        }
        if (_keys.Count == before)
        {
            throw new GitOpsSecOperationException(ErrorIds.PrivateKeyInvalid, ScanErrorCategory.InvalidData,
                $"'{path}' holds no RSA private key (expected PEM, or a sealed-secrets key backup with tls.key).", path);
        }
    }

    private void AddPemBlocks(string text, string source)
    {
        const string begin = "-----BEGIN ";
        int at = 0;
        while ((at = text.IndexOf(begin, at, StringComparison.Ordinal)) >= 0)
        {
            int labelEnd = text.IndexOf("-----", at + begin.Length, StringComparison.Ordinal);
            if (labelEnd < 0)
            {
                break;
            }
            string label = text[(at + begin.Length)..labelEnd];
            string endMarker = $"-----END {label}-----";
            int end = text.IndexOf(endMarker, labelEnd, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }
            string block = text[at..(end + endMarker.Length)];
            at = end + endMarker.Length;
            if (label is "RSA PRIVATE KEY" or "PRIVATE KEY")
            {
                using RSA rsa = RSA.Create();
                try
                {
                    rsa.ImportFromPem(block);
                }
                catch (Exception e) when (e is CryptographicException or ArgumentException)
                {
                    throw new GitOpsSecOperationException(ErrorIds.PrivateKeyInvalid, ScanErrorCategory.InvalidData,
                        $"A {label} block in '{source}' is not a readable RSA key: {e.Message}", source, e);
                }
                AsymmetricCipherKeyPair pair = DotNetUtilities.GetRsaKeyPair(rsa);
                _keys.Add(((RsaPrivateCrtKeyParameters)pair.Private, source));
            }
            else if (label.Contains("ENCRYPTED", StringComparison.Ordinal))
            {
                throw new GitOpsSecOperationException(ErrorIds.PrivateKeyInvalid, ScanErrorCategory.InvalidData,
                    $"'{source}' holds an encrypted private key; decrypt it first (openssl pkey -in key.pem -out plain.pem).", source);
            }
        }
    }

    private void AddFromBackupYaml(string text, string source)
    {
        var errors = new List<ScanError>();
        foreach (YamlDocument doc in YamlDocumentReader.Read(text, source, LoadLimits.Default, errors.Add))
        {
            if (doc.Root is not YMapping root)
            {
                continue;
            }
            IEnumerable<YMapping> secrets = root.Seq("items")?.Items.OfType<YMapping>() ?? new[] { root };
            foreach (YMapping secret in secrets)
            {
                string? tlsKey = secret.Map("data")?.Text("tls.key");
                if (tlsKey is null)
                {
                    continue;
                }
                try
                {
                    AddPemBlocks(Encoding.UTF8.GetString(Convert.FromBase64String(tlsKey)), source);
                }
                catch (FormatException e)
                {
                    throw new GitOpsSecOperationException(ErrorIds.PrivateKeyInvalid, ScanErrorCategory.InvalidData,
                        $"The tls.key of a Secret in '{source}' is not base64.", source, e);
                }
            }
        }
    }

    /// <summary>Decrypts with the first key that works; DecryptFailed when none does.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> ciphertext, byte[] label)
    {
        GitOpsSecOperationException? last = null;
        foreach (var (key, _) in _keys)
        {
            try
            {
                return SealedSecretCipher.Decrypt(key, ciphertext, label);
            }
            catch (GitOpsSecOperationException e) when (e.ErrorId == ErrorIds.DecryptFailed)
            {
                last = e;
            }
        }
        throw last ?? new GitOpsSecOperationException(ErrorIds.DecryptFailed, ScanErrorCategory.InvalidArgument, "No private key was given.");
    }
}
