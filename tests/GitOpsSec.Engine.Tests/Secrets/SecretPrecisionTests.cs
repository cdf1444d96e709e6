using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Secrets;

/// <summary>
/// What real GitOps repositories hold next to real credentials: references resolved at deploy time, SOPS and
/// SealedSecret ciphertext, password hashes, key and object names, public Firebase keys. None is a finding;
/// the real credential beside them still is.
/// </summary>
public sealed class SecretPrecisionTests
{
    private static IReadOnlyList<SecretHit> Scan(string text, string path = "values.yaml") => SecretScanner.Default.Scan(text, path);

    [Theory]
    [InlineData("op://platform/cloudflare/token")]
    [InlineData("ref+vault://secret/data/cloudflare#token")]
    [InlineData("<path:kv/data/cloudflare#token>")]
    [InlineData("ENC[AES256_GCM,data:q1w2e3r4t5y6u7i8o9p0,iv:a1s2d3f4g5h6=,tag:z1x2c3v4b5n6=,type:str]")]
    [InlineData("${CLOUDFLARE_TOKEN}")]
    [InlineData("{{ .Values.cloudflare.token }}")]
    public void A_reference_in_a_secret_is_not_plaintext(string reference)
    {
        string secret = $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: cf\n  namespace: network\nstringData:\n  CLOUDFLARE_TOKEN: \"{reference}\"\n  other: Zq8xR2vL9pWm4tYb\n";
        var hits = Scan(secret, "secret.yaml");
        // Only the real value is reported.
        SecretHit hit = Assert.Single(hits);
        Assert.Equal(("GOS2150", 8), (hit.Detector.Id, hit.Line));
    }

    [Fact]
    public void A_sops_document_hides_its_ciphertext_but_not_what_it_leaves_in_clear()
    {
        // The ENC[...] value is ciphertext. The username SOPS left in clear (its encrypted_regex or unencrypted_suffix
        // chose so) is a plaintext Secret value in Git: a sops: key, which anybody can add, does not hide it.
        string sops = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ENC[AES256_GCM,data:Zq8xR2vL9p,iv:x=,tag:y=,type:str]\n  username: admin-user-2\nsops:\n  age:\n    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n  version: 3.9.0\n";
        SecretHit hit = Assert.Single(Scan(sops, "db.sops.yaml"));
        Assert.Equal((SecretDetectorCatalog.KubernetesSecretValueId, 7), (hit.Detector.Id, hit.Line));
    }

