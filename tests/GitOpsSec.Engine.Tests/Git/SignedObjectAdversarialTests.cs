using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Git.Signatures;
using GitOpsSec.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace GitOpsSec.Engine.Tests.Git;

/// <summary>
/// Differential suite for what is signed: raw bytes with invalid UTF-8, duplicated signature headers (SSH),
/// tags with an injected header or published under another name, SSH-signed tags, octopus merges of signed
/// tags and a mergetag pasted into a merge of other parents. git (log %G?, verify-tag, log --show-signature)
/// with gpg and ssh-keygen is the oracle.
/// </summary>
public sealed class SignedObjectAdversarialTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new();
    private readonly GitRepo _repo = new();
    private readonly string _home;
    private readonly Dictionary<string, string> _env;
    private readonly string _allowedSigners;
    private readonly string _sshKey;
    private readonly string _trustedFpr;
    private readonly string _unknownFpr;
    private readonly SignatureTrust _trust = new();

    public SignedObjectAdversarialTests(ITestOutputHelper output)
    {
        _output = output;
        _home = _dir.PrivateFolder("gnupg");
        _env = new Dictionary<string, string> { ["GNUPGHOME"] = _home };
        Gpg("--quick-gen-key", "Trusted Dev <trusted@example.com>", "ed25519", "sign", "never");
        Gpg("--quick-gen-key", "Unknown Dev <unknown@example.com>", "ed25519", "sign", "never");
        _trustedFpr = Fpr("trusted@example.com");
        _unknownFpr = Fpr("unknown@example.com");
        Proc.Check("gpg", new[] { "--batch", "--import-ownertrust" }, environment: _env, input: _trustedFpr + ":6:\n");
        _trust.AddFile(_dir.Write("trusted.asc", Gpg("--armor", "--export", "trusted@example.com")));
        _sshKey = Path.Combine(_dir.Path, "id_ed25519");
        Proc.Check("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", "", "-C", "dev", "-f", _sshKey });
        _allowedSigners = _dir.Write("allowed_signers", $"dev@example.com {File.ReadAllText(_sshKey + ".pub").Trim()}\n");
        _trust.AddFile(_allowedSigners);
        foreach (var (k, v) in _env)
        {
            _repo.Environment[k] = v;
        }
        _repo.Write("README", "base\n");
        _repo.Commit("base");
    }

    private string Gpg(params string[] args) => Proc.Check("gpg", new[] { "--batch", "--pinentry-mode", "loopback", "--passphrase", "" }.Concat(args), environment: _env);

    private string Fpr(string uid) => Gpg("--with-colons", "--list-keys", uid).Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];

    private string[] PgpConfig(string fpr) => new[] { "-c", "gpg.format=openpgp", "-c", $"user.signingkey={fpr}" };

    private string[] SshConfig() => new[] { "-c", "gpg.format=ssh", "-c", $"user.signingkey={_sshKey}.pub", "-c", $"gpg.ssh.allowedSignersFile={_allowedSigners}" };

    private List<CommitSignatureResult> Ours(string revision, bool tags = false) =>
        CommitSignatures.Verify(_repo.Path, null, revision, null, null, _trust, tags, new CollectingHost()).ToList();

    private string GitLetter(string sha) => _repo.Git(SshConfig().Concat(new[] { "log", "-1", "--format=%G?", sha }).ToArray()).Trim();

    [Fact]
    public void Invalid_utf8_commits_that_differ_in_one_byte_do_not_verify_alike()
    {
        _repo.Write("a.txt", "a\n");
        _repo.Git("add", "-A");
        byte[] payload = AdversarialRepo.UnsignedCommit(_repo, "release");
        payload = payload.Concat(new byte[] { 0xFF, (byte)'\n' }).ToArray(); // the message ends in a byte that is not UTF-8
        string file = _dir.Write("payload", string.Empty);
        File.WriteAllBytes(file, payload);
        string signature = Gpg("--armor", "--detach-sign", "-u", _trustedFpr, "-o", "-", file);
        string good = AdversarialRepo.HashObject(_repo, "commit", AdversarialRepo.WithSignatureHeaders(payload, "gpgsig", signature));
        payload[^2] = 0xFE; // another invalid byte: decoded as text, both read U+FFFD
        string twin = AdversarialRepo.HashObject(_repo, "commit", AdversarialRepo.WithSignatureHeaders(payload, "gpgsig", signature));
        Assert.Equal("G", GitLetter(good));
        Assert.Equal("B", GitLetter(twin));
        Assert.Equal("G", Ours(good)[0].GitLetter);
        Assert.Equal("B", Ours(twin)[0].GitLetter);
    }

    [Fact]
    public void SSH_signature_with_a_duplicated_gpgsig_header_is_an_error_not_good()
    {
        _repo.Write("b.txt", "b\n");
        _repo.Git("add", "-A");
        _repo.Git(SshConfig().Concat(new[] { "commit", "-q", "-S", "-m", "ssh signed" }).ToArray());
        string sha = _repo.Git("rev-parse", "HEAD").Trim();
        byte[] raw = AdversarialRepo.CatFile(_repo, "commit", sha);
        (byte[] payload, string? signature) = SignedGitObject.SplitCommit(raw);
        string duplicated = AdversarialRepo.HashObject(_repo, "commit", AdversarialRepo.WithSignatureHeaders(payload, "gpgsig", signature!, signature!));
        _output.WriteLine($"single: git={GitLetter(sha)} ours={Ours(sha)[0].GitLetter}; duplicated: git={GitLetter(duplicated)} ours={Ours(duplicated)[0].GitLetter} {Ours(duplicated)[0].Reason}");
        Assert.Equal("G", GitLetter(sha));
        Assert.Equal("G", Ours(sha)[0].GitLetter);
        // A documented deviation, stricter than git: ssh-keygen reads the first of the two blocks and git says G;
        // gpg refuses the same shape for OpenPGP (E), and GitOpsSec refuses it for every format, since which block
        // is "the" signature is ambiguous.
        Assert.Equal("G", GitLetter(duplicated));
        Assert.Equal("E", Ours(duplicated)[0].GitLetter);
    }

    [Fact]
    public void Tags_are_verified_over_their_raw_bytes_and_reported_under_their_ref_name()
    {
        _repo.Git(PgpConfig(_trustedFpr).Concat(new[] { "tag", "-s", "v1.0", "-m", "release 1.0" }).ToArray());
        _repo.Git(SshConfig().Concat(new[] { "tag", "-s", "v1.0-ssh", "-m", "release 1.0 (ssh)" }).ToArray());
        string tagSha = _repo.Git("rev-parse", "v1.0").Trim();
        byte[] raw = AdversarialRepo.CatFile(_repo, "tag", tagSha);
        int tagger = AdversarialRepo.IndexOf(raw, "\ntagger "u8.ToArray());
        int eol = Array.IndexOf(raw, (byte)'\n', tagger + 1);
        byte[] injected = raw[..(eol + 1)].Concat(Encoding.ASCII.GetBytes("approved-by security-team\n")).Concat(raw[(eol + 1)..]).ToArray();
        _repo.Git("update-ref", "refs/tags/v1.0-injected", AdversarialRepo.HashObject(_repo, "tag", injected));
        _repo.Git("update-ref", "refs/tags/v2.0", tagSha); // the v1.0 tag object published as v2.0

        int Verify(string tag) => _repo.TryGit(SshConfig().Concat(new[] { "verify-tag", tag }).ToArray()).Exit;
        var ours = Ours("HEAD", tags: true).Where(r => r.Kind == "tag").ToDictionary(r => r.Tag!);
        foreach (var (name, r) in ours)
        {
            _output.WriteLine($"{name,-16} verify-tag={Verify(name)} ours={r.GitLetter} {r.Reason}");
        }
        Assert.Equal(new[] { "v1.0", "v1.0-injected", "v1.0-ssh", "v2.0" }, ours.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, Verify("v1.0"));
        Assert.Equal("G", ours["v1.0"].GitLetter);
        Assert.Equal(0, Verify("v1.0-ssh"));
        Assert.Equal("G", ours["v1.0-ssh"].GitLetter);
        Assert.NotEqual(0, Verify("v1.0-injected"));
        Assert.Equal("B", ours["v1.0-injected"].GitLetter);
        // git verify-tag accepts the renamed tag; GitOpsSec does not vouch for v2.0 with a signature made for v1.0.
        Assert.Equal(0, Verify("v2.0"));
        Assert.Equal("U", ours["v2.0"].GitLetter);
        Assert.Contains("'v1.0'", ours["v2.0"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_mergetag_of_an_octopus_is_verified_and_a_pasted_mergetag_is_not_good()
    {
        string main = _repo.Git("rev-parse", "HEAD").Trim();
        string Branch(string name, string fpr)
        {
            _repo.Git("checkout", "-q", "-b", name, main);
            _repo.Write(name + ".txt", name + "\n");
            _repo.Git("add", "-A");
            _repo.Git("commit", "-q", "-m", name);
            _repo.Git(PgpConfig(fpr).Concat(new[] { "tag", "-s", name + "-tag", "-m", name }).ToArray());
            return _repo.Git("rev-parse", "HEAD").Trim();
        }
        string a = Branch("feature-a", _trustedFpr);
        string b = Branch("feature-b", _unknownFpr);
        _repo.Git("checkout", "-q", "main");
        _repo.Git("merge", "-q", "--no-ff", "-m", "octopus", "feature-a-tag", "feature-b-tag");
        string octopus = _repo.Git("rev-parse", "HEAD").Trim();
        Gpg("--yes", "--delete-secret-and-public-key", _unknownFpr); // gpg now knows what GitOpsSec is given: the trusted key only
        var ours = Ours(octopus).Where(r => r.Commit == octopus && r.Kind == "mergetag").ToDictionary(r => r.Tag!);
        string shown = _repo.TryGit("log", "-1", "--show-signature", octopus).Output;
        _output.WriteLine(shown);
        Assert.Equal(2, ours.Count);
        Assert.Contains("Good signature", shown.Split("feature-b-tag")[0], StringComparison.Ordinal);
        Assert.Equal(SignatureStatus.Good, ours["feature-a-tag"].Status);
        Assert.Contains("No public key", shown, StringComparison.Ordinal);
        Assert.Equal(SignatureStatus.UnknownKey, ours["feature-b-tag"].Status);

        // The same mergetag header pasted into a merge of two other commits.
        byte[] raw = AdversarialRepo.CatFile(_repo, "commit", octopus);
        List<byte[]> tags = SignedGitObject.Headers(raw, "mergetag");
        _repo.Git("checkout", "-q", "-b", "other", main);
        _repo.Write("other.txt", "other\n");
        string other = _repo.Commit("other");
        byte[] merge = AdversarialRepo.UnsignedCommit(_repo, "merge with a pasted mergetag", main, other);
        string pasted = AdversarialRepo.HashObject(_repo, "commit", AdversarialRepo.WithSignatureHeaders(merge, "mergetag", Encoding.ASCII.GetString(tags[0])));
        string pastedShown = _repo.TryGit("log", "-1", "--show-signature", pasted).Output;
        _output.WriteLine(pastedShown);
        Assert.Contains("names a non-parent", pastedShown, StringComparison.Ordinal);
        CommitSignatureResult pastedTag = Ours(pasted).Single(r => r.Commit == pasted && r.Kind == "mergetag");
        Assert.Equal(SignatureStatus.Untrusted, pastedTag.Status);
        Assert.Contains("not a parent", pastedTag.Reason, StringComparison.Ordinal);
        Assert.NotEqual(a, b);
    }

    public void Dispose()
    {
        _repo.Dispose();
        Proc.Run("gpgconf", new[] { "--kill", "all" }, environment: _env);
        _dir.Dispose();
    }
}

public sealed class GitObjectReaderTests
{
    [Fact]
    public void The_native_library_is_the_one_LibGit2Sharp_loads()
    {
        Type names = typeof(LibGit2Sharp.Repository).Assembly.GetType("LibGit2Sharp.Core.NativeDllName", throwOnError: true)!;
        string expected = (string)names.GetField("Name", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!.GetValue(null)!;
        Assert.Equal(expected, GitObjectReader.NativeLibrary);
    }
}
