using GitOpsSec.Diagnostics;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.X509;

namespace GitOpsSec.Git.Signatures;

/// <summary>
/// Verifies X.509 / CMS detached signatures (gpgsm, smimesign: gpg.format=x509) in-process with
/// BouncyCastle. Trusted: the signer certificate is one of the given certificates or is issued and
/// signed by one, and was valid when the commit was made.
/// </summary>
public sealed class X509SignatureVerifier
{
    private readonly List<X509Certificate> _trusted = new();

    public int CertificateCount => _trusted.Count;

    public void AddCertificates(byte[] data, string source)
    {
        try
        {
            var parser = new X509CertificateParser();
            int before = _trusted.Count;
            _trusted.AddRange(parser.ReadCertificates(data).Cast<X509Certificate>());
            if (_trusted.Count == before)
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

    public SignatureVerdict Verify(string armored, byte[] signedData, DateTimeOffset signedAt)
    {
        SignerInformation signer;
        X509Certificate? cert;
        try
        {
            int begin = armored.IndexOf("-----BEGIN", StringComparison.Ordinal);
            int bodyStart = armored.IndexOf('\n', begin) + 1;
            int end = armored.IndexOf("-----END", bodyStart, StringComparison.Ordinal);
            byte[] der = Convert.FromBase64String(string.Concat(armored[bodyStart..end].Where(c => !char.IsWhiteSpace(c))));
            var cms = new CmsSignedData(new CmsProcessableByteArray(signedData), der);
            signer = cms.GetSignerInfos().GetSigners().Cast<SignerInformation>().FirstOrDefault()
                ?? throw new CmsException("no signer");
            cert = cms.GetCertificates().EnumerateMatches(signer.SignerID).FirstOrDefault();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new SignatureVerdict(SignatureFormat.X509, SignatureStatus.Error, $"The X.509 (CMS) signature is malformed: {e.Message}");
        }
        if (cert is null)
        {
            return new SignatureVerdict(SignatureFormat.X509, SignatureStatus.UnknownKey, "The CMS signature carries no signer certificate.");
        }
        string fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(cert.GetEncoded()));
        string subject = cert.SubjectDN.ToString();
        string serial = cert.SerialNumber.ToString(16).ToUpperInvariant();
        bool valid;
        try
        {
            valid = signer.Verify(cert);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            valid = false; // a signature that cannot be checked is not valid
            _ = e;
        }
        if (!valid)
        {
            return new SignatureVerdict(SignatureFormat.X509, SignatureStatus.Bad, "The signature does not match the signed content.", serial, fingerprint, subject);
        }
        bool trusted = _trusted.Any(t => t.Equals(cert) || (t.SubjectDN.Equivalent(cert.IssuerDN) && Verifies(cert, t)));
        if (!trusted)
        {
            return new SignatureVerdict(SignatureFormat.X509, _trusted.Count == 0 ? SignatureStatus.UnknownKey : SignatureStatus.Untrusted,
                $"Valid signature by '{subject}', a certificate that is not trusted (give it or its issuer to -TrustedCertificate).", serial, fingerprint, subject);
        }
        if (!cert.IsValid(signedAt.UtcDateTime))
        {
            return new SignatureVerdict(SignatureFormat.X509, SignatureStatus.ExpiredKey,
                $"Valid signature, but the certificate was not valid at {signedAt:u} (valid {cert.NotBefore:u} to {cert.NotAfter:u}).", serial, fingerprint, subject);
        }
        return new SignatureVerdict(SignatureFormat.X509, SignatureStatus.Good, $"Good signature by '{subject}'.", serial, fingerprint, subject);
    }

    private static bool Verifies(X509Certificate cert, X509Certificate issuer)
    {
        try
        {
            cert.Verify(issuer.GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.Certificates.CertificateException or
                                      Org.BouncyCastle.Security.SignatureException or ArgumentException)
        {
            return false;
        }
    }
}
