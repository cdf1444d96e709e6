using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.SealedSecrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

public class SealedSecretTests
{
    private static string Data(string file) => Path.Combine(TestPaths.RepoRoot, "tests", "data", "sealed-secrets", file);

    private static readonly SealedSecretCertificate Cert = SealedSecretCertificate.FromFile(Data("test-cert.pem"));
    private static readonly SealedSecretCertificate RotatedCert = SealedSecretCertificate.FromFile(Data("rotated-cert.pem"));

    private static SealedSecretKeyRing Ring(params string[] files)
    {
        var ring = new SealedSecretKeyRing();
        foreach (string f in files)
        {
            ring.AddFile(Data(f));
        }
        return ring;
    }

    private static YMapping Parse(string text) =>
        (YMapping)YamlDocumentReader.Read(text, "t", LoadLimits.Default, e => throw new InvalidOperationException(e.ToString())).First().Root;

    /// <summary>Decrypts with node's own crypto (tests/data/sealed-secrets/decrypt.mjs): not our code.</summary>
    internal static (int Exit, string Output) IndependentDecrypt(string keyFile, string label, string base64)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { Data("decrypt.mjs"), Data(keyFile), label, base64 })
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Theory]
    [InlineData(SealingScope.Strict, "payments/db")]
    [InlineData(SealingScope.NamespaceWide, "payments")]
    [InlineData(SealingScope.ClusterWide, "")]
    public void Values_round_trip_and_an_independent_decryptor_reads_them_with_the_scope_label(SealingScope scope, string label)
    {
        Assert.Equal(label, Encoding.UTF8.GetString(SealingScopes.Label(scope, "payments", "db")));
        string sealedValue = SealedSecretSealer.SealValue("s3cr3t ✓"u8, Cert, scope, "payments", "db");

        Assert.Equal("s3cr3t ✓", Encoding.UTF8.GetString(Ring("test-key.pem").Decrypt(Convert.FromBase64String(sealedValue), SealingScopes.Label(scope, "payments", "db"))));
        var (exit, output) = IndependentDecrypt("test-key.pem", label, sealedValue);
        Assert.Equal(0, exit);
        Assert.Equal("s3cr3t ✓", output);
        Assert.NotEqual(0, IndependentDecrypt("test-key.pem", label + "x", sealedValue).Exit);
    }

    [Fact]
    public void The_label_binds_values_to_name_and_namespace_as_the_controller_does()
    {
        byte[] strict = Convert.FromBase64String(SealedSecretSealer.SealValue("v"u8, Cert, SealingScope.Strict, "payments", "db"));
        byte[] nsWide = Convert.FromBase64String(SealedSecretSealer.SealValue("v"u8, Cert, SealingScope.NamespaceWide, "payments", "db"));
        byte[] cluster = Convert.FromBase64String(SealedSecretSealer.SealValue("v"u8, Cert, SealingScope.ClusterWide, "payments", "db"));
        SealedSecretKeyRing ring = Ring("test-key.pem");

        Assert.Equal(ErrorIds.DecryptFailed, Assert.Throws<GitOpsSecOperationException>(() => ring.Decrypt(strict, SealingScopes.Label(SealingScope.Strict, "payments", "other"))).ErrorId);
        Assert.Equal(ErrorIds.DecryptFailed, Assert.Throws<GitOpsSecOperationException>(() => ring.Decrypt(strict, SealingScopes.Label(SealingScope.Strict, "other", "db"))).ErrorId);
        Assert.Equal("v", Encoding.UTF8.GetString(ring.Decrypt(nsWide, SealingScopes.Label(SealingScope.Strict, "payments", "other")[..8])));
        Assert.Equal(ErrorIds.DecryptFailed, Assert.Throws<GitOpsSecOperationException>(() => ring.Decrypt(nsWide, SealingScopes.Label(SealingScope.NamespaceWide, "other", "db"))).ErrorId);
        Assert.Equal("v", Encoding.UTF8.GetString(ring.Decrypt(cluster, SealingScopes.Label(SealingScope.ClusterWide, "any", "thing"))));
    }

    [Theory]
    [InlineData("socialgouv-strict.json", SealingScope.Strict)]
    [InlineData("socialgouv-namespace.json", SealingScope.NamespaceWide)]
    [InlineData("socialgouv-cluster.json", SealingScope.ClusterWide)]
    public void SealedSecrets_made_by_an_independent_encryptor_are_unsealed(string file, SealingScope scope)
    {
        var expected = JsonDocument.Parse(File.ReadAllText(Data("expected-values.json"))).RootElement.GetProperty("values");
        var (objects, host) = Scan.Load(Data(file));
        Assert.Empty(host.Errors);
        SealedSecret sealedSecret = SealedSecret.FromNode(Assert.Single(objects).Node, file);
        Assert.Equal(scope, sealedSecret.Scope);

        var failures = new List<string>();
        var values = SealedSecretSealer.Unseal(sealedSecret, Ring("test-key-pkcs1.pem"), (k, _) => failures.Add(k));
        Assert.Empty(failures);
        Assert.Equal(3, values.Count);
        foreach (var (key, value) in values)
        {
            Assert.Equal(expected.GetProperty(key).GetString(), Encoding.UTF8.GetString(value));
        }
    }

    [Fact]
    public void A_raw_value_from_a_second_independent_encryptor_is_unsealed()
    {
        string raw = File.ReadAllText(Data("linode-namespace-wide.txt")).Trim();
        string expected = JsonDocument.Parse(File.ReadAllText(Data("expected-values.json"))).RootElement.GetProperty("raw").GetString()!;
        byte[] plain = Ring("test-key.pem").Decrypt(Convert.FromBase64String(raw), SealingScopes.Label(SealingScope.NamespaceWide, "payments", null));
        Assert.Equal(expected, Encoding.UTF8.GetString(plain));
    }

    [Fact]
    public void Wrong_key_truncated_tampered_and_non_base64_input_fail_with_clear_ids_and_no_plaintext()
    {
        var secret = new SecretManifest { Name = "db", Namespace = "payments", Data = { ["password"] = "hunter2-plain"u8.ToArray() } };
        SealedSecret sealedSecret = SealedSecretSealer.Seal(secret, Cert, SealingScope.Strict);
        string good = sealedSecret.EncryptedData["password"];
        byte[] bytes = Convert.FromBase64String(good);
        byte[] tampered = (byte[])bytes.Clone();
        tampered[^5] ^= 0x01;
        sealedSecret.EncryptedData["truncated"] = Convert.ToBase64String(bytes[..100]);
        sealedSecret.EncryptedData["tampered"] = Convert.ToBase64String(tampered);
        sealedSecret.EncryptedData["notbase64"] = "!!not*base64!!";

        var failures = new Dictionary<string, GitOpsSecOperationException>();
        var values = SealedSecretSealer.Unseal(sealedSecret, Ring("test-key.pem"), (k, e) => failures[k] = e);
        Assert.Equal(new[] { "password" }, values.Keys);
        Assert.Equal(ErrorIds.InvalidCiphertext, failures["truncated"].ErrorId);
        Assert.Equal(ErrorIds.DecryptFailed, failures["tampered"].ErrorId);
        Assert.Equal(ErrorIds.InvalidCiphertext, failures["notbase64"].ErrorId);

        var wrongKey = new Dictionary<string, GitOpsSecOperationException>();
        Assert.Empty(SealedSecretSealer.Unseal(sealedSecret, Ring("rotated-key.pem"), (k, e) => wrongKey[k] = e));
        Assert.Equal(ErrorIds.DecryptFailed, wrongKey["password"].ErrorId);
        Assert.All(failures.Values.Concat(wrongKey.Values), e => Assert.DoesNotContain("hunter2", e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Certificates_that_are_not_usable_are_clear_errors()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecCert = new CertificateRequest("CN=ec", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        Assert.Equal(ErrorIds.CertificateNotRsa, Assert.Throws<GitOpsSecOperationException>(() => SealedSecretCertificate.FromPem(ecCert.ExportCertificatePem(), "ec.pem")).ErrorId);
        Assert.Equal(ErrorIds.CertificateIsPrivateKey, Assert.Throws<GitOpsSecOperationException>(() => SealedSecretCertificate.FromFile(Data("test-key.pem"))).ErrorId);
        Assert.Equal(ErrorIds.CertificateInvalid, Assert.Throws<GitOpsSecOperationException>(() => SealedSecretCertificate.FromPem("garbage", "g.pem")).ErrorId);
        Assert.Equal(2048, Cert.KeySize);
        Assert.Equal("CN=sealed-secret, O=sealed-secret", Cert.Subject);
    }

    [Fact]
    public void The_manifest_keeps_type_labels_annotations_and_sets_the_scope_annotations()
    {
        var secret = new SecretManifest
        {
            Name = "tls", Namespace = "web", Type = "kubernetes.io/tls",
            Labels = { ["app"] = "web" }, Annotations = { ["team"] = "edge", ["note"] = "true" },
            Data = { ["tls.crt"] = "c"u8.ToArray(), ["tls.key"] = "k"u8.ToArray() },
        };
        SealedSecret sealedSecret = SealedSecretSealer.Seal(secret, Cert, SealingScope.NamespaceWide);
        YMapping doc = Parse(sealedSecret.ToYaml());

        Assert.Equal("bitnami.com/v1alpha1", doc.Text("apiVersion"));
        Assert.Equal("true", doc.Map("metadata")!.Map("annotations")!.Scalar(SealingScopes.NamespaceWideAnnotation)!.Value);
        Assert.False(doc.Map("metadata")!.Map("annotations")!.Scalar(SealingScopes.NamespaceWideAnnotation)!.IsPlain, "\"true\" must stay a string");
        YMapping template = doc.Map("spec")!.Map("template")!;
        Assert.Equal("kubernetes.io/tls", template.Text("type"));
        Assert.Equal("web", template.Map("metadata")!.Map("labels")!.Text("app"));
        Assert.Equal("edge", template.Map("metadata")!.Map("annotations")!.Text("team"));
        Assert.Null(template.Map("metadata")!.Map("annotations")!.Scalar("note")!.AsBoolean());
        Assert.Equal(new[] { "tls.crt", "tls.key" }, doc.Map("spec")!.Map("encryptedData")!.Entries.Select(e => e.Key.Value));
        SealedSecret reread = SealedSecret.FromNode(doc, "t");
        Assert.Equal(SealingScope.NamespaceWide, reread.Scope);
    }

    [Fact]
    public void Sealing_a_file_replaces_only_the_secret_documents_and_keeps_the_rest()
    {
        string text = "# header comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n---\n# the secret\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: payments\ndata:\n  password: aHVudGVyMg==\n---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\n";
        var errors = new List<ScanError>();
        var (rewritten, made) = SealedSecretFiles.SealSecrets(text, "f.yaml", Cert, null, null, errors.Add);
        Assert.Empty(errors);
        Assert.Single(made);
        Assert.NotNull(rewritten);
        Assert.StartsWith("# header comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n---\n# the secret\napiVersion: bitnami.com/v1alpha1\n", rewritten);
        Assert.EndsWith("---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\n", rewritten);
        Assert.DoesNotContain("aHVudGVyMg==", rewritten, StringComparison.Ordinal);
        var docs = YamlDocumentReader.Read(rewritten!, "r", LoadLimits.Default, errors.Add).ToList();
        Assert.Equal(new[] { "ConfigMap", "SealedSecret", "Service" }, docs.Select(d => ((YMapping)d.Root).Text("kind")));
    }

    [Fact]
    public void Reencrypting_moves_every_value_to_the_new_key_and_merge_keeps_other_keys()
    {
        var secret = new SecretManifest { Name = "db", Namespace = "payments", Data = { ["a"] = "1"u8.ToArray(), ["b"] = "2"u8.ToArray() } };
        SealedSecret sealedSecret = SealedSecretSealer.Seal(secret, Cert, SealingScope.Strict);
        string untouchedB = sealedSecret.EncryptedData["b"];

        SealedSecretSealer.Merge(sealedSecret, new Dictionary<string, byte[]> { ["a"] = "1b"u8.ToArray(), ["c"] = "3"u8.ToArray() }, Cert);
        Assert.Equal(untouchedB, sealedSecret.EncryptedData["b"]);
        var merged = SealedSecretSealer.Unseal(sealedSecret, Ring("test-key.pem"), (k, e) => throw e);
        Assert.Equal(new[] { "1b", "2", "3" }, merged.Values.Select(v => Encoding.UTF8.GetString(v)));

        SealedSecretSealer.Reencrypt(sealedSecret, Ring("test-key.pem"), RotatedCert);
        var rotated = SealedSecretSealer.Unseal(sealedSecret, Ring("rotated-key.pem"), (k, e) => throw e);
        Assert.Equal(3, rotated.Count);
        Assert.Empty(SealedSecretSealer.Unseal(sealedSecret, Ring("test-key.pem"), (_, _) => { }));
    }

    [Fact]
    public void A_controller_key_backup_yaml_is_a_key_ring()
    {
        using var dir = new TempDir();
        string tlsKey = Convert.ToBase64String(File.ReadAllBytes(Data("rotated-key.pem")));
        string tlsKey2 = Convert.ToBase64String(File.ReadAllBytes(Data("test-key.pem")));
        string backup = dir.Write("backup.yaml", $"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: sealed-secrets-key1\n    labels: {{sealedsecrets.bitnami.com/sealed-secrets-key: active}}\n  type: kubernetes.io/tls\n  data:\n    tls.key: {tlsKey}\n- apiVersion: v1\n  kind: Secret\n  metadata: {{name: sealed-secrets-key2}}\n  data:\n    tls.key: {tlsKey2}\n");
        var ring = new SealedSecretKeyRing();
        ring.AddFile(backup);
        Assert.Equal(2, ring.Count);
        string sealedValue = SealedSecretSealer.SealValue("x"u8, Cert, SealingScope.ClusterWide, null, null);
        Assert.Equal("x", Encoding.UTF8.GetString(ring.Decrypt(Convert.FromBase64String(sealedValue), Array.Empty<byte>())));

        string notAKey = dir.Write("cert-only.pem", File.ReadAllText(Data("test-cert.pem")));
        Assert.Equal(ErrorIds.PrivateKeyInvalid, Assert.Throws<GitOpsSecOperationException>(() => new SealedSecretKeyRing().AddFile(notAKey)).ErrorId);
    }

    [Fact]
    public void Secrets_without_a_namespace_cannot_be_sealed_for_a_namespace()
    {
        var secret = new SecretManifest { Name = "db", Data = { ["a"] = "1"u8.ToArray() } };
        Assert.Equal(ErrorIds.NamespaceRequired, Assert.Throws<GitOpsSecOperationException>(() => SealedSecretSealer.Seal(secret, Cert, SealingScope.Strict)).ErrorId);
        Assert.Single(SealedSecretSealer.Seal(secret, Cert, SealingScope.ClusterWide).EncryptedData);
    }
}

public sealed class SealedSecretCertificateStrengthTests
{
    [Theory]
    [InlineData(1024, false)]
    [InlineData(2048, true)]
    public void Certificates_with_RSA_keys_under_2048_bits_are_refused(int bits, bool accepted)
    {
        using var dir = new GitOpsSec.Tests.Shared.TempDir();
        string cert = Path.Combine(dir.Path, "cert.pem");
        GitOpsSec.Tests.Shared.Proc.Check("openssl", new[] { "req", "-x509", "-newkey", $"rsa:{bits}", "-nodes", "-keyout", Path.Combine(dir.Path, "key.pem"),
            "-out", cert, "-days", "30", "-subj", "/CN=sealed-secret" });
        if (accepted)
        {
            Assert.Equal(bits, GitOpsSec.SealedSecrets.SealedSecretCertificate.FromFile(cert).KeySize);
            return;
        }
        var e = Assert.Throws<GitOpsSec.Diagnostics.GitOpsSecOperationException>(() => GitOpsSec.SealedSecrets.SealedSecretCertificate.FromFile(cert));
        Assert.Equal("GitOpsSec.SealedSecret.WeakCertificateKey", e.ErrorId);
        Assert.Contains("1024 bits", e.Message, StringComparison.Ordinal);
    }
}
