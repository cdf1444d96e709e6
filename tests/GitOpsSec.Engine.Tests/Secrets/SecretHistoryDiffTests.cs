using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Secrets;

/// <summary>
/// The history scan reads what each commit adds, as `git log -p` shows it: git (its patches, pickaxe and
/// grep) decides which commit added which line, and openssl makes the private keys.
/// </summary>
public sealed class SecretHistoryDiffTests
{
    private static List<SecretFinding> History(string path, HistoryOptions? history = null, CollectingHost? host = null) =>
        SecretSearch.ScanHistory(path, history ?? new HistoryOptions(), new SecretScanOptions(), host ?? new CollectingHost(), new SecretScanStatistics()).ToList();

    /// <summary>Lines git's patch for <paramref name="range"/> adds to <paramref name="path"/> (without the leading '+').</summary>
    private static List<string> AddedByGit(GitRepo repo, string range, string path) =>
        repo.Git("log", "-p", "--no-renames", "--format=", range, "--", path).Split('\n')
            .Where(l => l.StartsWith('+') && !l.StartsWith("+++", StringComparison.Ordinal)).Select(l => l[1..]).ToList();

    private static int LineInCommit(GitRepo repo, string commit, string path, string needle) =>
        int.Parse(repo.Git("grep", "-n", "-F", needle, commit, "--", path).Split(':')[2]);

    [Fact]
    public void A_secret_added_beside_an_old_one_is_reported_at_its_own_commit_and_line()
    {
        using var repo = new GitRepo();
        string first = FakeTokens.GitHub(51), second = FakeTokens.GitHub(52);
        var lines = Enumerable.Range(1, 40).Select(i => $"key{i}: value{i}").ToList();
        lines[20] = $"token: {first}";
        repo.Write("values.yaml", string.Join('\n', lines) + "\n");
        string c1 = repo.Commit("first token");
        lines.Insert(22, $"other_token: {second}"); // two lines below the old token: inside the patch's context
        lines[5] = "key6: changed";
        repo.Write("values.yaml", string.Join('\n', lines) + "\n");
        string c2 = repo.Commit("second token and an unrelated edit");

        var found = History(repo.Path).OrderBy(f => f.Line).ToList();
        Assert.Equal(new[] { (c1, LineInCommit(repo, c1, "values.yaml", first)), (c2, LineInCommit(repo, c2, "values.yaml", second)) },
            found.Select(f => (f.Commit!, f.Line)));
        // git agrees on what the second commit added: the new token's line, not the old one's.
        Assert.Contains(AddedByGit(repo, $"{c1}..{c2}", "values.yaml"), l => l.Contains(second));
        Assert.DoesNotContain(AddedByGit(repo, $"{c1}..{c2}", "values.yaml"), l => l.Contains(first));
    }

    [Fact]
    public void A_range_reports_nothing_for_a_secret_that_is_only_context_in_its_patches()
    {
        using var repo = new GitRepo();
        string token = FakeTokens.GitHub(53);
        repo.Write("app.env", $"A=1\nTOKEN={token}\nB=2\n");
        string leaked = repo.Commit("leak");
        repo.Write("app.env", $"A=10\nTOKEN={token}\nB=20\n"); // edits both neighbours of the token's line
        repo.Commit("edit around it");
        string range = $"{leaked}..HEAD";
        Assert.DoesNotContain(AddedByGit(repo, range, "app.env"), l => l.Contains(token)); // git: the token is context here
        Assert.Empty(History(repo.Path, new HistoryOptions { Range = range }));
        Assert.Equal(leaked, Assert.Single(History(repo.Path)).Commit);
    }

