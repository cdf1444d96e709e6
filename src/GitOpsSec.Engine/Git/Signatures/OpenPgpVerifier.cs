using System.Text;
using GitOpsSec.Diagnostics;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace GitOpsSec.Git.Signatures;

/// <summary>
/// Verifies OpenPGP detached signatures (what gpg writes into a commit's gpgsig header) against a set of
/// trusted public keys, in-process with BouncyCastle, with gpg's rules for what a key may sign: every
/// self-signature, subkey binding, back-signature and revocation is verified cryptographically before it
/// counts (RFC 4880 §5.2.1, §5.2.3.21, §11.1); a key or subkey without one is treated as absent, as
/// gpg's import drops it.
/// </summary>
public sealed class OpenPgpVerifier
{
    private const int SignFlag = 0x02; // RFC 4880 §5.2.3.21: "This key may be used to sign data."

    /// <summary>Hashed subpackets gpg understands when marked critical (g10/parse-packet.c can_handle_critical); any other critical one makes the signature bad (RFC 4880 §5.2.3.1).</summary>
    private static readonly HashSet<SignatureSubpacketTag> KnownCritical = new()
    {
        SignatureSubpacketTag.CreationTime, SignatureSubpacketTag.ExpireTime, SignatureSubpacketTag.Exportable,
        SignatureSubpacketTag.TrustSig, SignatureSubpacketTag.RegExp, SignatureSubpacketTag.Revocable,
        SignatureSubpacketTag.KeyExpireTime, SignatureSubpacketTag.PreferredSymmetricAlgorithms, SignatureSubpacketTag.RevocationKey,
        SignatureSubpacketTag.IssuerKeyId, SignatureSubpacketTag.PreferredHashAlgorithms, SignatureSubpacketTag.PreferredCompressionAlgorithms,
        SignatureSubpacketTag.KeyServerPreferences, SignatureSubpacketTag.PrimaryUserId, SignatureSubpacketTag.KeyFlags,
        SignatureSubpacketTag.Features, SignatureSubpacketTag.IssuerFingerprint, SignatureSubpacketTag.PreferredAeadAlgorithms,
    };

    private readonly List<TrustedKey> _keys = new();
    private int _rings;

    public int KeyCount => _rings;

