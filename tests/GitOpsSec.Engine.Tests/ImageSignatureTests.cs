using GitOpsSec.Rules;
using GitOpsSec.Rules.Images;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Which policy verifies which image, held to each controller's own documented matching (policy-controller's glob
/// rules and Kyverno's image spelling, as their sources and tests state them; cases written for this suite), and
/// the identity and key verdicts held to independent tools: openssl makes the keys, Python's regex engine shows
/// that a subject regexp judged unconstrained really admits an identity an attacker can obtain.
/// </summary>
public class ImageSignatureTests
{
    // policy-controller pkg/apis/glob: '*' is any run without '/', '**' any run; "*" and "*/*" mean Docker Hub;
    // the image is read as go-containerregistry names it (index.docker.io, library/, :latest), and, when that
    // differs, as written (a deprecated fallback); invalid globs and references match nothing.
    [Theory]
    [InlineData("foo", "index.docker.io/library/foo:latest", true)]
    [InlineData("foo", "index.docker.io/library/foo:*", true)]
    [InlineData("foo", "index.docker.io/library/*", true)]
    [InlineData("foo", "index.docker.io/*/*", true)]
    [InlineData("foo", "index.docker.io/**", true)]
    [InlineData("foo", "**", true)]
    [InlineData("foo", "*", true)]
    [InlineData("foo", "foo", true)]
    [InlineData("foo", "docker.io/library/foo:latest", false)]
    [InlineData("myuser/myapp", "*/*", true)]
    [InlineData("myuser/myapp", "index.docker.io/myuser/*", true)]
    [InlineData("myuser/myapp", "index.docker.io/library/*", false)]
    [InlineData("ghcr.io/foo/bar", "ghcr.io/*/*", true)]
    [InlineData("ghcr.io/foo", "ghcr.io/*/*", false)]
    [InlineData("ghcr.io/foo/bar/baz", "ghcr.io/*/*", false)]
    [InlineData("ghcr.io/foo/bar/baz", "ghcr.io/**", true)]
    [InlineData("ghcr.io/foo", "ghcr.io/foo*", true)]
    [InlineData("prefix-ghcr.io/foo", "ghcr.io/foo", false)]
    [InlineData("ghcr.io/foo-suffix", "ghcr.io/foo", false)]
    [InlineData("ghcrxio/foo", "ghcr.io/**", false)]
    [InlineData("ghcr.io/foo:v1", "ghcr.io/foo:*", true)]
    [InlineData("ghcr.io/foo@sha256:5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350", "ghcr.io/foo@sha256:5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350", true)]
    // A glob without a tag or digest part matches an image written the same way, but not the same image pinned by
    // digest (the shape of a real repository's policy: its pinned images matched none of its globs).
    [InlineData("ghcr.io/acme/app", "ghcr.io/acme/app", true)]
    [InlineData("ghcr.io/acme/app@sha256:5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350", "ghcr.io/acme/app", false)]
    [InlineData("ghcr.io/acme/app@sha256:5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350", "ghcr.io/acme/app@**", true)]
    public void Policy_controller_globs_match_as_its_glob_package_does(string image, string glob, bool expected)
    {
        var (forms, error) = ImageForms.PolicyController(image, resolved: false);
        Assert.Null(error);
        var regex = ImageForms.CompileGlob(glob);
        Assert.NotNull(regex);
        Assert.Equal(expected, forms.Any(regex!.IsMatch));
    }

    [Theory]
    [InlineData("[a-z]*")]
    [InlineData(".+")]
    [InlineData("ghcr.io/foo?")]
    [InlineData("")]
    public void Policy_controller_rejects_globs_outside_its_alphabet(string glob) => Assert.Null(ImageForms.CompileGlob(glob));

    [Fact]
    public void Policy_controller_matches_after_resolving_the_tag_to_a_digest()
    {
        // The mutating webhook rewrites ghcr.io/acme/app:v1 to ghcr.io/acme/app:v1@sha256:..., and the validator reads
        // that as ghcr.io/acme/app@sha256:... (or, failing that, as written): a glob for one exact tag no longer matches.
        var (forms, _) = ImageForms.PolicyController("ghcr.io/acme/app:v1");
        Assert.DoesNotContain(forms, f => ImageForms.CompileGlob("ghcr.io/acme/app:v1")!.IsMatch(f));
        Assert.Contains(forms, f => ImageForms.CompileGlob("ghcr.io/acme/app:*")!.IsMatch(f));
        Assert.Contains(forms, f => ImageForms.CompileGlob("ghcr.io/acme/*")!.IsMatch(f));
        // Upper case is not a valid repository: the pod is refused, so it is never "covered".
        Assert.NotNull(ImageForms.PolicyController("ghcr.io/Acme/app:v1").Error);
    }