    [Fact]
    public void A_private_key_replaced_between_unchanged_armour_lines_is_found_at_the_replacing_commit()
    {
        using var repo = new GitRepo();
        using var dir = new TempDir();
        string Key(string name)
        {
            Proc.Check("openssl", new[] { "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name }, dir.Path);
            return File.ReadAllText(Path.Combine(dir.Path, name));
        }
        string before = Key("one.pem"), after = Key("two.pem");
        string config = "# deploy key\nserver: git.example.com\n";
        repo.Write("deploy/id_rsa", config + before);
        string c1 = repo.Commit("deploy key");
        repo.Write("deploy/id_rsa", config + after);
        string c2 = repo.Commit("rotate the deploy key");

        // git: the armour lines are unchanged context, the body lines are added.
        var added = AddedByGit(repo, $"{c1}..{c2}", "deploy/id_rsa");
        Assert.DoesNotContain(added, l => l.StartsWith("-----", StringComparison.Ordinal));
        Assert.NotEmpty(added);

        var found = History(repo.Path).Where(f => f.RuleId == "GOS2142").ToList();
        Assert.Equal(new[] { c1, c2 }, found.Select(f => f.Commit!));
        Assert.All(found, f => Assert.Equal(3, f.Line)); // the BEGIN line, after the two lines of config
    }

    [Fact]
    public void A_changed_value_deep_in_a_kubernetes_secret_is_read_with_its_whole_document()
    {
        using var repo = new GitRepo();
        string Secret(string password)
        {
            var sb = new StringBuilder("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\ntype: Opaque\ndata:\n");
            for (int i = 0; i < 30; i++)
            {
                sb.Append($"  field{i}: {Convert.ToBase64String(Encoding.UTF8.GetBytes($"value-{i}"))}\n");
            }
            sb.Append($"  password: {Convert.ToBase64String(Encoding.UTF8.GetBytes(password))}\n");
            return sb.ToString();
        }
        repo.Write("shop/db-secret.yaml", Secret("Xk9#mQ2$vL7pR4wZ"));
        repo.Commit("db secret");
        repo.Write("shop/db-secret.yaml", Secret("Tq8!nB3@hJ6sW1yE"));
        string rotated = repo.Commit("rotate");
        // The data lines are far from `kind: Secret`: only the whole document says they are a Secret's values.
        var atRotation = History(repo.Path).Where(f => f.Commit == rotated).ToList();
        SecretFinding f = Assert.Single(atRotation);
        Assert.Equal("Tq8!nB3@hJ6sW1yE", SecretSearch.ScanHistory(repo.Path, new HistoryOptions(), new SecretScanOptions { ShowSecret = true }, new CollectingHost(), new())
            .Single(x => x.Commit == rotated).Secret);
        Assert.Equal(LineInCommit(repo, rotated, "shop/db-secret.yaml", "password:"), f.Line);
    }

    [Fact]
    public void Moving_a_file_reports_its_secrets_at_the_new_path_once_and_reverting_an_edit_adds_nothing()
    {
        using var repo = new GitRepo();
        string token = FakeTokens.GitHub(54);
        repo.Write("old/app.env", $"TOKEN={token}\n");
        string c1 = repo.Commit("leak");
        repo.Git("mv", "old", "new");
        string moved = repo.Commit("move");
        repo.Write("new/app.env", $"TOKEN={token}\nX=1\n");
        repo.Commit("edit");
        repo.Write("new/app.env", $"TOKEN={token}\n");
        repo.Commit("revert the edit");
        Assert.Equal(new[] { ("old/app.env", c1), ("new/app.env", moved) }, History(repo.Path).Select(f => (f.Path, f.Commit!)));
    }

    /// <summary>
    /// Kubernetes Secret documents in every spelling YAML and JSON allow: whenever YamlDotNet (through the
    /// reader the Secret pass uses) reads a document whose root kind is Secret or SealedSecret, the cheap
    /// test that decides whether to parse at all must say yes.
    /// </summary>
    [Theory]
    [InlineData("apiVersion: v1\nkind: Secret\ndata:\n  a: YQ==\n", true)]
    [InlineData("  apiVersion: v1\n  kind: Secret\n  data:\n    a: YQ==\n", true)] // an indented root mapping
    [InlineData("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Secret\",\n  \"data\": {\"a\": \"YQ==\"}\n}\n", true)]
    [InlineData("{\"apiVersion\":\"v1\",\"data\":{\"a\":\"YQ==\"},\"kind\":\"Secret\"}", true)]
    [InlineData("{apiVersion: v1, kind: Secret, data: {a: YQ==}}\n", true)]
    [InlineData("apiVersion: v1\nkind: !!str Secret\ndata:\n  a: YQ==\n", true)]
    [InlineData("apiVersion: v1\nkind:\n  Secret\ndata:\n  a: YQ==\n", true)]
    [InlineData("apiVersion: v1\nkind: |-\n  Secret\ndata:\n  a: YQ==\n", true)]
    [InlineData("x: &k Secret\n---\napiVersion: v1\nkind: &k2 Secret\ndata:\n  a: YQ==\n", true)]
    [InlineData("apiVersion: v1\nkind: \"\\x53ecret\"\ndata:\n  a: YQ==\n", true)]
    [InlineData("apiVersion: v1\nkind: \"\\u0053ecret\"\ndata:\n  a: YQ==\n", true)]
    [InlineData("apiVersion: v1\nkind: \"Sec\\\n  ret\"\ndata:\n  a: YQ==\n", true)]
    [InlineData("apiVersion: v1\n\"ki\\\n  nd\": Secret\ndata:\n  a: YQ==\n", null)] // not YAML a parser reads as a kind (an implicit key is one line); parsed anyway
    [InlineData("--- kind: Secret\n", null)] // likewise: no block mapping on the document marker's line
    [InlineData("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData:\n    a: AgB=\n", true)]
    [InlineData("kind: HelmRelease\nspec:\n  valuesFrom:\n    - kind: Secret\n      name: app-values\n", false)]
    [InlineData("kind: ExternalSecret\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n", false)]
    [InlineData("kind: CustomResourceDefinition\nspec:\n  description: The Secret to read, a kind: Secret-like object.\n", false)]
    [InlineData("kind: Deployment\nspec:\n  env:\n    - name: existingSecret\n      value: \"Secret\"\n", false)]
    public void The_prefilter_never_skips_a_document_the_yaml_reader_reads_as_a_secret(string text, bool? isSecret)
    {
        var kinds = new List<string?>();
        try
        {
            kinds.AddRange(YamlDocumentReader.Read(text, "t.yaml", LoadLimits.Default, _ => { }).Select(d => (d.Root as YMapping)?.Text("kind")));
        }
        catch (YamlDotNet.Core.YamlException)
        {
        }
        Assert.Equal(isSecret == true, kinds.Any(k => k is "Secret" or "SealedSecret"));
        if (isSecret is null)
        {
            Assert.True(SecretScanner.MayDeclareSecret(text), text); // parsing a document that is not a Secret costs time, never a finding
        }
        else if (isSecret == true)
        {
            Assert.True(SecretScanner.MayDeclareSecret(text), text);
        }
        else
        {
            Assert.False(SecretScanner.MayDeclareSecret(text), text); // noise that fills GitOps repositories is not parsed
        }
    }

    [Fact]
    public void Randomly_spelled_secret_documents_are_all_parsed()
    {
        var random = new Random(11);
        string[] keyStyles = { "kind", "\"kind\"", "'kind'" };
        int secrets = 0;
        string[] valueStyles = { "Secret", "\"Secret\"", "'Secret'", "!!str Secret", "&a Secret", "\n  Secret", "|\n  Secret", ">-\n  Secret", "\"\\x53ecret\"", "\"Se\\u0063ret\"" };
        for (int i = 0; i < 300; i++)
        {
            string indent = new(' ', random.Next(0, 4));
            var lines = new List<string> { "apiVersion: v1", "metadata:\n" + indent + "  name: x" };
            lines.Insert(random.Next(lines.Count + 1), $"{keyStyles[random.Next(keyStyles.Length)]}: {valueStyles[random.Next(valueStyles.Length)].Replace("\n", "\n" + indent)}");
            string text = (random.Next(3) == 0 ? "# leading comment\n" : string.Empty) + string.Join('\n', lines.Select(l => indent + l)) + "\n" + indent + "data:\n" + indent + "  a: YQ==\n";
            bool secret = YamlDocumentReader.Read(text, "t.yaml", LoadLimits.Default, _ => { }).Any(d => (d.Root as YMapping)?.Text("kind") == "Secret");
            if (secret)
            {
                secrets++;
                Assert.True(SecretScanner.MayDeclareSecret(text), text);
            }
        }
        Assert.True(secrets > 150, $"only {secrets} of the generated documents are Secrets to YamlDotNet");
    }
}

/// <summary>A blob over the size limit is refused from its header, before it is read, and the rest of the history is still scanned.</summary>
public sealed class SecretHistoryLimitTests
{
    [Fact]
    public void An_oversized_blob_is_an_error_with_its_path_and_the_other_changes_are_scanned()
    {
        using var repo = new GitRepo();
        repo.Write("big/dump.sql", new string('x', 3 * 1024 * 1024)); // compresses to a few KB in git: only its header tells its size
        repo.Write("app.env", $"T={FakeTokens.GitHub(61)}\n");
        repo.Commit("a dump and a token");
        repo.Write("big/dump.sql", new string('y', 3 * 1024 * 1024));
        repo.Commit("a new dump");
        var host = new CollectingHost();
        var stats = new SecretScanStatistics();
        var found = SecretSearch.ScanHistory(repo.Path, new HistoryOptions(), new SecretScanOptions { MaxFileSize = 1024 * 1024 }, host, stats).ToList();
        Assert.Equal("app.env", Assert.Single(found).Path);
        Assert.Equal(new[] { (ErrorIds.SecretFileTooLarge, "big/dump.sql"), (ErrorIds.SecretFileTooLarge, "big/dump.sql") },
            host.Errors.Select(e => (e.ErrorId, e.Target!)));
        Assert.Equal(2, stats.TooLarge);
    }
}

/// <summary>A SealedSecret document is read only when a pattern matched inside it, and then its ciphertext is still ignored.</summary>
public sealed class SealedSecretDeferralTests
{
    [Fact]
    public void A_short_ciphertext_under_encryptedData_is_ignored_and_the_same_value_elsewhere_is_found()
    {
        // Shaped like a token, so the patterns match it; too short for any ciphertext shape test to know it.
        string value = FakeTokens.GitHub(71);
        string sealedDoc = $"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\nspec:\n  encryptedData:\n    password: {value}\n";
        string configMap = $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  password: {value}\n";
        Assert.Empty(SecretScanner.Default.Scan(sealedDoc, "sealed.yaml"));
        Assert.Contains(SecretScanner.Default.Scan(configMap, "cm.yaml"), h => h.Secret == value);
        // Both in one file: the ConfigMap's value is found at its line, the SealedSecret's is not.
        string combined = sealedDoc + "---\n" + configMap;
        int configMapLine = combined.Split('\n').ToList().FindLastIndex(l => l.Contains(value, StringComparison.Ordinal)) + 1;
        Assert.Equal(new[] { configMapLine }, SecretScanner.Default.Scan(combined, "both.yaml").Where(h => h.Secret == value).Select(h => h.Line));
    }
}

/// <summary>
/// A SOPS-encrypted Secret is judged value by value (SOPS's own format: ENC[AES256_GCM,data:…,iv:…,tag:…,type:…],
/// and keys its unencrypted_suffix leaves in clear text), so a sops: key cannot hide a plaintext value.
/// </summary>
public sealed class SopsSecretTests
{
    private static string Enc(int bytes) =>
        $"ENC[AES256_GCM,data:{Convert.ToBase64String(Enumerable.Range(0, bytes).Select(i => (byte)(i * 37 % 256)).ToArray())},iv:q83vEjRWeJCrze8SNFZ4kA==,tag:ESIzRFVmd4iZqrvM3e/wEQ==,type:str]";

    [Fact]
    public void Ciphertext_is_ignored_and_a_clear_value_under_a_sops_key_is_reported()
    {
        string sops = "sops:\n    age:\n        - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: " + Enc(32) + "\n    unencrypted_suffix: _unencrypted\n    version: 3.8.1\n";
        string encrypted = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n" +
            $"  password: {Enc(24)}\n  config.yaml: {Enc(6000)}\n" + sops; // a config file encrypted whole: longer than 4,096 characters
        Assert.Empty(SecretScanner.Default.Scan(encrypted, "secret.sops.yaml"));

        string forged = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n  password: Xk9#mQ2$vL7pR4wZ\n" + sops;
        SecretHit hit = Assert.Single(SecretScanner.Default.Scan(forged, "secret.sops.yaml"));
        Assert.Equal((SecretDetectorCatalog.KubernetesSecretValueId, 6), (hit.Detector.Id, hit.Line));

        string partly = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n" +
            $"  password: {Enc(24)}\n  token_unencrypted: Tq8!nB3@hJ6sW1yE\n" + sops;
        Assert.Equal(new[] { 7 }, SecretScanner.Default.Scan(partly, "secret.sops.yaml").Select(h => h.Line));
    }
}