    [Fact]
    public void Ciphertext_hashes_and_names_are_not_credentials_but_a_password_is()
    {
        string sealedValue = "AgB" + new string(Enumerable.Range(0, 400).Select(i => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"[(i * 37 + 11) % 64]).ToArray());
        string text = string.Join('\n',
            "#   encryptedData:",
            $"#     AWS_SECRET_ACCESS_KEY: {sealedValue}",
            "users:",
            "  - name: admin",
            "    passwd: $6$hJ8Yx2.qZ$wH3kz1P0q9Yk2Vb7nLm4R8cT6yU1iO5aS3dF2gH7jK9lQ0wE4rT8yU2iO6pA1sD5fG9hJ3kL7zX1cV5bN9mQ",
            "htpasswd: \"k10:$apr1$6pky9fz3$QYzAYEP2UYvcarizSvKNe.\"",
            "onepassword:",
            "  credentialsKey: 1password-credentials.json",
            "metadata:",
            "  annotations:",
            "    cert-manager.io/inject-ca-from-secret: cert-manager/cert-manager-webhook-tls",
            "frigate:",
            "  mqtt:",
            "    password: '{FRIGATE_MQTT_PASSWORD}'",
            "prometheus:",
            "  basic_auth:",
            "    password: 1NtERnALOnLYuS3",
            "");
        SecretHit hit = Assert.Single(Scan(text));
        Assert.Equal(("GOS2160", 17, "1NtERnALOnLYuS3"), (hit.Detector.Id, hit.Line, hit.Secret));
    }

    [Fact]
    public void A_firebase_web_config_key_is_public_the_same_key_alone_is_not()
    {
        string key = "AIza" + "SyQ7vR2mX9kLpW4tB8nC3dF6gH1jK5zM0qY";
        string firebase = $"const firebaseConfig = {{\n  apiKey: \"{key}\",\n  authDomain: \"corpus-prod.firebaseapp.com\",\n  projectId: \"corpus-prod\",\n}};\n";
        Assert.Empty(Scan(firebase, "web/firebase.js"));
        Assert.Equal("GOS2104", Assert.Single(Scan($"MAPS_SERVER_KEY={key}\n", "server.env")).Detector.Id);
    }

    [Fact]
    public void Provider_words_match_in_any_spelling_but_not_inside_other_words()
    {
        const string key = "3f9c2a7b1e8d4f6a0b5c9e2d7a1f4b8c";
        foreach (string line in new[] { $"AZURE_OPENAI_KEY={key}", $"\"azureOpenAiKey\": \"{key}\"", $"azure-openai:\n  key: {key}" })
        {
            Assert.Equal("azure-openai-key", Assert.Single(Scan(line + "\n", "app.env")).Detector.Name);
        }
        // "sumo" inside sumOfExposures is not Sumo Logic; a 64-character value there is nothing.
        Assert.Empty(Scan("sumOfExposures = 3Kof2VffNQ0QgYIhXUPJosVlCaQKm2hfpWE6F1fT9YGY74blQBIPsrkCcf1TwKE5;\n", "a.js"));
        // An identifier or a pinned action SHA next to a provider word is not its token.
        Assert.Empty(Scan("- uses: cloudflare/wrangler-action@5e8484995321734668f14981c316aa9188d76ed1\n  with:\n    file: ${{ env.DEFAULT_CLOUDFLARE_PROXIED_NETWORKS_FILE }}\n", "ci.yaml"));
    }

    [Theory]
    [InlineData("hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("shippo_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("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")]
    [InlineData("sk-lf-00000000-0000-0000-0000-000000000000")]
    public void Obvious_fakes_are_not_findings(string fake) => Assert.Empty(Scan($"TOKEN={fake}\n", "a.env"));

    [Fact]
    public void The_jwt_io_example_token_is_documentation()
    {
        static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string header = B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
        string example = $"{header}.{B64("{\"sub\":\"1234567890\",\"name\":\"John Doe\",\"iat\":1516239022}")}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        string real = $"{header}.{B64("{\"sub\":\"system:serviceaccount:ci:deployer\",\"iat\":1716239022}")}.Q2x8vR7mT1kLpW4tB8nC3dF6gH1jK5zM0qY9sA2eU";
        Assert.Empty(Scan($"token: {example}\n", "a.txt"));
        Assert.Equal("GOS2143", Assert.Single(Scan($"auth: {real}\n", "a.txt")).Detector.Id);
    }

    [Fact]
    public void Every_pattern_runs_in_bounded_time_on_pathological_input()
    {
        // For every detector: its keywords and words repeated, followed by long runs of the characters its values
        // use, with no terminator; and one huge line. The per-match time limit turns a blow-up into an exception.
        var random = new Random(20261202);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/=.:@ \t\"'";
        foreach (SecretDetector d in SecretDetectorCatalog.Detectors.Where(d => d.PatternText is { Length: > 0 }))
        {
            var text = new StringBuilder();
            foreach (string word in d.Keywords.Concat(d.Context).DefaultIfEmpty("token"))
            {
                for (int i = 0; i < 200; i++)
                {
                    text.Append(word).Append(i % 2 == 0 ? "=" : ": ").Append(new string(alphabet[random.Next(alphabet.Length)], 40 + i));
                }
            }
            text.Append(new string('a', 200_000));
            var scanner = new SecretScanner(new[] { d });
            Exception? error = Record.Exception(() => scanner.Scan(text.ToString(), "pathological.yaml"));
            Assert.True(error is null, $"{d.Id} {d.Name}: {error?.GetType().Name}");
        }
    }
}

public sealed class SecretManifestRuleTests
{
    [Fact]
    public void A_private_key_or_provider_token_in_any_env_value_is_GOS6108_a_reference_secret_is_not_GOS2001()
    {
        using var dir = new TempDir();
        string pem = "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBq3mQ8fV2wZkLp7nT4xR9cY1uE6aD0sJ5hG2bN8vK3oAoGCCqGSM49\\nAwEHoUQDQgAEt9Xq2LmP4vR8sW1nZ6yK0cF3jH7bD5eG9aQ2uT8xV1wM4pN6rS0o\\n-----END EC PRIVATE KEY-----";
        dir.Write("deploy.yaml", $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: signer\n  namespace: apps\nspec:\n  template:\n    spec:\n      containers:\n        - name: signer\n          image: corp/signer:1.0@sha256:{new string('a', 64)}\n          env:\n            - name: SIGNING_MATERIAL\n              value: \"{pem}\"\n            - name: UPSTREAM\n              value: https://api.corp.internal\n");
        dir.Write("secrets.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: onepassword\n  namespace: apps\nstringData:\n  token: op://platform/connect/token\n  credentials: ref+vault://kv/data/connect#json\n");
        var (findings, _) = Scan.Analyze(dir.Path);
        Assert.Contains(findings, f => f.RuleId == "GOS6108" && f.Message.Contains("SIGNING_MATERIAL", StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.RuleId == "GOS6108" && f.Message.Contains("UPSTREAM", StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.RuleId == "GOS2001");
        dir.Write("secrets.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: onepassword\n  namespace: apps\nstringData:\n  token: op://platform/connect/token\n  password: Zq8xR2vL9pWm4tYb\n");
        Assert.Contains(Scan.Analyze(dir.Path).Findings, f => f.RuleId == "GOS2001");
    }
}
