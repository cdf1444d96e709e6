using GitOpsSec.Diagnostics;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Pkix;
using Org.BouncyCastle.X509;

namespace GitOpsSec.Git.Signatures;

/// <summary>
/// Verifies X.509 / CMS detached signatures (gpgsm, smimesign: gpg.format=x509) in-process with
/// BouncyCastle, judging trust the way gpgsm's default "shell" validation model does, so the letters
/// match git's:
/// - trust anchors are the given self-signed certificates that are CAs (basicConstraints cA, keyCertSign
///   when keyUsage is present); other given certificates only help to build the path, as gpgsm's keybox;
/// - the path from the signer to an anchor is validated by BouncyCastle's RFC 5280 validator (issuers are
///   CAs with keyCertSign, pathLenConstraint, signatures, critical extensions), every certificate valid
///   now, not at the signing time the signer chose (expired: Y, not yet valid: U, otherwise unfit: U);
/// - revocation from the certificate revocation lists the user gives (R); nothing is fetched online.
/// GitOpsSec is stricter than gpgsm in one place: a signer certificate whose keyUsage or extendedKeyUsage
/// does not allow signing is U, where gpgsm logs "ERROR verify.keyusage" and still says good.
/// </summary>
public sealed class X509SignatureVerifier
{
    private readonly List<X509Certificate> _certificates = new();
    private readonly List<X509Crl> _crls = new();

    public int CertificateCount => _certificates.Count;

