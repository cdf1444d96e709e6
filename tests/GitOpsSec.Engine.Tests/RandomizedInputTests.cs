using System.Diagnostics;
using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.SealedSecrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Seeded random inputs: the YAML reader and the sealed-secret decoder only ever report through their
/// documented channels (ScanError / GitOpsSecOperationException), never crash, and stay fast.
/// </summary>
public class RandomizedInputTests
{
    private static readonly string[] Fragments =
    {
        "apiVersion: v1\n", "kind: Pod\n", "metadata:\n", "  name: x\n", "- ", "  - a\n", "&a ", "*a", "<<: *a\n", "{", "}", "[", "]",
        ": ", ",", "'", "\"", "\\", "|\n", ">-\n", "---\n", "...\n", "!!str ", "!!binary ", "%YAML 1.2\n", "? ", "#c\n", "\t", "\n", "  ",
        "true", "0x1F", "~", "é", "\u2028", "\0", "key: value\n", "&b [*a, *a, *a]\n",
    };

    [Fact]
    public void The_yaml_reader_reports_bad_input_and_never_throws()
    {
        var random = new Random(20261124);
        var watch = Stopwatch.StartNew();
        int errors = 0, documents = 0;
        for (int i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder();
            int parts = random.Next(1, 40);
            for (int p = 0; p < parts; p++)
            {
                sb.Append(Fragments[random.Next(Fragments.Length)]);
            }
            var found = new List<ScanError>();
            documents += YamlDocumentReader.Read(sb.ToString(), "fuzz.yaml", LoadLimits.Default, found.Add).Count();
            errors += found.Count;
            Assert.All(found, e => Assert.StartsWith("GitOpsSec.Manifest.", e.ErrorId, StringComparison.Ordinal));

            byte[] bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            var decodeErrors = new List<ScanError>();
            string? text = YamlDocumentReader.Decode(bytes, "fuzz.bin", decodeErrors.Add);
            Assert.True(text is not null || decodeErrors.Count == 1);
        }
        Assert.True(errors > 100 && documents > 100, $"the generator should produce both: {errors} errors, {documents} documents");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    [Fact]
    public void The_sealed_secret_decoder_rejects_random_and_mutated_ciphertexts_with_documented_ids()
    {
        string data = Path.Combine(TestPaths.RepoRoot, "tests", "data", "sealed-secrets");
        var certificate = SealedSecretCertificate.FromFile(Path.Combine(data, "test-cert.pem"));
        var ring = new SealedSecretKeyRing();
        ring.AddFile(Path.Combine(data, "test-key.pem"));
        byte[] good = Convert.FromBase64String(SealedSecretSealer.SealValue("payload"u8, certificate, SealingScope.ClusterWide, null, null));
        var random = new Random(42);
        var ids = new HashSet<string>();
        for (int i = 0; i < 400; i++)
        {
            byte[] input = i % 2 == 0 ? RandomBytes(random, random.Next(0, 600)) : Mutate(random, good);
            try
            {
                byte[] plain = ring.Decrypt(input, Array.Empty<byte>());
                Assert.Equal("payload", Encoding.UTF8.GetString(plain)); // only an unchanged ciphertext may decrypt
            }
            catch (GitOpsSecOperationException e)
            {
                ids.Add(e.ErrorId);
                Assert.DoesNotContain("payload", e.Message, StringComparison.Ordinal);
            }
        }
        Assert.Equal(new[] { ErrorIds.DecryptFailed, ErrorIds.InvalidCiphertext }.OrderBy(x => x), ids.OrderBy(x => x));
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] b = new byte[length];
        random.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random random, byte[] good)
    {
        byte[] copy = random.Next(4) == 0 ? good[..random.Next(good.Length)] : (byte[])good.Clone();
        if (copy.Length > 0)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        }
        return copy;
    }
}