    // Kyverno pkg/utils/image: docker.io is added (no library/ prefix), the tag defaults to latest, a digest replaces the tag.
    [Theory]
    [InlineData("nginx", "docker.io/nginx:latest")]
    [InlineData("nginx:v10.3", "docker.io/nginx:v10.3")]
    [InlineData("test/nginx", "docker.io/test/nginx:latest")]
    [InlineData("docker.io/test/nginx:v10.3", "docker.io/test/nginx:v10.3")]
    [InlineData("localhost:4443/test/nginx", "localhost:4443/test/nginx:latest")]
    [InlineData("ghcr.io/acme/app:1.0@sha256:dead07b4d8ed7e29e98de0f4504d87e8880d4347859d839686a31da35a3b532f", "ghcr.io/acme/app@sha256:dead07b4d8ed7e29e98de0f4504d87e8880d4347859d839686a31da35a3b532f")]
    public void Kyverno_spells_images_as_its_image_info_does(string image, string expected) =>
        Assert.Equal(expected, ImageForms.Kyverno(image));

    [Theory]
    // Kyverno's '*' crosses '/': a pattern for an owner covers its nested repositories, never a longer owner name.
    [InlineData("ghcr.io/acme/*", "ghcr.io/acme/team/app:1", true)]
    [InlineData("ghcr.io/acme/*", "ghcr.io/acme-evil/app:1", false)]
    [InlineData("ghcr.io/acme*", "ghcr.io/acme-evil/app:1", true)]
    [InlineData("ghcr.io/acme/*", "ghcr.io.evil.example/acme/app:1", false)]
    [InlineData("docker.io/library/nginx*", "nginx:1.27", false)]
    [InlineData("docker.io/nginx*", "nginx:1.27", true)]
    [InlineData("registry.example.com/app:*", "registry.example.com/app@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", false)]
    public void Kyverno_image_references_cross_slashes_but_not_owner_boundaries(string pattern, string image, bool expected) =>
        Assert.Equal(expected, GitOpsSec.Diagnostics.BoundedPattern.Wildcard(pattern, ImageForms.Kyverno(image)));

    // Kyverno's ImageValidatingPolicy: gobwas/glob compiled without separators ('*' crosses '/'), over the image as written.
    [Theory]
    [InlineData("ghcr.io/acme/*", "ghcr.io/acme/team/app:1", true)]
    [InlineData("ghcr.io/acme/*", "ghcr.io/acme-evil/app:1", false)]
    [InlineData("ghcr.io/*", "ghcr.io.evil.example/acme/app:1", false)]
    [InlineData("{ghcr,quay}.io/acme/*", "quay.io/acme/app:1", true)]
    [InlineData("ghcr.io/acme/app:v?", "ghcr.io/acme/app:v1", true)]
    [InlineData("ghcr.io/acme/app:v?", "ghcr.io/acme/app:v10", false)]
    [InlineData("ghcr.io/acme/[!x]*", "ghcr.io/acme/xray:1", false)]
    [InlineData("docker.io/*", "nginx:1.27", false)]
    public void Kyverno_image_validating_policy_globs_match_as_gobwas_glob_does(string glob, string image, bool expected) =>
        Assert.Equal(expected, KyvernoImageValidatingPolicy.GobwasGlob(glob).IsMatch(image));

