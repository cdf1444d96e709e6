using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using GitOpsSec.Diagnostics;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace GitOpsSec.SealedSecrets;

/// <summary>
/// The sealed-secrets controller's public certificate (what `kubeseal --fetch-cert` prints):
/// its subject, thumbprints, validity and RSA key, and the key in the form the cipher needs.
/// </summary>
public sealed class SealedSecretCertificate
{
    private SealedSecretCertificate(X509Certificate2 certificate, RsaKeyParameters publicKey, string source)
    {
        Certificate = certificate;
        PublicKey = publicKey;
        Source = source;
        Subject = certificate.Subject;
        Issuer = certificate.Issuer;
        Thumbprint = certificate.Thumbprint;
        Sha256Fingerprint = Convert.ToHexString(SHA256.HashData(certificate.RawData));
        NotBefore = certificate.NotBefore.ToUniversalTime();
        NotAfter = certificate.NotAfter.ToUniversalTime();
        KeySize = publicKey.Modulus.BitLength;
    }

    public string Subject { get; }
    public string Issuer { get; }

    /// <summary>SHA-1 thumbprint, as Windows and .NET show it.</summary>
    public string Thumbprint { get; }

    public string Sha256Fingerprint { get; }
    public DateTime NotBefore { get; }
    public DateTime NotAfter { get; }
    public int KeySize { get; }

    /// <summary>The file or URL the certificate came from.</summary>
    public string Source { get; }

    public bool IsExpired => DateTime.UtcNow > NotAfter;

    public int DaysUntilExpiry => (int)Math.Floor((NotAfter - DateTime.UtcNow).TotalDays);

    internal X509Certificate2 Certificate { get; }
    internal RsaKeyParameters PublicKey { get; }

    public override string ToString() => $"{Subject} ({Thumbprint}, RSA {KeySize}, until {NotAfter:yyyy-MM-dd})";

    /// <summary>The smallest RSA key a value is sealed to.</summary>
    public const int MinimumKeySize = 2048;

    /// <summary>Reads a PEM certificate; a private key, a non-RSA key or garbage is a clear error.</summary>
    public static SealedSecretCertificate FromPem(string pem, string source)
    {
        if (pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal) && !pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateIsPrivateKey, ScanErrorCategory.InvalidArgument,
                $"'{source}' holds a private key, not a certificate. Use the controller's public certificate (kubeseal --fetch-cert, or /v1/cert.pem); keep the private key out of this.",
                source);
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.InvalidData,
                $"'{source}' is not a PEM certificate: {e.Message}", source, e);
        }
        catch (ArgumentException e)
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.InvalidData,
                $"'{source}' is not a PEM certificate: {e.Message}", source, e);
        }
        using RSA? rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateNotRsa, ScanErrorCategory.InvalidData,
                $"The certificate in '{source}' has a {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value} key; sealed-secrets needs RSA.",
                source);
        }
        if (rsa.KeySize < MinimumKeySize)
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateWeakKey, ScanErrorCategory.SecurityError,
                $"The certificate in '{source}' has an RSA key of {rsa.KeySize} bits; GitOpsSec seals only to keys of at least {MinimumKeySize} bits " +
                "(NIST SP 800-131A; the sealed-secrets controller generates 4096-bit keys). A weak key is a sign of a forged or test certificate.", source);
        }
        return new SealedSecretCertificate(certificate, DotNetUtilities.GetRsaPublicKey(rsa), source);
    }

    public static SealedSecretCertificate FromFile(string path)
    {
        string text;
        try
        {
            text = GitOpsSec.Diagnostics.SafeFile.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.ReadError,
                $"The certificate file '{path}' could not be read: {e.Message}", path, e);
        }
        return FromPem(text, path);
    }

    /// <summary>
    /// Fetches the certificate from the controller's cert URL. Plain http is refused unless
    /// <paramref name="allowInsecureHttp"/>: anyone on the path could hand over their own certificate, and every
    /// value sealed to it would be theirs to read.
    /// </summary>
    public static async Task<SealedSecretCertificate> FromUriAsync(Uri uri, TimeSpan timeout, CancellationToken cancellation, bool allowInsecureHttp = false)
    {
        if (uri.Scheme is not ("http" or "https"))
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateUnreachable, ScanErrorCategory.InvalidArgument,
                $"Only http and https certificate URLs are supported, not '{uri.Scheme}'.", uri.ToString());
        }
        if (uri.Scheme == "http" && !allowInsecureHttp)
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateInsecureUri, ScanErrorCategory.SecurityError,
                $"{uri} is plain http: a certificate fetched without TLS can be swapped on the way, and what is sealed to it read by whoever swapped it. " +
                "Use https, a file (kubeseal --fetch-cert > cert.pem) or, inside a trusted network, -AllowInsecureHttp.", uri.ToString());
        }
        using var client = new HttpClient { Timeout = timeout };
        try
        {
            using HttpResponseMessage response = await client.GetAsync(uri, cancellation).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new GitOpsSecOperationException(ErrorIds.CertificateUnreachable, ScanErrorCategory.ReadError,
                    $"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.", uri.ToString());
            }
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
            if (body.Length > 1024 * 1024)
            {
                throw new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.LimitsExceeded,
                    $"{uri} returned {body.Length:N0} bytes, far more than a certificate.", uri.ToString());
            }
            return FromPem(Encoding.UTF8.GetString(body), uri.ToString());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            throw new GitOpsSecOperationException(ErrorIds.CertificateUnreachable, ScanErrorCategory.ReadError,
                $"The certificate could not be fetched from {uri}: {e.Message}", uri.ToString(), e);
        }
    }
}
