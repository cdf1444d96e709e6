using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Git.Signatures;
using Xunit;
using Xunit.Abstractions;

namespace GitOpsSec.Engine.Tests.Git;

public sealed class CommitSignatureTests : IClassFixture<SignedRepoFixture>
{
    private readonly SignedRepoFixture _fx;
    private readonly ITestOutputHelper _output;

    public CommitSignatureTests(SignedRepoFixture fx, ITestOutputHelper output)
    {
        _fx = fx;
        _output = output;
    }

    private SignatureTrust Trust()
    {
        var trust = new SignatureTrust();
        trust.AddFile(_fx.TrustedPgpKeys);
        trust.AddFile(_fx.AllowedSigners);
        return trust;
    }

    private List<CommitSignatureResult> VerifyAll(CollectingHost? host = null) =>
        CommitSignatures.Verify(_fx.Repo.Path, null, null, null, null, Trust(), includeTags: true, host ?? new CollectingHost())
            .Concat(CommitSignatures.Verify(_fx.Repo.Path, null, "tampered", null, null, Trust(), includeTags: false, new CollectingHost()).Take(1))
            .ToList();

    [Fact]
    public void Every_verdict_agrees_with_git_log_G()
    {
        var ours = VerifyAll().Where(r => r.Kind == "commit").GroupBy(r => r.Commit).ToDictionary(g => g.Key, g => g.First());
        var git = _fx.GitVerdicts();
        foreach (var (name, sha) in _fx.Commits)
        {
            _output.WriteLine($"{name,-14} git={git[sha]} ours={ours[sha].GitLetter} {ours[sha].Status} {ours[sha].Signer} {ours[sha].Reason}");
        }
        Assert.All(_fx.Commits, c => Assert.True(git[c.Value] == ours[c.Value].GitLetter,
            $"{c.Key}: git says {git[c.Value]}, GitOpsSec says {ours[c.Value].GitLetter} ({ours[c.Value].Reason})"));
        // And the verdicts are the intended ones, so the agreement is not vacuous.
        var expected = new Dictionary<string, SignatureStatus>
        {
            ["unsigned"] = SignatureStatus.Unsigned, ["pgp-good"] = SignatureStatus.Good, ["pgp-rsa"] = SignatureStatus.Good,
            ["pgp-ecdsa"] = SignatureStatus.Good, ["pgp-unknown"] = SignatureStatus.UnknownKey, ["pgp-revoked"] = SignatureStatus.RevokedKey,
            ["pgp-expired"] = SignatureStatus.ExpiredKey, ["pgp-sigexpired"] = SignatureStatus.ExpiredSignature, ["ssh-ed25519"] = SignatureStatus.Good, ["ssh-ecdsa"] = SignatureStatus.Good,
            ["ssh-rsa"] = SignatureStatus.Good, ["ssh-outsider"] = SignatureStatus.Untrusted, ["tampered"] = SignatureStatus.Bad,
            ["merge"] = SignatureStatus.Good,
        };
        Assert.All(expected, e => Assert.Equal(e.Value, ours[_fx.Commits[e.Key]].Status));
        Assert.Equal("dev@example.com", ours[_fx.Commits["ssh-ed25519"]].Signer);
        Assert.Equal("Trusted Dev <trusted@example.com>", ours[_fx.Commits["pgp-good"]].Signer);
        Assert.StartsWith("SHA256:", ours[_fx.Commits["ssh-outsider"]].Fingerprint);
    }

    [Fact]
    public void Signed_tags_and_merged_tags_are_verified_like_git_verify_tag()
    {
        var results = VerifyAll();
        var merged = Assert.Single(results, r => r.Kind == "mergetag");
        Assert.Equal(("release-feature", SignatureStatus.Good), (merged.Tag, merged.Status));
        var tags = results.Where(r => r.Kind == "tag").ToDictionary(r => r.Tag!);
        Assert.Equal(SignatureStatus.Good, tags["release-feature"].Status);
        Assert.Equal(SignatureStatus.UnknownKey, tags["v-unknown"].Status);
        Assert.Equal(SignatureStatus.Unsigned, tags["v-plain"].Status);
        Assert.Equal(0, _fx.GitVerifyTag("release-feature"));
        Assert.NotEqual(0, _fx.GitVerifyTag("v-unknown"));
    }