    // Ratify's Executor scopes (internal/executor): an exact repository, then an exact registry, then "*.domain" for a
    // registry whose part after its first dot is that domain; no other wildcard; no scope: the image fails.
    [Theory]
    [InlineData("ghcr.io/acme/web:1", "repo")]
    [InlineData("ghcr.io/acme/other:1", "registry")]
    [InlineData("registry.acme.example/team/app:1", "wildcard")]
    [InlineData("deep.registry.acme.example/team/app:1", null)]
    [InlineData("acme.example/team/app:1", null)]
    [InlineData("quay.io/acme/web:1", null)]
    public void Ratify_executor_scopes_take_precedence_as_ratify_registers_them(string image, string? expected)
    {
        using var dir = new TempDir();
        dir.Write("e.yaml", string.Join("---\n", new[] { ("repo", "ghcr.io/acme/web"), ("registry", "ghcr.io"), ("wildcard", "*.acme.example") }
            .Select(e => $"apiVersion: config.ratify.dev/v2alpha1\nkind: Executor\nmetadata: {{name: {e.Item1}}}\nspec:\n  scopes: [\"{e.Item2}\"]\n")));
        var executors = Scan.Load(dir.Path).Objects.Select(RatifyExecutor.Read).ToList();
        RatifyExecutor? chosen = RatifyExecutor.For(executors, ImageReference.Parse(image));
        Assert.Equal(expected, chosen?.Trust.Description.Split(' ')[0].Replace("Executor/", string.Empty, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://token.actions.githubusercontent.com", null, "https://github.com/acme/*", null, true, SignatureTrust.Constrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/*", null, true, SignatureTrust.Constrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, "*", null, true, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, "https://github.com/*", null, true, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, "*acme*", null, true, SignatureTrust.Unconstrained)]
    [InlineData(null, null, "https://github.com/acme/*", null, true, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, null, null, true, SignatureTrust.Unconstrained)]
    [InlineData("*", null, "https://github.com/acme/*", null, true, SignatureTrust.Unconstrained)]
    [InlineData("https://accounts.google.com", null, "*@acme.example", null, true, SignatureTrust.Constrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, "*@acme.example", null, true, SignatureTrust.Unconstrained)]
    [InlineData(null, "^https://token\\.actions\\.githubusercontent\\.com$", null, "^https://github\\.com/acme/", false, SignatureTrust.Constrained)]
    [InlineData(null, "^https://token\\.actions\\.githubusercontent\\.com$", null, "^https://github.com/acme/.*$", false, SignatureTrust.Constrained)]
    [InlineData(null, ".*", null, ".*", false, SignatureTrust.Unconstrained)]
    [InlineData(null, "https://token\\.actions\\.githubusercontent\\.com", null, "^https://github\\.com/acme/", false, SignatureTrust.Constrained)]
    [InlineData(null, "https://token\\.actions\\.githubusercontent\\..*", null, "https://github\\.com/.+", false, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, null, "github\\.com/acme/", false, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, null, "^https://github\\.com/acme/|.*", false, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, null, "^https://github\\.com/[^/]+/app/", false, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, null, "^https://github\\.com/acme?/", false, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, null, "^(https://github\\.com/acme/", false, SignatureTrust.Unconstrained)]
    [InlineData("https://token.actions.githubusercontent.com", null, "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", null, false, SignatureTrust.Constrained)]
    public void Keyless_identities_are_constrained_only_with_a_fixed_issuer_and_a_builder_subject(
        string? issuer, string? issuerRegExp, string? subject, string? subjectRegExp, bool wildcards, SignatureTrust expected) =>
        Assert.Equal(expected, SignatureIdentity.Keyless(issuer, issuerRegExp, subject, subjectRegExp, wildcards).Trust);

    [Theory]
    [InlineData("github\\.com/acme/", "https://github.com/mallory/x/.github/workflows/r.yml@refs/heads/github.com/acme/x")]
    [InlineData("^https://github\\.com/[^/]+/app/", "https://github.com/mallory/app/.github/workflows/r.yml@refs/heads/main")]
    [InlineData("acme", "https://github.com/mallory/acme/.github/workflows/r.yml@refs/heads/main")]
    [InlineData("^https://github\\.com/acme/|.*", "https://github.com/mallory/x/.github/workflows/r.yml@refs/heads/main")]
    public void A_subject_regexp_judged_unconstrained_admits_an_identity_an_attacker_can_obtain(string regexp, string attacker)
    {
        // Python's re.search is an unanchored search like Go's regexp.MatchString; it is the oracle, not our code.
        string found = Proc.Check("python3", new[] { "-c", "import re,sys; print(bool(re.search(sys.argv[1], sys.argv[2])))", regexp, attacker }).Trim();
        Assert.Equal("True", found);
        Assert.Equal(SignatureTrust.Unconstrained,
            SignatureIdentity.Keyless("https://token.actions.githubusercontent.com", null, null, regexp, wildcards: false).Trust);
    }

    [Theory]
    [InlineData("^https://github\\.com/acme/")]
    [InlineData("^https://github\\.com/acme/(app|worker)/\\.github/workflows/release\\.yml@refs/tags/v.*$")]
    public void A_subject_regexp_judged_constrained_rejects_identities_outside_the_owner(string regexp)
    {
        foreach (string attacker in new[]
        {
            "https://github.com/mallory/x/.github/workflows/r.yml@refs/heads/github.com/acme/",
            "https://github.com/acme-evil/app/.github/workflows/release.yml@refs/tags/v1",
            "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
        })
        {
            string found = Proc.Check("python3", new[] { "-c", "import re,sys; print(bool(re.search(sys.argv[1], sys.argv[2])))", regexp, attacker }).Trim();
            Assert.Equal("False", found);
        }
        Assert.Equal(SignatureTrust.Constrained,
            SignatureIdentity.Keyless("https://token.actions.githubusercontent.com", null, null, regexp, wildcards: false).Trust);
    }

    [Fact]
    public void Keys_made_by_openssl_are_public_keys_and_anything_else_is_not()
    {
        using var dir = new TempDir();
        string Ssl(params string[] args) => Proc.Check("openssl", args, dir.Path);
        Ssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem");
        Ssl("ec", "-in", "ec.pem", "-pubout", "-out", "ec.pub");
        Ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
        Ssl("pkey", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub");
        Ssl("genpkey", "-algorithm", "ed25519", "-out", "ed.pem");
        Ssl("pkey", "-in", "ed.pem", "-pubout", "-out", "ed.pub");
        Ssl("req", "-x509", "-key", "ec.pem", "-subj", "/CN=acme release", "-days", "1", "-out", "cert.pem");
        string Read(string f) => File.ReadAllText(Path.Combine(dir.Path, f));

        Assert.Equal("public key (ECDSA)", Assert.Single(SignatureIdentity.PublicKeys(Read("ec.pub"))).Description);
        Assert.Equal("public key (RSA)", Assert.Single(SignatureIdentity.PublicKeys(Read("rsa.pub"))).Description);
        Assert.Equal("public key (Ed25519)", Assert.Single(SignatureIdentity.PublicKeys(Read("ed.pub"))).Description);
        // Two keys in one publicKeys are two attestors, as Kyverno counts them.
        Assert.Equal(2, SignatureIdentity.PublicKeys(Read("ec.pub") + "\n" + Read("rsa.pub")).Count(k => k.Trust == SignatureTrust.Constrained));

        // A private key pasted where the public key belongs: not a public key, and the key is never echoed.
        SignatureAttestor pasted = Assert.Single(SignatureIdentity.PublicKeys(Read("ec.pem")));
        Assert.Equal(SignatureTrust.Unconstrained, pasted.Trust);
        Assert.DoesNotContain(Read("ec.pem").Split('\n')[1], pasted.Description, StringComparison.Ordinal);

        // A truncated key, a placeholder, an empty value.
        string pub = Read("ec.pub");
        string truncated = pub.Remove(pub.IndexOf('\n') + 20, 10);
        Assert.Equal(SignatureTrust.Unconstrained, Assert.Single(SignatureIdentity.PublicKeys(truncated)).Trust);
        Assert.Equal(SignatureTrust.Unconstrained, Assert.Single(SignatureIdentity.PublicKeys("-----BEGIN PUBLIC KEY-----\n<cosign.pub>\n-----END PUBLIC KEY-----")).Trust);
        Assert.Equal(SignatureTrust.Unconstrained, Assert.Single(SignatureIdentity.PublicKeys("")).Trust);
        // Keys held elsewhere.
        Assert.Equal(SignatureTrust.Constrained, Assert.Single(SignatureIdentity.PublicKeys("k8s://cosign-system/release-key")).Trust);
        Assert.Equal(SignatureTrust.Constrained, Assert.Single(SignatureIdentity.PublicKeys("{{ keys.data.production }}")).Trust);

        Assert.Equal(SignatureTrust.Constrained, SignatureIdentity.Certificates(Read("cert.pem"), null).Trust);
        Assert.Equal(SignatureTrust.Unconstrained, SignatureIdentity.Certificates(pub, null).Trust);
    }

    [Fact]
    public void Count_lets_an_attacker_pick_the_weakest_attestors()
    {
        var strong = new SignatureAttestor(SignatureTrust.Constrained, "key");
        var weak = new SignatureAttestor(SignatureTrust.Unconstrained, "any keyless");
        Assert.Equal(weak, ImageSignatureAnalyzer.Weakest(new[] { strong, weak }, 1));
        Assert.Equal(strong, ImageSignatureAnalyzer.Weakest(new[] { strong, weak }, 2));
        Assert.Equal(strong, ImageSignatureAnalyzer.Weakest(new[] { weak, strong, strong }, 2));
    }

    [Fact]
    public void Hostile_patterns_and_identities_are_decided_in_bounded_time()
    {
        // Patterns a repository author writes: a wildcard with many stars against a long image, a regexp that
        // backtracks exponentially in a backtracking engine, a huge PEM-looking value.
        string stars = string.Concat(Enumerable.Repeat("*a", 2_000)) + "b";
        string image = "ghcr.io/" + new string('a', 20_000) + ":1";
        Assert.False(GitOpsSec.Diagnostics.BoundedPattern.Wildcard(stars, ImageForms.Kyverno(image)));
        Assert.Equal(SignatureTrust.Unconstrained,
            SignatureIdentity.Keyless("https://token.actions.githubusercontent.com", null, null, "^(a+)+$", wildcards: false).Trust);
        string huge = "-----BEGIN PUBLIC KEY-----\n" + new string('A', 3_000_000) + "\n-----END PUBLIC KEY-----";
        Assert.Equal(SignatureTrust.Unconstrained, Assert.Single(SignatureIdentity.PublicKeys(huge)).Trust);
        Assert.Equal(SignatureTrust.Unconstrained, SignatureIdentity.Keyless("https://x.example", null, null, "(", wildcards: false).Trust);
    }

    [Fact]
    public void The_example_repository_has_every_verdict_and_the_reasons()
    {
        var (objects, host) = Scan.Load(Path.Combine(TestPaths.Examples, "signed-images"));
        Assert.Empty(host.Errors);
        var uses = new ImageSignatureAnalyzer(objects).Uses.ToDictionary(u => u.Workload);
        Assert.Equal(8, uses.Count);

        Assert.Equal((true, SignatureTrust.Constrained), (uses["Deployment/shop/web"].Enforced, uses["Deployment/shop/web"].Trust));
        Assert.True(uses["Deployment/shop/web"].DigestEnforced);
        Assert.Equal((false, SignatureTrust.NotVerified), (uses["Deployment/shop/cache"].Enforced, uses["Deployment/shop/cache"].Trust));
        Assert.True(uses["Deployment/shop/metrics"].AuditOnly);
        Assert.Equal(SignatureTrust.Unconstrained, uses["Deployment/shop/bitnami-proxy"].Trust);
        Assert.Equal("ClusterImagePolicy/platform-registry", uses["Deployment/payments/api"].Policy);
        Assert.Equal(SignatureTrust.Rejected, uses["Deployment/payments/sidecar"].Trust);

        var sandbox = uses["Deployment/sandbox/experiment"];
        Assert.False(sandbox.Enforced);
        Assert.Contains(sandbox.Checks, c => c.Policy == "ClusterPolicy/verify-acme-images/acme-release-workflow" && c.Outcome == SignatureCheckOutcome.NotSelected);
        var batch = uses["CronJob/batch/report"];
        Assert.Contains(batch.Checks, c => c.Outcome == SignatureCheckOutcome.NotOptedIn);
        Assert.StartsWith("ClusterImagePolicy/platform-registry (policies/sigstore.yaml:4): namespace batch has not opted in", batch.Why(), StringComparison.Ordinal);

        var (findings, _) = Scan.Analyze(Path.Combine(TestPaths.Examples, "signed-images"), new RuleSelection { Include = new[] { "image-signature-*" } });
        Assert.Equal(new[] { "GOS6005", "GOS6005", "GOS6005", "GOS6006", "GOS6007" }, findings.Select(f => f.RuleId).OrderBy(x => x));
    }
}