    /// <summary>Adds armored or binary public keys (one or many, a keyring file). GitOpsSec.Signature.InvalidKey when it holds none.</summary>
    public void AddKeys(byte[] data, string source)
    {
        try
        {
            using Stream input = PgpUtilities.GetDecoderStream(new MemoryStream(data));
            var bundle = new PgpPublicKeyRingBundle(input);
            int before = _rings;
            foreach (PgpPublicKeyRing ring in bundle.GetKeyRings())
            {
                _rings++;
                _keys.AddRange(TrustedKey.FromRing(ring));
            }
            if (_rings == before)
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
            if (!SignatureArmor.IsSingleBlock(armoredSignature, "PGP SIGNATURE"))
            {
                return Error("The signature header holds more than one signature block, or text after it; gpg refuses to judge such a signature.");
            }
            using var armored = new ArmoredInputStream(new MemoryStream(Encoding.Latin1.GetBytes(armoredSignature)));
            var factory = new PgpObjectFactory(armored);
            PgpObject? first = factory.NextPgpObject();
            if (first is PgpCompressedData compressed)
            {
                first = new PgpObjectFactory(compressed.GetDataStream()).NextPgpObject();
            }
            if (first is not PgpSignatureList { Count: > 0 } list)
            {
                return Error("The signature block holds no OpenPGP signature packet.");
            }
            if (list.Count > 1 || factory.NextPgpObject() is not null)
            {
                return Error("The signature block holds more than one signature: git's gpg verdict for several signatures is an error, so none is taken as the verdict.");
            }
            signature = list[0];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Hostile or broken input of any shape (BouncyCastle throws several unrelated types): undecided, so not Good.
            return Error($"The signature block is malformed: {e.Message}");
        }

        if (signature.SignatureType is not (PgpSignature.BinaryDocument or PgpSignature.CanonicalTextDocument))
        {
            return Error($"The signature has class 0x{signature.SignatureType:X2}, not a document signature (0x00 or 0x01): it signs a key or a user id, not this content.");
        }
        if (signature.HashAlgorithm is HashAlgorithmTag.MD5 or HashAlgorithmTag.MD2)
        {
            return Error($"The signature uses the {signature.HashAlgorithm} digest, which gpg rejects as broken.");
        }

        long keyId = signature.KeyId;
        string keyIdHex = keyId.ToString("X16");
        byte[]? issuerFingerprint = signature.GetHashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint()
            ?? signature.GetUnhashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint();
        TrustedKey? key = _keys.FirstOrDefault(k => k.Key.KeyId == keyId && k.IsValid);
        if (key is null)
        {
            TrustedKey? invalid = _keys.FirstOrDefault(k => k.Key.KeyId == keyId);
            string why = invalid is null ? "which is not among the trusted keys" : $"which has no valid {invalid.Problem} and is therefore not a usable key";
            return new SignatureVerdict(SignatureFormat.OpenPGP, SignatureStatus.UnknownKey, $"Signed by key {keyIdHex}, {why}.", keyIdHex,
                issuerFingerprint is null ? null : Convert.ToHexString(issuerFingerprint));
        }
        string fingerprint = Convert.ToHexString(key.Key.GetFingerprint());
        string? userId = key.UserId;
        string algorithm = signature.KeyAlgorithm.ToString();
        SignatureVerdict Verdict(SignatureStatus status, string reason) => new(SignatureFormat.OpenPGP, status, reason, keyIdHex, fingerprint, userId, algorithm);

        if (!key.CanSign)
        {
            return Verdict(SignatureStatus.Error, $"Key {keyIdHex} is not certified for signing (its key flags allow no data signatures); gpg refuses signatures made with it.");
        }
        if (key.Key.CreationTime > signature.CreationTime)
        {
            return Verdict(SignatureStatus.Error, $"Key {keyIdHex} was created {key.Key.CreationTime:u}, after the signature ({signature.CreationTime:u}): the signature cannot have been made with it.");
        }
        SignatureSubpacket? critical = signature.GetHashedSubPackets()?.ToArray().FirstOrDefault(p => p.IsCritical() && !KnownCritical.Contains(p.SubpacketType));
        if (critical is not null)
        {
            return Verdict(SignatureStatus.Bad, $"The signature carries a critical subpacket of unknown type {(int)critical.SubpacketType}; RFC 4880 requires treating it as bad.");
        }
        bool valid;
        try
        {
            signature.InitVerify(key.Key);
            signature.Update(signedData);
            valid = signature.Verify();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Verdict(SignatureStatus.Error, $"The signature could not be checked: {e.Message}");
        }
        if (!valid)
        {
            return Verdict(SignatureStatus.Bad, "The signature does not match the signed content (it was altered after signing, or signed by another key).");
        }
        if (key.Revoked)
        {
            return Verdict(SignatureStatus.RevokedKey, "Valid signature by a revoked key.");
        }
        if (key.ExpiresAt is DateTimeOffset expiry && expiry < now)
        {
            return Verdict(SignatureStatus.ExpiredKey, $"Valid signature by a key that expired {expiry:u}.");
        }
        long sigExpiry = signature.GetHashedSubPackets()?.GetSignatureExpirationTime() ?? 0;
        if (sigExpiry > 0 && new DateTimeOffset(signature.CreationTime).AddSeconds(sigExpiry) < now)
        {
            return Verdict(SignatureStatus.ExpiredSignature, "Valid signature that has expired.");
        }
        return Verdict(SignatureStatus.Good, $"Good signature by {userId ?? keyIdHex}.");
    }

    private static SignatureVerdict Error(string reason) => new(SignatureFormat.OpenPGP, SignatureStatus.Error, reason);

    /// <summary>One key (primary or subkey) of a trusted ring with what its verified self-signatures say about it.</summary>
    private sealed record TrustedKey(PgpPublicKey Key, string? Problem, bool CanSign, bool Revoked, DateTimeOffset? ExpiresAt, string? UserId)
    {
        public bool IsValid => Problem is null;