    [Fact]
    public void Without_trust_nothing_is_good()
    {
        var results = CommitSignatures.Verify(_fx.Repo.Path, null, null, null, null, new SignatureTrust(), false, new CollectingHost()).ToList();
        Assert.DoesNotContain(results, r => r.Status == SignatureStatus.Good);
        Assert.Contains(results, r => r.Status == SignatureStatus.UnknownKey);
    }

    [Fact]
    public void Bad_input_is_an_error_and_the_rest_is_verified()
    {
        var trust = new SignatureTrust();
        var notAKey = new TempDirFile("not a key at all\n");
        var e = Assert.Throws<GitOpsSecOperationException>(() => trust.AddFile(notAKey.Path));
        Assert.Equal("GitOpsSec.Signature.InvalidAllowedSigners", e.ErrorId);
        var broken = new OpenPgpVerifier();
        Assert.Equal("GitOpsSec.Signature.InvalidKey", Assert.Throws<GitOpsSecOperationException>(() =>
            broken.AddKeys(System.Text.Encoding.ASCII.GetBytes("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"), "x")).ErrorId);
        var verdict = Trust().OpenPgp.Verify("-----BEGIN PGP SIGNATURE-----\n\nnot base64 !!\n-----END PGP SIGNATURE-----\n", new byte[] { 1 }, DateTimeOffset.UtcNow);
        Assert.Equal(SignatureStatus.Error, verdict.Status);
        var ssh = Trust().Ssh.Verify("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n", new byte[] { 1 }, DateTimeOffset.UtcNow);
        Assert.Equal(SignatureStatus.Error, ssh.Status);

        var host = new CollectingHost();
        Assert.Empty(CommitSignatures.Verify(_fx.Repo.Path, null, "no-such-ref", null, null, Trust(), false, host));
        Assert.Equal("GitOpsSec.Git.RevisionNotFound", Assert.Single(host.Errors).ErrorId);
        using var notRepo = new GitOpsSec.Tests.Shared.TempDir();
        host.Errors.Clear();
        Assert.Empty(CommitSignatures.Verify(notRepo.Path, null, null, null, null, Trust(), false, host));
        Assert.Equal("GitOpsSec.Git.NotARepository", Assert.Single(host.Errors).ErrorId);
    }

    [Fact]
    public void A_shallow_clone_warns_and_verifies_what_it_has_and_a_malformed_block_is_refused()
    {
        using var clone = new GitOpsSec.Tests.Shared.TempDir();
        string target = System.IO.Path.Combine(clone.Path, "shallow");
        _fx.Repo.Git("clone", "-q", "--depth", "3", "file://" + _fx.Repo.Path, target);
        var host = new CollectingHost();
        var results = CommitSignatures.Verify(target, null, null, null, null, Trust(), false, host).ToList();
        var cloned = new GitOpsSec.Tests.Shared.GitRepoAt(target);
        Assert.Equal(int.Parse(cloned.Git("rev-list", "--count", "HEAD").Trim()), results.Count(r => r.Kind == "commit"));
        Assert.True(results.Count(r => r.Kind == "commit") < _fx.Commits.Count);
        Assert.Contains(host.Warnings, w => w.Contains("shallow", StringComparison.Ordinal));
        Assert.Equal(SignatureStatus.Good, results[0].Status);

        // A commit whose gpgsig header is garbage in a PGP armor.
        string raw = _fx.Repo.Git("cat-file", "commit", _fx.Commits["unsigned"]);
        int blank = raw.IndexOf("\n\n", StringComparison.Ordinal);
        string broken = raw[..blank] + "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n this is not base64 !!\n -----END PGP SIGNATURE-----" + raw[blank..];
        string id = _fx.Repo.TryGitWithInput(broken, "hash-object", "-t", "commit", "-w", "--stdin").Trim();
        _fx.Repo.Git("branch", "-f", "malformed", id);
        var ours = CommitSignatures.Verify(_fx.Repo.Path, null, "malformed", null, null, Trust(), false, new CollectingHost()).First();
        Assert.Equal((id, SignatureStatus.Error), (ours.Commit, ours.Status));
        // git cannot say more than "N" here (gpg emits no status line for garbage, so git sees no signature);
        // GitOpsSec reports the broken block as Error (E). Both refuse the commit: neither says G.
        Assert.Equal("N", _fx.GitVerdicts()[id]);
        Assert.Equal("E", ours.GitLetter);
    }

    private sealed class TempDirFile
    {
        public TempDirFile(string content)
        {
            Path = System.IO.Path.GetTempFileName();
            File.WriteAllText(Path, content);
        }

        public string Path { get; }
    }
}
