using System.Buffers.Binary;
using System.Security.Cryptography;
using GitOpsSec.Diagnostics;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Encodings;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace GitOpsSec.SealedSecrets;

/// <summary>
/// The sealed-secrets hybrid encryption, byte for byte: a random single-use 32-byte AES-256-GCM
/// session key (zero nonce: the key is never reused) encrypts the value; RSA-OAEP with SHA-256 and
/// the scope label encrypts the session key. Output: uint16 big-endian length of the RSA ciphertext,
/// the RSA ciphertext, then the AES-GCM ciphertext with its 16-byte tag.
/// .NET's RSA cannot take an OAEP label, so the RSA step uses BouncyCastle; AES-GCM is .NET's.
/// </summary>
public static class SealedSecretCipher
{
    private const int SessionKeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    /// <summary>One generator for OAEP seeds: creating a SecureRandom per value costs more than the RSA step.</summary>
    private static readonly SecureRandom Random = new();

    public static byte[] Encrypt(RsaKeyParameters publicKey, ReadOnlySpan<byte> plaintext, byte[] label)
    {
        byte[] sessionKey = RandomNumberGenerator.GetBytes(SessionKeyBytes);
        try
        {
            IAsymmetricBlockCipher rsa = Oaep(label);
            rsa.Init(true, new ParametersWithRandom(publicKey, Random));
            byte[] rsaCiphertext = rsa.ProcessBlock(sessionKey, 0, sessionKey.Length);

            byte[] output = new byte[2 + rsaCiphertext.Length + plaintext.Length + TagBytes];
            BinaryPrimitives.WriteUInt16BigEndian(output, checked((ushort)rsaCiphertext.Length));
            rsaCiphertext.CopyTo(output, 2);
            int aesStart = 2 + rsaCiphertext.Length;
            using var aes = new AesGcm(sessionKey, TagBytes);
            aes.Encrypt(stackalloc byte[NonceBytes], plaintext, output.AsSpan(aesStart, plaintext.Length),
                output.AsSpan(aesStart + plaintext.Length, TagBytes));
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sessionKey);
        }
    }

    /// <summary>Decrypts, or throws InvalidCiphertext (malformed) / DecryptFailed (wrong key, label or tampering).</summary>
    public static byte[] Decrypt(RsaPrivateCrtKeyParameters privateKey, ReadOnlySpan<byte> ciphertext, byte[] label)
    {
        if (ciphertext.Length < 2)
        {
            throw new GitOpsSecOperationException(ErrorIds.InvalidCiphertext, ScanErrorCategory.InvalidData,
                "The sealed value is too short to be a sealed-secrets ciphertext.");
        }
        int rsaLength = BinaryPrimitives.ReadUInt16BigEndian(ciphertext);
        if (ciphertext.Length < 2 + rsaLength + TagBytes)
        {
            throw new GitOpsSecOperationException(ErrorIds.InvalidCiphertext, ScanErrorCategory.InvalidData,
                "The sealed value is truncated: shorter than its RSA block and GCM tag.");
        }
        byte[] sessionKey;
        try
        {
            IAsymmetricBlockCipher rsa = Oaep(label);
            rsa.Init(false, privateKey);
            sessionKey = rsa.ProcessBlock(ciphertext.Slice(2, rsaLength).ToArray(), 0, rsaLength);
        }
        catch (Exception e) when (e is InvalidCipherTextException or DataLengthException or ArgumentException)
        {
            throw new GitOpsSecOperationException(ErrorIds.DecryptFailed, ScanErrorCategory.PermissionDenied,
                "The session key does not decrypt with this private key and scope label (wrong key, name, namespace or scope).", inner: e);
        }
        try
        {
            if (sessionKey.Length != SessionKeyBytes)
            {
                throw new GitOpsSecOperationException(ErrorIds.InvalidCiphertext, ScanErrorCategory.InvalidData,
                    "The decrypted session key has the wrong length.");
            }
            ReadOnlySpan<byte> aesPart = ciphertext[(2 + rsaLength)..];
            byte[] plaintext = new byte[aesPart.Length - TagBytes];
            using var aes = new AesGcm(sessionKey, TagBytes);
            aes.Decrypt(stackalloc byte[NonceBytes], aesPart[..^TagBytes], aesPart[^TagBytes..], plaintext);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new GitOpsSecOperationException(ErrorIds.DecryptFailed, ScanErrorCategory.InvalidData,
                "The sealed value was altered: its AES-GCM tag does not verify.", inner: e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sessionKey);
        }
    }

    private static IAsymmetricBlockCipher Oaep(byte[] label) =>
        new OaepEncoding(new RsaEngine(), new Sha256Digest(), new Sha256Digest(), label);
}
