using System.Text;
using GitOpsSec.Diagnostics;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace GitOpsSec.Git.Signatures;

/// <summary>
/// Verifies OpenPGP detached signatures (what gpg writes into a commit's gpgsig header) against a set of
/// trusted public keys, in-process with BouncyCastle: RSA, DSA, ECDSA and EdDSA keys, signing subkeys,
/// key and signature expiry, revocations.
/// </summary>
public sealed class OpenPgpVerifier
{
    private readonly List<PgpPublicKeyRing> _rings = new();

    public int KeyCount => _rings.Count;

    /// <summary>Adds armored or binary public keys (one or many, a keyring file). GitOpsSec.Signature.InvalidKey when it holds none.</summary>
    public void AddKeys(byte[] data, string source)
    {
        try
        {
            using Stream input = PgpUtilities.GetDecoderStream(new MemoryStream(data));
            var bundle = new PgpPublicKeyRingBundle(input);
            int before = _rings.Count;
            _rings.AddRange(bundle.GetKeyRings());
            if (_rings.Count == before)
            {
                throw new PgpException("no public key found");
            }
        }
        catch (Exception e) when (e is PgpException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Signature.InvalidKey", ScanErrorCategory.InvalidData,
                $"'{source}' is not an OpenPGP public key or keyring ({e.Message}).", source, e);
        }
    }

    public SignatureVerdict Verify(string armoredSignature, byte[] signedData, DateTimeOffset now)
    {
        PgpSignature signature;
        try
        {
            using var armored = new ArmoredInputStream(new MemoryStream(Encoding.ASCII.GetBytes(armoredSignature)));
            var factory = new PgpObjectFactory(armored);
            PgpObject? first = factory.NextPgpObject();
            if (first is PgpCompressedData compressed)
            {
                first = new PgpObjectFactory(compressed.GetDataStream()).NextPgpObject();
            }
            if (first is not PgpSignatureList { Count: > 0 } list)
            {
                return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.Error, "The signature block holds no OpenPGP signature packet.");
            }
            signature = list[0];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Hostile or broken input of any shape (BouncyCastle throws several unrelated types): undecided, so not Good.
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.Error, $"The signature block is malformed: {e.Message}");
        }

        long keyId = signature.KeyId;
        string keyIdHex = keyId.ToString("X16");
        byte[]? issuerFingerprint = signature.GetHashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint()
            ?? signature.GetUnhashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint();
        PgpPublicKeyRing? ring = _rings.FirstOrDefault(r => r.GetPublicKey(keyId) is not null);
        PgpPublicKey? key = ring?.GetPublicKey(keyId);
        if (ring is null || key is null)
        {
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.UnknownKey,
                $"Signed by key {keyIdHex}, which is not among the trusted keys.", keyIdHex,
                issuerFingerprint is null ? null : Convert.ToHexString(issuerFingerprint));
        }
        PgpPublicKey primary = ring.GetPublicKey();
        string fingerprint = Convert.ToHexString(key.GetFingerprint());
        string? userId = primary.GetUserIds().OfType<string>().FirstOrDefault();
        string algorithm = signature.KeyAlgorithm.ToString();
        bool valid;
        try
        {
            signature.InitVerify(key);
            signature.Update(signedData);
            valid = signature.Verify();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.Error, $"The signature could not be checked: {e.Message}",
                keyIdHex, fingerprint, userId, algorithm);
        }
        if (!valid)
        {
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.Bad,
                "The signature does not match the signed content (it was altered after signing, or signed by another key).", keyIdHex, fingerprint, userId, algorithm);
        }
        if (primary.HasRevocation() || (key != primary && key.HasRevocation()))
        {
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.RevokedKey, "Valid signature by a revoked key.", keyIdHex, fingerprint, userId, algorithm);
        }
        if (Expired(primary, now) || (key != primary && Expired(key, now)))
        {
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.ExpiredKey, "Valid signature by a key that has expired.", keyIdHex, fingerprint, userId, algorithm);
        }
        long sigExpiry = signature.GetHashedSubPackets()?.GetSignatureExpirationTime() ?? 0;
        if (sigExpiry > 0 && new DateTimeOffset(signature.CreationTime).AddSeconds(sigExpiry) < now)
        {
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.ExpiredSignature, "Valid signature that has expired.", keyIdHex, fingerprint, userId, algorithm);
        }
        return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.Good, $"Good signature by {userId ?? keyIdHex}.", keyIdHex, fingerprint, userId, algorithm);
    }

    private static bool Expired(PgpPublicKey key, DateTimeOffset now)
    {
        long seconds = key.GetValidSeconds();
        return seconds > 0 && new DateTimeOffset(key.CreationTime).AddSeconds(seconds) < now;
    }
}