    public void AddCertificates(byte[] data, string source)
    {
        try
        {
            var parser = new X509CertificateParser();
            int before = _certificates.Count;
            _certificates.AddRange(parser.ReadCertificates(data).Cast<X509Certificate>());
            if (_certificates.Count == before)
            {
                throw new ArgumentException("no certificate found");
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or Org.BouncyCastle.Security.Certificates.CertificateException or InvalidCastException)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Signature.InvalidKey", ScanErrorCategory.InvalidData,
                $"'{source}' is not an X.509 certificate (PEM or DER): {e.Message}", source, e);
        }
    }

    /// <summary>Adds certificate revocation lists (PEM or DER); each is used only once its issuer's signature on it verifies.</summary>
    public void AddRevocationLists(byte[] data, string source)
    {
        try
        {
            int before = _crls.Count;
            _crls.AddRange(new X509CrlParser().ReadCrls(data).Cast<X509Crl>());
            if (_crls.Count == before)
            {
                throw new ArgumentException("no certificate revocation list found");
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or Org.BouncyCastle.Security.Certificates.CrlException or InvalidCastException)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Signature.InvalidKey", ScanErrorCategory.InvalidData,
                $"'{source}' is not a certificate revocation list (PEM or DER): {e.Message}", source, e);
        }
    }

    public SignatureVerdict Verify(string armored, byte[] signedData, DateTimeOffset now)
    {
        SignerInformation signer;
        X509Certificate? cert;
        List<X509Certificate> carried;
        try
        {
            if (!SignatureArmor.IsSingleBlock(armored, "SIGNED MESSAGE"))
            {
                return Verdict(SignatureStatus.Error, "The signature header holds more than one signature block, or text after it.");
            }
            int bodyStart = armored.IndexOf('\n', armored.IndexOf("-----BEGIN", StringComparison.Ordinal)) + 1;
            int end = armored.IndexOf("-----END", bodyStart, StringComparison.Ordinal);
            byte[] der = Convert.FromBase64String(string.Concat(armored[bodyStart..end].Where(c => !char.IsWhiteSpace(c))));
            var cms = new CmsSignedData(new CmsProcessableByteArray(signedData), der);
            var signers = cms.GetSignerInfos().GetSigners().Cast<SignerInformation>().ToList();
            if (signers.Count != 1)
            {
                return Verdict(SignatureStatus.Error, $"The CMS signature has {signers.Count} signers; exactly one is expected.");
            }
            signer = signers[0];
            carried = cms.GetCertificates().EnumerateMatches(null).ToList();
            cert = carried.Concat(_certificates).FirstOrDefault(c => signer.SignerID.Match(c));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Verdict(SignatureStatus.Error, $"The X.509 (CMS) signature is malformed: {e.Message}");
        }
        if (cert is null)
        {
            return Verdict(SignatureStatus.UnknownKey, "The CMS signature carries no signer certificate, and none of the given certificates is the signer's.");
        }
        string fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(cert.GetEncoded()));
        string subject = cert.SubjectDN.ToString();
        string serial = cert.SerialNumber.ToString(16).ToUpperInvariant();
        SignatureVerdict Result(SignatureStatus status, string reason) => new(SignatureFormat.X509, status, reason, serial, fingerprint, subject);

        bool valid;
        try
        {
            // The key alone: the certificate's validity is judged below, at verification time, not at the signing time the signer wrote.
            valid = signer.Verify(cert.GetPublicKey());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _ = e;
            valid = false; // a signature that cannot be checked is not valid
        }
        if (!valid)
        {
            return Result(SignatureStatus.Bad, "The signature does not match the signed content.");
        }

        IList<X509Certificate>? path = FindPath(cert, carried, out X509Certificate? anchor);
        if (path is null || anchor is null)
        {
            return Result(SignatureStatus.Untrusted, $"Valid signature by '{subject}', whose certificate does not chain to a trusted root CA (give the root to -TrustedCertificate).");
        }
        (string? problem, bool expired) = Validate(path, anchor, now.UtcDateTime);
        if (problem is not null)
        {
            return expired
                ? Result(SignatureStatus.ExpiredKey, $"Valid signature, but {problem} (judged now, as gpgsm does, not at the signing time).")
                : Result(SignatureStatus.Untrusted, $"Valid signature by '{subject}', but its certificate path is not valid: {problem}");
        }
        if (LeafUnfit(cert) is string unfit)
        {
            return Result(SignatureStatus.Untrusted, $"Valid signature by '{subject}', but the certificate is not for signing: {unfit}");
        }
        foreach (X509Certificate c in path)
        {
            X509Certificate issuer = path.Skip(path.IndexOf(c) + 1).FirstOrDefault() ?? anchor;
            if (_crls.Any(crl => crl.IssuerDN.Equivalent(issuer.SubjectDN) && Verifies(() => crl.Verify(issuer.GetPublicKey())) && crl.IsRevoked(c)))
            {
                return Result(SignatureStatus.RevokedKey, $"Valid signature, but the certificate '{c.SubjectDN}' is revoked by its issuer's revocation list.");
            }
        }
        return Result(SignatureStatus.Good, $"Good signature by '{subject}'.");
    }

    private static SignatureVerdict Verdict(SignatureStatus status, string reason) => new(SignatureFormat.X509, status, reason);

    private static bool IsSelfSigned(X509Certificate c) => c.SubjectDN.Equivalent(c.IssuerDN) && Verifies(() => c.Verify(c.GetPublicKey()));

    /// <summary>A trust anchor: a given self-signed certificate that is a CA (gpgsm refuses a root that is not, unless "relax" is set in its trustlist).</summary>
    private static bool IsAnchor(X509Certificate c) =>
        IsSelfSigned(c) && c.GetBasicConstraints() >= 0 && (c.GetKeyUsage() is not bool[] ku || ku[5]);

    /// <summary>
    /// The certificates from the signer up to (not including) a trusted anchor, found by name and signature
    /// among the certificates the signature carries and the given ones; null when no anchor is reached.
    /// </summary>
    private IList<X509Certificate>? FindPath(X509Certificate leaf, List<X509Certificate> carried, out X509Certificate? anchor)
    {
        anchor = null;
        var anchors = _certificates.Where(IsAnchor).ToList();
        if (anchors.Any(a => a.Equals(leaf)))
        {
            anchor = leaf;
            return Array.Empty<X509Certificate>();
        }
        var pool = carried.Concat(_certificates).Distinct().ToList();
        var path = new List<X509Certificate> { leaf };
        for (int depth = 0; depth < 8; depth++)
        {
            X509Certificate top = path[^1];
            X509Certificate? root = anchors.FirstOrDefault(a => a.SubjectDN.Equivalent(top.IssuerDN) && Verifies(() => top.Verify(a.GetPublicKey())));
            if (root is not null)
            {
                anchor = root;
                return path;
            }
            X509Certificate? next = pool.FirstOrDefault(c => !path.Contains(c) && !IsSelfSigned(c) && c.SubjectDN.Equivalent(top.IssuerDN) && Verifies(() => top.Verify(c.GetPublicKey())));
            if (next is null)
            {
                return null;
            }
            path.Add(next);
        }
        return null;
    }

    /// <summary>
    /// RFC 5280 path validation by BouncyCastle at <paramref name="at"/>: null when valid, else what is wrong
    /// and whether the first problem found is an expired certificate (git's Y, as gpgsm's EXPKEYSIG).
    /// </summary>
    private static (string? Problem, bool Expired) Validate(IList<X509Certificate> path, X509Certificate anchor, DateTime at)
    {
        if (at > anchor.NotAfter)
        {
            return ($"the root '{anchor.SubjectDN}' expired {anchor.NotAfter:u}", true);
        }
        if (at < anchor.NotBefore)
        {
            return ($"the root '{anchor.SubjectDN}' is not valid before {anchor.NotBefore:u}", false);
        }
        if (path.Count == 0)
        {
            return (null, false);
        }
        int anchorPathLen = anchor.GetBasicConstraints();
        if (anchorPathLen != int.MaxValue && path.Count - 1 > anchorPathLen)
        {
            return ($"the root '{anchor.SubjectDN}' allows {anchorPathLen} intermediate certificate(s), the path has {path.Count - 1}", false);
        }
        try
        {
            var parameters = new PkixParameters(new HashSet<TrustAnchor> { new(anchor, null) })
            {
                IsRevocationEnabled = false, // the given revocation lists are applied separately, so a missing list is no failure
                Date = at,
            };
            new PkixCertPathValidator().Validate(new PkixCertPath(path), parameters);
            return (null, false);
        }
        catch (PkixCertPathValidatorException e)
        {
            bool expired = e.InnerException is Org.BouncyCastle.Security.Certificates.CertificateExpiredException;
            return (expired && e.Index >= 0 && e.Index < path.Count ? $"the certificate '{path[e.Index].SubjectDN}' expired {path[e.Index].NotAfter:u}" : e.Message, expired);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return (e.Message, false);
        }
    }

    /// <summary>Why the signer's certificate may not sign data (keyUsage digitalSignature or nonRepudiation; extendedKeyUsage, when present, email protection, code signing or any); null when it may.</summary>
    private static string? LeafUnfit(X509Certificate cert)
    {
        if (cert.GetKeyUsage() is bool[] ku && !ku[0] && !ku[1])
        {
            return "its keyUsage allows neither digitalSignature nor nonRepudiation";
        }
        IList<string>? eku = ExtendedKeyUsages(cert);
        if (eku is not null && !eku.Any(o => o is "1.3.6.1.5.5.7.3.4" or "1.3.6.1.5.5.7.3.3" or "2.5.29.37.0"))
        {
            return $"its extendedKeyUsage ({string.Join(", ", eku)}) allows neither email protection, code signing nor any purpose";
        }
        return null;
    }

    /// <summary>The extendedKeyUsage OIDs, null when the extension is absent; an unreadable extension allows nothing.</summary>
    private static IList<string>? ExtendedKeyUsages(X509Certificate cert)
    {
        try
        {
            return cert.GetExtendedKeyUsage()?.Select(o => o.Id).ToList();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _ = e;
            return new List<string> { "unreadable" };
        }
    }

    private static bool Verifies(Action check)
    {
        try
        {
            check();
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _ = e;
            return false;
        }
    }
}
