using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using GitOpsSec.SealedSecrets;

/// <summary>
/// Sealing throughput: 1,000 values of 32 bytes to a 4096-bit certificate (the controller's default
/// key size), each with its own session key and RSA-OAEP encapsulation, as kubeseal does.
/// Run: dotnet run -c Release --project bench/GitOpsSec.Bench -- --filter '*Seal*'
/// </summary>
[MemoryDiagnoser]
public class SealBenchmarks
{
    private SealedSecretCertificate _certificate = null!;
    private byte[][] _values = null!;

    [Params(2048, 4096)]
    public int KeySize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using RSA rsa = RSA.Create(KeySize);
        var request = new CertificateRequest("CN=sealed-secret, O=sealed-secret", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddYears(10));
        _certificate = SealedSecretCertificate.FromPem(cert.ExportCertificatePem(), "bench");
        _values = Enumerable.Range(0, 1000).Select(i => RandomNumberGenerator.GetBytes(32)).ToArray();
    }

    [Benchmark(Description = "Seal 1,000 values")]
    public int Seal1000()
    {
        int total = 0;
        for (int i = 0; i < _values.Length; i++)
        {
            total += SealedSecretSealer.SealValue(_values[i], _certificate, SealingScope.Strict, "payments", "db-credentials").Length;
        }
        return total;
    }
}
