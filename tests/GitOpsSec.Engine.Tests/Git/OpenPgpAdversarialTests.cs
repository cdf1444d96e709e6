using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Git.Signatures;
using GitOpsSec.Tests.Shared;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Xunit;
using Xunit.Abstractions;

namespace GitOpsSec.Engine.Tests.Git;

/// <summary>
/// Differential suite for OpenPGP commit signatures: keys made by gpg, then altered the way an attacker
/// would (a subkey without binding, an encrypt-only subkey, a signing subkey without back-signature, a
/// certify-only primary, a key from the future, a key without self-signature, a forged revocation),
/// commits signed by gpg or, where gpg refuses, by BouncyCastle in the test. Each commit's letter from
/// GitOpsSec must equal `git log --format=%G?` with gpg importing exactly the keys GitOpsSec is given.
/// </summary>
public sealed class OpenPgpAdversarialTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new();
    private readonly GitRepo _repo = new();
    private readonly string _signHome;
    private readonly string _verifyHome;
    private readonly List<PgpPublicKeyRing> _shipped = new();
    private readonly Dictionary<string, string> _commits = new();

    public OpenPgpAdversarialTests(ITestOutputHelper output)
    {
        _output = output;
        _signHome = _dir.PrivateFolder("sign");
        _verifyHome = _dir.PrivateFolder("verify");
    }

    private string Gpg(params string[] args) => Proc.Check("gpg", new[] { "--batch", "--pinentry-mode", "loopback", "--passphrase", "" }.Concat(args), environment: new Dictionary<string, string> { ["GNUPGHOME"] = _signHome });

    private string Fingerprint(string uid) =>
        Gpg("--with-colons", "--list-keys", uid).Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];

    private PgpSecretKeyRing Secret(string uid) =>
        new(PgpUtilities.GetDecoderStream(new MemoryStream(Encoding.ASCII.GetBytes(Gpg("--armor", "--export-secret-keys", uid)))));

    private PgpPublicKeyRing Public(string uid) =>
        new(PgpUtilities.GetDecoderStream(new MemoryStream(Encoding.ASCII.GetBytes(Gpg("--armor", "--export", uid)))));

    private static PgpPrivateKey Private(PgpSecretKey key) => key.ExtractPrivateKey(Array.Empty<char>());

    private static string Armor(PgpSignature signature)
    {
        var buffer = new MemoryStream();
        using (var armor = new ArmoredOutputStream(buffer))
        {
            signature.Encode(armor);
        }
        return Encoding.ASCII.GetString(buffer.ToArray()).Replace("\r\n", "\n");
    }

    /// <summary>A detached signature made by BouncyCastle, for what gpg itself refuses to make.</summary>
    private static PgpSignature BcSign(PgpPrivateKey key, PgpPublicKey pub, byte[] data, int type = PgpSignature.BinaryDocument,
        HashAlgorithmTag hash = HashAlgorithmTag.Sha256, Action<PgpSignatureSubpacketGenerator>? extra = null, DateTime? at = null)
    {
        var generator = new PgpSignatureGenerator(pub.Algorithm, hash);
        generator.InitSign(type, key);
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, at ?? DateTime.UtcNow); // not earlier: the keys were made a moment ago, and a signature older than its key is an error
        hashed.SetIssuerKeyID(false, pub.KeyId);
        extra?.Invoke(hashed);
        generator.SetHashedSubpackets(hashed.Generate());
        generator.Update(data);
        return generator.Generate();
    }

    /// <summary>A new RSA subkey of <paramref name="primary"/> bound with <paramref name="flags"/>, with no back-signature (BouncyCastle adds none).</summary>
    private static (PgpPublicKey Public, PgpPrivateKey Private) BcSubkey(PgpSecretKeyRing primary, int flags)
    {
        var rsa = new RsaKeyPairGenerator();
        rsa.Init(new RsaKeyGenerationParameters(Org.BouncyCastle.Math.BigInteger.ValueOf(65537), new SecureRandom(), 2048, 12));
        var pair = new PgpKeyPair(PublicKeyAlgorithmTag.RsaGeneral, rsa.GenerateKeyPair(), DateTime.UtcNow.AddHours(-1));
        PgpSecretKey master = primary.GetSecretKey();
        var generator = new PgpKeyRingGenerator(PgpSignature.PositiveCertification, new PgpKeyPair(master.PublicKey, Private(master)), "ignored",
            SymmetricKeyAlgorithmTag.Aes256, Array.Empty<char>(), true, null, null, new SecureRandom());
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetKeyFlags(false, flags);
        generator.AddSubKey(pair, hashed.Generate(), null);
        PgpPublicKey sub = generator.GeneratePublicKeyRing().GetPublicKeys().Single(k => !k.IsMasterKey);
        return (sub, pair.PrivateKey);
    }

    private string Commit(string name, Func<byte[], string[]> sign)
    {
        _repo.Write(name + ".txt", name + "\n");
        _repo.Git("add", "-A");
        byte[] payload = AdversarialRepo.UnsignedCommit(_repo, name);
        string sha = AdversarialRepo.HashObject(_repo, "commit", AdversarialRepo.WithSignatureHeaders(payload, "gpgsig", sign(payload)));
        _repo.Git("update-ref", "HEAD", sha);
        return _commits[name] = sha;
    }

    private string GpgCommit(string name, string keyId) => Commit(name, payload =>
    {
        string file = _dir.Write(name + ".payload", string.Empty);
        File.WriteAllBytes(file, payload);
        return new[] { Gpg("--armor", "--detach-sign", "-u", keyId + "!", "-o", "-", file) };
    });

    [Fact]
    public void Every_adversarial_OpenPGP_case_gets_gits_letter()
    {
        _repo.Write("README", "base\n");
        _repo.Commit("base");
        Gpg("--quick-gen-key", "Trusted Dev <trusted@example.com>", "rsa2048", "sign", "never");
        Gpg("--quick-gen-key", "Certify Only <certonly@example.com>", "rsa2048", "cert", "never");
        Gpg("--faked-system-time", "20350101T000000", "--quick-gen-key", "Future Dev <future@example.com>", "rsa2048", "sign", "never");
        Gpg("--quick-gen-key", "No Selfsig <noselfsig@example.com>", "rsa2048", "sign", "never");
        Gpg("--quick-gen-key", "Forged Revocation <forgedrev@example.com>", "ed25519", "sign", "never");
        Gpg("--quick-gen-key", "Outsider <outsider@example.com>", "ed25519", "sign", "never");
        PgpSecretKeyRing trustedSecret = Secret("trusted@example.com");
        PgpPrivateKey trustedPrivate = Private(trustedSecret.GetSecretKey());
        PgpPublicKey trustedPub = trustedSecret.GetPublicKey();

        // Key 1: the trusted key, shipped with three hostile subkeys.
        var unbound = BcSubkey(trustedSecret, PgpKeyFlags.CanSign);
        PgpPublicKey unboundKey = unbound.Public.GetSignatures().Aggregate(unbound.Public, (k, s) => PgpPublicKey.RemoveCertification(k, s));
        var encryptOnly = BcSubkey(trustedSecret, PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage);
        var noBackSig = BcSubkey(trustedSecret, PgpKeyFlags.CanSign);
        Assert.Empty(unboundKey.GetSignatures());
        Assert.All(noBackSig.Public.GetSignatures(), s => Assert.Equal(0, s.GetHashedSubPackets().GetEmbeddedSignatures().Count));
        PgpPublicKeyRing trustedRing = Public("trusted@example.com");
        foreach (PgpPublicKey sub in new[] { unboundKey, encryptOnly.Public, noBackSig.Public })
        {
            trustedRing = PgpPublicKeyRing.InsertPublicKey(trustedRing, sub);
        }
        _shipped.Add(trustedRing);
        _shipped.Add(Public("certonly@example.com"));
        _shipped.Add(Public("future@example.com"));
        // Key 4: its user id self-signature replaced by a certification from another key, so the user id is there but unverified.
        const string noSelfUid = "No Selfsig <noselfsig@example.com>";
        PgpPublicKeyRing noSelf = Public("noselfsig@example.com");
        PgpPublicKey noSelfPrimary = PgpPublicKey.RemoveCertification(noSelf.GetPublicKey(), noSelfUid)!;
        var certGen = new PgpSignatureGenerator(trustedPub.Algorithm, HashAlgorithmTag.Sha256);
        certGen.InitSign(PgpSignature.PositiveCertification, trustedPrivate);
        noSelfPrimary = PgpPublicKey.AddCertification(noSelfPrimary, noSelfUid, certGen.GenerateCertification(noSelfUid, noSelfPrimary));
        _shipped.Add(PgpPublicKeyRing.InsertPublicKey(noSelf, noSelfPrimary));
        // Key 5: a key revocation made by another key (the trusted one), not by the key itself.
        PgpPublicKeyRing forged = Public("forgedrev@example.com");
        var revGen = new PgpSignatureGenerator(trustedPub.Algorithm, HashAlgorithmTag.Sha256);
        revGen.InitSign(PgpSignature.KeyRevocation, trustedPrivate);
        var revHashed = new PgpSignatureSubpacketGenerator();
        revHashed.SetSignatureCreationTime(false, DateTime.UtcNow.AddSeconds(-5));
        revHashed.SetIssuerKeyID(false, forged.GetPublicKey().KeyId);
        revGen.SetHashedSubpackets(revHashed.Generate());
        _shipped.Add(PgpPublicKeyRing.InsertPublicKey(forged, PgpPublicKey.AddCertification(forged.GetPublicKey(), revGen.GenerateCertification(forged.GetPublicKey()))));

        string keys = _dir.Write("shipped.asc", string.Empty);
        using (var file = File.Create(keys))
        using (var armor = new ArmoredOutputStream(file))
        {
            foreach (PgpPublicKeyRing ring in _shipped)
            {
                ring.Encode(armor);
            }
        }
        var verifyEnv = new Dictionary<string, string> { ["GNUPGHOME"] = _verifyHome };
        Proc.Run("gpg", new[] { "--batch", "--import", keys }, environment: verifyEnv);
        foreach (string uid in new[] { "trusted@example.com", "certonly@example.com", "future@example.com", "noselfsig@example.com", "forgedrev@example.com" })
        {
            Proc.Check("gpg", new[] { "--batch", "--import-ownertrust" }, environment: verifyEnv, input: Fingerprint(uid) + ":6:\n");
        }

        string trustedId = trustedPub.KeyId.ToString("X16");
        var expected = new Dictionary<string, SignatureStatus>
        {
            [GpgCommit("good", trustedId)] = SignatureStatus.Good,
            [GpgCommit("outsider", Fingerprint("outsider@example.com"))] = SignatureStatus.UnknownKey,
            [Commit("subkey-without-binding", p => new[] { Armor(BcSign(unbound.Private, unboundKey, p)) })] = SignatureStatus.UnknownKey,
            [Commit("encrypt-only-subkey", p => new[] { Armor(BcSign(encryptOnly.Private, encryptOnly.Public, p)) })] = SignatureStatus.Error,
            [Commit("signing-subkey-without-back-signature", p => new[] { Armor(BcSign(noBackSig.Private, noBackSig.Public, p)) })] = SignatureStatus.UnknownKey,
            [Commit("primary-without-sign-flag", p => new[] { Armor(BcSign(Private(Secret("certonly@example.com").GetSecretKey()), Public("certonly@example.com").GetPublicKey(), p)) })] = SignatureStatus.Error,
            [Commit("key-newer-than-signature", p => new[] { Armor(BcSign(Private(Secret("future@example.com").GetSecretKey()), Public("future@example.com").GetPublicKey(), p)) })] = SignatureStatus.Error,
            [Commit("class-0x13-spliced", p => new[] { Armor(BcSign(trustedPrivate, trustedPub, p, PgpSignature.PositiveCertification)) })] = SignatureStatus.Error,
            [Commit("class-0x18-spliced", p => new[] { Armor(BcSign(trustedPrivate, trustedPub, p, PgpSignature.SubkeyBinding)) })] = SignatureStatus.Error,
            [Commit("unknown-critical-subpacket", p => new[] { Armor(BcSign(trustedPrivate, trustedPub, p, extra: h => h.AddNotationData(true, true, "unknown-critical@example.com", "x"))) })] = SignatureStatus.Bad,
            [Commit("md5-digest", p => new[] { Armor(BcSign(trustedPrivate, trustedPub, p, hash: HashAlgorithmTag.MD5)) })] = SignatureStatus.Error,
            [GpgCommit("key-without-self-signature", Fingerprint("noselfsig@example.com"))] = SignatureStatus.UnknownKey,
            [Commit("two-signatures-one-block", p => new[] { Armor2(BcSign(trustedPrivate, trustedPub, p), BcSign(Private(Secret("outsider@example.com").GetSecretKey()), Public("outsider@example.com").GetPublicKey(), Encoding.ASCII.GetBytes("other"))) })] = SignatureStatus.Error,
            [Commit("duplicate-gpgsig-header", p => new[] { Armor(BcSign(trustedPrivate, trustedPub, p)), Armor(BcSign(trustedPrivate, trustedPub, p)) })] = SignatureStatus.Error,
            [GpgCommit("forged-revocation", Fingerprint("forgedrev@example.com"))] = SignatureStatus.Good,
        };
        // Tampered: the good commit's message changed, its signature kept.
        byte[] good = AdversarialRepo.CatFile(_repo, "commit", _commits["good"]);
        int at = AdversarialRepo.IndexOf(good, "\ngood\n"u8.ToArray());
        good[at + 1] = (byte)'G';
        expected[_commits["tampered"] = AdversarialRepo.HashObject(_repo, "commit", good)] = SignatureStatus.Bad;

        var trust = new SignatureTrust();
        trust.AddFile(keys);
        var ours = expected.Keys.ToDictionary(sha => sha, sha => CommitSignatures.Verify(_repo.Path, null, sha, null, null, trust, false, new CollectingHost()).First());
        var git = AdversarialRepo.GitLetters(_repo, verifyEnv, expected.Keys);
        foreach (var (name, sha) in _commits)
        {
            _output.WriteLine($"{name,-40} git={git[sha]} ours={ours[sha].GitLetter} {ours[sha].Reason}");
        }
        Assert.All(_commits, c => Assert.True(git[c.Value] == ours[c.Value].GitLetter,
            $"{c.Key}: git says {git[c.Value]}, GitOpsSec says {ours[c.Value].GitLetter} ({ours[c.Value].Reason})"));
        Assert.All(_commits, c => Assert.Equal(expected[c.Value], ours[c.Value].Status));
        // The user id of a key without a valid self-signature is never shown as the signer.
        Assert.DoesNotContain(ours.Values, r => r.Signer?.Contains("noselfsig", StringComparison.Ordinal) == true);
    }

    private static string Armor2(PgpSignature first, PgpSignature second)
    {
        var buffer = new MemoryStream();
        using (var armor = new ArmoredOutputStream(buffer))
        {
            first.Encode(armor);
            second.Encode(armor);
        }
        return Encoding.ASCII.GetString(buffer.ToArray()).Replace("\r\n", "\n");
    }

    public void Dispose()
    {
        _repo.Dispose();
        foreach (string home in new[] { _signHome, _verifyHome })
        {
            Proc.Run("gpgconf", new[] { "--kill", "all" }, environment: new Dictionary<string, string> { ["GNUPGHOME"] = home });
        }
        _dir.Dispose();
    }
}
