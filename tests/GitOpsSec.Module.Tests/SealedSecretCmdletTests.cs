using System.Diagnostics;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

public class SealedSecretCmdletTests
{
    private static string Data(string file) => Path.Combine(TestPaths.RepoRoot, "tests", "data", "sealed-secrets", file);

    private static readonly string Cert = Data("test-cert.pem");
    private static readonly string Key = Data("test-key.pem");

    /// <summary>node's own crypto, not ours (tests/data/sealed-secrets/decrypt.mjs).</summary>
    private static string IndependentDecrypt(string label, string base64, string key = "test-key.pem")
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { Data("decrypt.mjs"), Data(key), label, base64 })
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "independent decryptor: " + error);
        return output;
    }

    private static Dictionary<string, string> EncryptedData(string yaml)
    {
        // The values are single-line base64 under spec.encryptedData.
        var result = new Dictionary<string, string>();
        bool inData = false;
        foreach (string line in yaml.Split('\n'))
        {
            if (line == "  encryptedData:")
            {
                inData = true;
                continue;
            }
            if (inData && line.StartsWith("    ", StringComparison.Ordinal) && line.Contains(": ", StringComparison.Ordinal))
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                result[line[..colon].Trim()] = line[(colon + 2)..].Trim();
            }
            else if (inData)
            {
                break;
            }
        }
        return result;
    }

    [Fact]
    public void Get_SealedSecretCertificate_reads_files_and_urls_and_warns_before_expiry()
    {
        using var session = new PowerShellSession();
        var cert = session.Run("Get-SealedSecretCertificate $args[0]", Cert);
        cert.AssertNoErrors();
        Assert.Empty(cert.Warnings);
        Assert.Equal(2048, (int)cert.Single().KeySize);

        using var dir = new TempDir();
        using RSA rsa = RSA.Create(2048);
        var soon = new CertificateRequest("CN=sealed-secret", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        string soonPath = dir.Write("soon.pem", soon.ExportCertificatePem());
        var warned = session.Run("Get-SealedSecretCertificate $args[0]", soonPath);
        Assert.Contains(warned.Warnings, w => w.Message.Contains("expires in", StringComparison.Ordinal));

        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string ecPath = dir.Write("ec.pem", new CertificateRequest("CN=ec", ec, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(30)).ExportCertificatePem());
        var bad = session.Run("Get-SealedSecretCertificate $args[0], $args[1], $args[2]", ecPath, Key, Cert);
        Assert.Equal(new[] { "GitOpsSec.SealedSecret.CertificateNotRsa", "GitOpsSec.SealedSecret.PrivateKeyNotCertificate" }, bad.ErrorIds);
        Assert.Single(bad.Output);

        // The controller's cert URL, served on loopback.
        using var listener = new HttpListener();
        int port = Random.Shared.Next(20000, 60000);
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serve = Task.Run(async () =>
        {
            for (int i = 0; i < 2; i++)
            {
                HttpListenerContext ctx = await listener.GetContextAsync();
                byte[] body = ctx.Request.Url!.AbsolutePath == "/v1/cert.pem" ? File.ReadAllBytes(Cert) : Array.Empty<byte>();
                ctx.Response.StatusCode = body.Length > 0 ? 200 : 404;
                await ctx.Response.OutputStream.WriteAsync(body);
                ctx.Response.Close();
            }
        });
        // Plain http is refused before any request is made, unless asked for.
        var refused = session.Run($"Get-SealedSecretCertificate -Uri http://127.0.0.1:{port}/v1/cert.pem");
        Assert.Equal(new[] { "GitOpsSec.SealedSecret.InsecureCertificateUri" }, refused.ErrorIds);
        Assert.Empty(refused.Output);
        var sealRefused = session.Run($"try {{ New-SealedSecretManifest -Name a -Namespace b -Data @{{ k = 'v' }} -CertificateUri http://127.0.0.1:{port}/v1/cert.pem }} catch {{ $_.FullyQualifiedErrorId }}");
        Assert.Contains(sealRefused.Output.Select(o => o.BaseObject as string), id => id?.StartsWith("GitOpsSec.SealedSecret.InsecureCertificateUri", StringComparison.Ordinal) == true);
        var fetched = session.Run($"Get-SealedSecretCertificate -Uri http://127.0.0.1:{port}/v1/cert.pem -AllowInsecureHttp");
        fetched.AssertNoErrors();
        Assert.Equal((string)cert.Single().Thumbprint, (string)fetched.Single().Thumbprint);
        var missing = session.Run($"Get-SealedSecretCertificate -Uri http://127.0.0.1:{port}/nope -AllowInsecureHttp");
        Assert.Equal(new[] { "GitOpsSec.SealedSecret.CertificateUnreachable" }, missing.ErrorIds);
        Assert.True(serve.Wait(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("Strict", "payments/db-credentials", null)]
    [InlineData("NamespaceWide", "payments", "sealedsecrets.bitnami.com/namespace-wide")]
    [InlineData("ClusterWide", "", "sealedsecrets.bitnami.com/cluster-wide")]
    public void New_SealedSecretManifest_output_decrypts_with_an_independent_decryptor(string scope, string label, string? annotation)
    {
        using var dir = new TempDir();
        string file = dir.Write("ca.crt", "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n");
        using var session = new PowerShellSession();
        var result = session.Run(
            "$pw = [securestring]::new(); 'p@ss w0rd'.ToCharArray() | ForEach-Object { $pw.AppendChar($_) }; " +
            "New-SealedSecretManifest db-credentials -Namespace payments -Data @{ username = 'app'; password = $pw; blob = [byte[]](0, 255, 7) } " +
            "-FromFile \"ca.crt=$($args[1])\" -Labels @{ app = 'payments' } -Type Opaque -Scope $args[2] -CertificatePath $args[0]",
            Cert, file, scope);
        result.AssertNoErrors();
        string yaml = (string)result.SingleValue();
        var data = EncryptedData(yaml);
        Assert.Equal(new[] { "blob", "ca.crt", "password", "username" }, data.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal("app", IndependentDecrypt(label, data["username"]));
        Assert.Equal("p@ss w0rd", IndependentDecrypt(label, data["password"]));
        Assert.Equal(File.ReadAllText(file), IndependentDecrypt(label, data["ca.crt"]));
        Assert.Contains("app: payments", yaml, StringComparison.Ordinal);
        if (annotation is null)
        {
            Assert.DoesNotContain("sealedsecrets.bitnami.com/", yaml, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"{annotation}: \"true\"", yaml, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("p@ss", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvertTo_SealedSecret_replaces_secrets_in_place_keeps_other_documents_and_honours_WhatIf()
    {
        using var dir = new TempDir();
        string original = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n---\n# credentials\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: payments\n  labels: {app: db}\ndata:\n  password: aHVudGVyMi1wbGFpbg==\nstringData:\n  user: admin\n";
        string file = dir.Write("apps/db.yaml", original);
        dir.Write("apps/other.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\n");
        using var session = new PowerShellSession();

        var whatIf = session.Run("ConvertTo-SealedSecret -Path $args[0] -CertificatePath $args[1] -ReplaceInPlace -WhatIf", dir.Path, Cert);
        whatIf.AssertNoErrors();
        Assert.Equal(original, File.ReadAllText(file));

        var done = session.Run("Get-GitOpsManifest $args[0] -Kind Secret | ConvertTo-SealedSecret -CertificatePath $args[1] -ReplaceInPlace -PassThru | ForEach-Object Name", dir.Path, Cert);
        done.AssertNoErrors();
        Assert.Equal("db.yaml", (string)done.SingleValue());
        string rewritten = File.ReadAllText(file);
        Assert.StartsWith("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n---\n# credentials\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n", rewritten);
        Assert.DoesNotContain("aHVudGVyMi1wbGFpbg==", rewritten, StringComparison.Ordinal);
        Assert.Equal("hunter2-plain", IndependentDecrypt("payments/db", EncryptedData(rewritten)["password"]));
        Assert.Equal("admin", IndependentDecrypt("payments/db", EncryptedData(rewritten)["user"]));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "apps"), ".*.tmp"));

        // Now the repository passes the plaintext-secret rule.
        var findings = session.Run("Test-GitOpsManifest $args[0] -Rule plaintext-secret", dir.Path);
        Assert.Empty(findings.Output);
    }

    [Fact]
    public void Output_files_honour_NoClobber_and_Force_like_the_PowerShell_file_cmdlets()
    {
        using var dir = new TempDir();
        using var session = new PowerShellSession(dir.Path);
        string sealedFile = dir.Write("db.sealed.yaml", "keep me\n");
        var refused = session.Run("New-SealedSecretManifest db -Namespace payments -Data @{ a = 'one' } -CertificatePath $args[0] -OutFile $args[1] -NoClobber", Cert, sealedFile);
        Assert.Equal(new[] { "GitOpsSec.File.Exists" }, refused.ErrorIds);
        Assert.Equal("keep me\n", File.ReadAllText(sealedFile));
        File.SetUnixFileMode(sealedFile, UnixFileMode.UserRead);
        var readOnly = session.Run("New-SealedSecretManifest db -Namespace payments -Data @{ a = 'one' } -CertificatePath $args[0] -OutFile $args[1]", Cert, sealedFile);
        Assert.Equal(new[] { "GitOpsSec.File.ReadOnly" }, readOnly.ErrorIds);
        session.Run("New-SealedSecretManifest db -Namespace payments -Data @{ a = 'one' } -CertificatePath $args[0] -OutFile $args[1] -Force", Cert, sealedFile).AssertNoErrors();
        Assert.Contains("kind: SealedSecret", File.ReadAllText(sealedFile), StringComparison.Ordinal);

        string baseline = dir.Write("baseline.json", "{}\n");
        dir.Write("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]\n");
        var noClobber = session.Run("Test-GitOpsManifest ./pod.yaml | Export-GitOpsBaseline $args[0] -NoClobber", baseline);
        Assert.Equal(new[] { "GitOpsSec.File.Exists" }, noClobber.ErrorIds);
        Assert.Equal("{}\n", File.ReadAllText(baseline));
        session.Run("Test-GitOpsManifest ./pod.yaml | Export-GitOpsBaseline $args[0]", baseline).AssertNoErrors();
        Assert.Contains("GOS1003", File.ReadAllText(baseline), StringComparison.Ordinal);
    }

    [Fact]
    public void Unprotect_SealedSecret_AsPlainText_returns_binary_values_intact()
    {
        using var dir = new TempDir();
        using var session = new PowerShellSession(dir.Path);
        string file = Path.Combine(dir.Path, "blob.sealed.yaml");
        session.Run("New-SealedSecretManifest blob -Namespace payments -Data @{ blob = [byte[]](0, 255, 7, 128) } -CertificatePath $args[0] -OutFile $args[1]", Cert, file).AssertNoErrors();
        var plain = session.Run("(Unprotect-SealedSecret -Path $args[0] -PrivateKeyPath $args[1] -AsPlainText).Data['blob'] -join ','", file, Key);
        plain.AssertNoErrors();
        Assert.Equal("0,255,7,128", (string)plain.SingleValue());
    }

    [Fact]
    public void ConvertTo_SealedSecret_ReplaceInPlace_is_all_or_nothing_per_file()
    {
        using var dir = new TempDir();
        string original = "apiVersion: v1\nkind: Secret\nmetadata: {name: good, namespace: payments}\nstringData: {token: s3cr3t-value-one}\n---\n" +
            "apiVersion: v1\nkind: Secret\nmetadata: {name: broken, namespace: payments}\ndata: {password: '%%% not base64 %%%'}\n";
        string file = dir.Write("secrets.yaml", original);
        using var session = new PowerShellSession();
        var run = session.Run("ConvertTo-SealedSecret -Path $args[0] -CertificatePath $args[1] -ReplaceInPlace", file, Cert);
        Assert.Contains("GitOpsSec.SealedSecret.FileNotRewritten", run.ErrorIds);
        Assert.Equal(original, File.ReadAllText(file)); // not one Secret sealed next to a plaintext one
        Assert.DoesNotContain(run.Errors, e => e.ToString().Contains("s3cr3t-value-one", StringComparison.Ordinal));
    }

    [Fact]
    public void ConvertTo_SealedSecret_reports_non_secrets_and_bad_data_without_printing_values()
    {
        using var session = new PowerShellSession();
        var result = session.Run(
            "$yaml = \"apiVersion: v1`nkind: Secret`nmetadata: {name: s, namespace: n}`ndata: {token: 'not base64 hunter2!'}\"; " +
            "$yaml, \"apiVersion: v1`nkind: ConfigMap`nmetadata: {name: c}\", \"apiVersion: v1`nkind: Secret`nmetadata: {name: ok}`nstringData: {a: b}\" | " +
            "ConvertTo-SealedSecret -CertificatePath $args[0] -AsObject", Cert);
        Assert.Equal(new[] { "GitOpsSec.SealedSecret.InvalidSecretData", "GitOpsSec.SealedSecret.NotASecret", "GitOpsSec.SealedSecret.NamespaceRequired" }, result.ErrorIds);
        Assert.All(result.Errors, e => Assert.DoesNotContain("hunter2", e.ToString(), StringComparison.Ordinal));
        Assert.Empty(result.Output);

        var withNamespace = session.Run("\"apiVersion: v1`nkind: Secret`nmetadata: {name: ok}`nstringData: {a: b}\" | ConvertTo-SealedSecret -CertificatePath $args[0] -Namespace team -AsObject", Cert);
        withNamespace.AssertNoErrors();
        Assert.Equal("team", (string)withNamespace.Single().Namespace);
    }

    [Fact]
    public void Unprotect_SealedSecret_returns_SecureStrings_unless_AsPlainText_and_reads_independent_fixtures()
    {
        using var session = new PowerShellSession();
        var secure = session.Run("Get-GitOpsManifest $args[0] | Unprotect-SealedSecret -PrivateKeyPath $args[1]", Data("socialgouv-strict.json"), Key);
        secure.AssertNoErrors();
        var recovered = secure.Single();
        Assert.IsType<SecureString>(((System.Collections.Hashtable)recovered.Data)["password"]);
        Assert.DoesNotContain("c0rrect", recovered.ToString(), StringComparison.Ordinal);

        var plain = session.Run("(Unprotect-SealedSecret -Path $args[0] -PrivateKeyPath $args[1] -AsPlainText).Data.password", Data("socialgouv-namespace.json"), Key);
        plain.AssertNoErrors();
        Assert.Equal("c0rrect-h0rse-battery-staple", (string)plain.SingleValue());

        var wrongKey = session.Run("Unprotect-SealedSecret -Path $args[0] -PrivateKeyPath $args[1]", Data("socialgouv-cluster.json"), Data("rotated-key.pem"));
        Assert.Equal(3, wrongKey.Errors.Count);
        Assert.All(wrongKey.ErrorIds, id => Assert.Equal("GitOpsSec.SealedSecret.DecryptFailed", id));
        Assert.Empty(wrongKey.Output);

        var notSealed = session.Run("Get-GitOpsManifest ./examples/hardened-repo/jobs | Unprotect-SealedSecret -PrivateKeyPath $args[0]", Key);
        Assert.Equal(new[] { "GitOpsSec.SealedSecret.NotASealedSecret" }, notSealed.ErrorIds);

        var noKey = session.Run("Unprotect-SealedSecret -Path $args[0] -PrivateKeyPath $args[1]", Data("socialgouv-strict.json"), Cert);
        Assert.Contains("GitOpsSec.SealedSecret.InvalidPrivateKey", noKey.ErrorIds);
    }

    [Fact]
    public void Update_SealedSecret_rotates_files_to_a_new_certificate_and_merge_adds_keys()
    {
        using var dir = new TempDir();
        using var session = new PowerShellSession();
        string file = Path.Combine(dir.Path, "db.sealed.yaml");
        session.Run("New-SealedSecretManifest db -Namespace payments -Data @{ a = 'one'; b = 'two' } -CertificatePath $args[0] -OutFile $args[1]", Cert, file).AssertNoErrors();
        string before = File.ReadAllText(file);
        string untouchedA = EncryptedData(before)["a"];

        session.Run("New-SealedSecretManifest -MergeInto $args[1] -Data @{ b = 'TWO'; c = 'three' } -CertificatePath $args[0]", Cert, file).AssertNoErrors();
        var merged = EncryptedData(File.ReadAllText(file));
        Assert.Equal(untouchedA, merged["a"]);
        Assert.Equal("TWO", IndependentDecrypt("payments/db", merged["b"]));
        Assert.Equal("three", IndependentDecrypt("payments/db", merged["c"]));

        var rotated = session.Run("Update-SealedSecret $args[0] -PrivateKeyPath $args[1] -CertificatePath $args[2] -PassThru", dir.Path, Key, Data("rotated-cert.pem"));
        rotated.AssertNoErrors();
        Assert.Equal(new[] { "a", "b", "c" }, ((string[])rotated.Single().Keys).OrderBy(k => k));
        var after = EncryptedData(File.ReadAllText(file));
        Assert.Equal("one", IndependentDecrypt("payments/db", after["a"], "rotated-key.pem"));
        Assert.Equal("TWO", IndependentDecrypt("payments/db", after["b"], "rotated-key.pem"));

        // The old key no longer opens it: a second rotation with the old key changes nothing.
        string rotatedText = File.ReadAllText(file);
        var again = session.Run("Update-SealedSecret $args[0] -PrivateKeyPath $args[1] -CertificatePath $args[2]", dir.Path, Key, Cert);
        Assert.Contains("GitOpsSec.SealedSecret.DecryptFailed", again.ErrorIds);
        Assert.Equal(rotatedText, File.ReadAllText(file));
    }

    [Fact]
    public void Protect_SealedSecretValue_seals_one_value_for_its_scope()
    {
        using var session = new PowerShellSession();
        var result = session.Run("'raw-value' | Protect-SealedSecretValue -Name api -Namespace web -CertificatePath $args[0]", Cert);
        result.AssertNoErrors();
        Assert.Equal("raw-value", IndependentDecrypt("web/api", (string)result.SingleValue()));

        var missing = session.Run("'x' | Protect-SealedSecretValue -Namespace web -CertificatePath $args[0]", Cert);
        Assert.Equal(new[] { "GitOpsSec.SealedSecret.NamespaceRequired" }, missing.ErrorIds);

        var noCert = session.Run("try { 'x' | Protect-SealedSecretValue -Name a -Namespace b -CertificatePath $args[0] } catch { $_.FullyQualifiedErrorId }", Key);
        Assert.StartsWith("GitOpsSec.SealedSecret.PrivateKeyNotCertificate", (string)noCert.SingleValue(), StringComparison.Ordinal);
    }
}