        public static IEnumerable<TrustedKey> FromRing(PgpPublicKeyRing ring)
        {
            PgpPublicKey primary = ring.GetPublicKey();
            // Self-signatures on user ids (0x10-0x13) and direct-key signatures (0x1F), each verified.
            var selfSigs = new List<PgpSignature>();
            string? userId = null;
            foreach (string uid in primary.GetUserIds().OfType<string>())
            {
                foreach (PgpSignature s in primary.GetSignaturesForId(uid) ?? Enumerable.Empty<PgpSignature>())
                {
                    if (s.KeyId == primary.KeyId && IsCertification(s.SignatureType) && Try(() => { s.InitVerify(primary); return s.VerifyCertification(uid, primary); }))
                    {
                        selfSigs.Add(s);
                        userId ??= uid;
                    }
                }
            }
            selfSigs.AddRange(primary.GetSignaturesOfType(PgpSignature.DirectKey)
                .Where(s => s.KeyId == primary.KeyId && Try(() => { s.InitVerify(primary); return s.VerifyCertification(primary); })));
            PgpSignature? latest = selfSigs.OrderByDescending(s => s.CreationTime).FirstOrDefault();
            bool primaryRevoked = primary.GetSignaturesOfType(PgpSignature.KeyRevocation)
                .Any(s => s.KeyId == primary.KeyId && Try(() => { s.InitVerify(primary); return s.VerifyCertification(primary); }));
            yield return latest is null
                ? new TrustedKey(primary, "self-signature", false, false, null, null)
                : new TrustedKey(primary, null, Flags(latest, primary), primaryRevoked, Expiry(primary, latest), userId);
            DateTimeOffset? primaryExpiry = latest is null ? null : Expiry(primary, latest);

            foreach (PgpPublicKey sub in ring.GetPublicKeys().Where(k => !k.IsMasterKey))
            {
                PgpSignature? binding = sub.GetSignaturesOfType(PgpSignature.SubkeyBinding)
                    .Where(s => s.KeyId == primary.KeyId && Try(() => { s.InitVerify(primary); return s.VerifyCertification(primary, sub); }))
                    .OrderByDescending(s => s.CreationTime).FirstOrDefault();
                if (latest is null || binding is null)
                {
                    yield return new TrustedKey(sub, latest is null ? "self-signature on its primary key" : "subkey binding signature", false, false, null, null);
                    continue;
                }
                bool canSign = Flags(binding, sub);
                // A signing subkey must cross-certify its primary (embedded 0x19 back-signature), or anyone could bind someone else's signing key.
                if (canSign && !BackSigned(binding, primary, sub))
                {
                    yield return new TrustedKey(sub, "primary key binding (back-signature)", false, false, null, null);
                    continue;
                }
                bool revoked = primaryRevoked || sub.GetSignaturesOfType(PgpSignature.SubkeyRevocation)
                    .Any(s => s.KeyId == primary.KeyId && Try(() => { s.InitVerify(primary); return s.VerifyCertification(primary, sub); }));
                DateTimeOffset? subExpiry = Expiry(sub, binding);
                DateTimeOffset? expiry = subExpiry is null ? primaryExpiry : primaryExpiry is null ? subExpiry : (subExpiry < primaryExpiry ? subExpiry : primaryExpiry);
                yield return new TrustedKey(sub, null, canSign, revoked, expiry, userId);
            }
        }

        private static bool IsCertification(int type) =>
            type is PgpSignature.DefaultCertification or PgpSignature.NoCertification or PgpSignature.CasualCertification or PgpSignature.PositiveCertification;

        /// <summary>Whether the self-signature lets the key sign data: its key flags, or without them what the algorithm can do (gpg's openpgp_pk_algo_usage).</summary>
        private static bool Flags(PgpSignature selfSig, PgpPublicKey key)
        {
            PgpSignatureSubpacketVector? hashed = selfSig.GetHashedSubPackets();
            if (hashed is not null && hashed.HasSubpacket(SignatureSubpacketTag.KeyFlags))
            {
                return (hashed.GetKeyFlags() & SignFlag) != 0;
            }
            return key.Algorithm is PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign or PublicKeyAlgorithmTag.Dsa
                or PublicKeyAlgorithmTag.ECDsa or PublicKeyAlgorithmTag.EdDsa_Legacy or PublicKeyAlgorithmTag.Ed25519 or PublicKeyAlgorithmTag.Ed448;
        }

        private static bool BackSigned(PgpSignature binding, PgpPublicKey primary, PgpPublicKey sub)
        {
            var embedded = new List<PgpSignature>();
            foreach (PgpSignatureSubpacketVector? area in new[] { binding.GetHashedSubPackets(), binding.GetUnhashedSubPackets() })
            {
                if (area is not null)
                {
                    _ = Try(() =>
                    {
                        PgpSignatureList list = area.GetEmbeddedSignatures();
                        for (int i = 0; i < list.Count; i++)
                        {
                            embedded.Add(list[i]);
                        }
                        return true;
                    });
                }
            }
            return embedded.Any(b => b.SignatureType == PgpSignature.PrimaryKeyBinding &&
                Try(() => { b.InitVerify(sub); return b.VerifyCertification(primary, sub); }));
        }

        private static DateTimeOffset? Expiry(PgpPublicKey key, PgpSignature selfSig)
        {
            long seconds = selfSig.GetHashedSubPackets()?.GetKeyExpirationTime() ?? 0;
            return seconds > 0 ? new DateTimeOffset(key.CreationTime).AddSeconds(seconds) : null;
        }

        private static bool Try(Func<bool> check)
        {
            try
            {
                return check();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return false; // a signature that cannot be checked does not count
            }
        }
    }
}
