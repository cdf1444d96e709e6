using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Git.Signatures;
using GitOpsSec.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace GitOpsSec.Engine.Tests.Git;

/// <summary>
/// Differential suite for X.509 commit signatures: a CA made with `openssl ca` issues certificates an
/// attacker would try (a leaf acting as CA, expired, not yet valid, wrong key usage, revoked), commits are
/// signed through git's gpg.format=x509 with openssl cms, and every letter is compared with
/// `git log --format=%G?` through gpgsm trusting the same root. Revocation is compared with
/// `openssl verify -crl_check` (gpgsm asks dirmngr, which is not run here).
/// </summary>
public sealed class X509AdversarialTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new();
    private readonly GitRepo _repo = new();

    public X509AdversarialTests(ITestOutputHelper output) => _output = output;

    private string Ssl(params string[] args) => Proc.Check("openssl", args, _dir.Path);

    private void Issue(string name, string extensions, string start, string end, string issuer)
    {
        Ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", $"/CN={name}/emailAddress={name}@example.com");
        Ssl("ca", "-batch", "-config", "ca.cnf", "-extensions", extensions, "-startdate", start, "-enddate", end,
            "-keyfile", issuer + ".key", "-cert", issuer + ".pem", "-in", name + ".csr", "-out", name + ".pem", "-notext");
    }

    private string SignedCommit(string name, string signer, string extra = "", string? date = null)
    {
        string program = _dir.Write($"sign-{name}.sh", $$"""
            #!/bin/sh
            tmp=$(mktemp); cat > "$tmp"
            openssl cms -sign -binary -in "$tmp" -signer '{{_dir.Path}}/{{signer}}.pem' -inkey '{{_dir.Path}}/{{signer}}.key' {{extra}} -outform PEM -md sha256 | sed 's/BEGIN CMS/BEGIN SIGNED MESSAGE/; s/END CMS/END SIGNED MESSAGE/'
            rm -f "$tmp"
            echo "[GNUPG:] SIG_CREATED D 1 8 00 0 X" >&2
            """);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _repo.Write(name + ".txt", name + "\n");
        _repo.Git("add", "-A");
        if (date is not null)
        {
            _repo.Environment["GIT_COMMITTER_DATE"] = date;
        }
        _repo.Git("-c", "gpg.format=x509", "-c", $"gpg.x509.program={program}", "-c", "user.signingkey=x", "commit", "-q", "-S", "-m", name);
        _repo.Environment.Remove("GIT_COMMITTER_DATE");
        return _repo.Git("rev-parse", "HEAD").Trim();
    }

    [Fact]
    public void Every_adversarial_X509_case_gets_gits_letter()
    {
        _dir.Write("ca.cnf", """
            [ ca ]
            default_ca = myca
            [ myca ]
            dir = .
            database = index.txt
            new_certs_dir = .
            serial = serial
            crlnumber = crlnumber
            default_md = sha256
            policy = pol
            unique_subject = no
            default_crl_days = 3650
            [ pol ]
            commonName = supplied
            emailAddress = optional
            [ leaf ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            [ wrongku ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,keyEncipherment
            [ serverauth ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = serverAuth
            """);
        _dir.Write("index.txt", string.Empty);
        _dir.Write("serial", "01\n");
        _dir.Write("crlnumber", "01\n");
        Ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "3650", "-subj", "/CN=Root CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature");
        Ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "otherroot.key", "-out", "otherroot.pem", "-days", "3650", "-subj", "/CN=Other Root",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,digitalSignature");
        const string now = "20240101000000Z", later = "20450101000000Z";
        Issue("good", "leaf", now, later, "root");
        Issue("expired", "leaf", "20200101000000Z", "20210101000000Z", "root");
        Issue("notyet", "leaf", "20400101000000Z", later, "root");
        Issue("wrongku", "wrongku", now, later, "root");
        Issue("serverauth", "serverauth", now, later, "root");
        Issue("revoked", "leaf", now, later, "root");
        Issue("releaseleaf", "leaf", now, later, "root");
        // A certificate issued by an ordinary (non-CA) leaf of the trusted root: "anyone whose own certificate is trusted can sign as anyone".
        Issue("relmgr", "leaf", now, later, "releaseleaf");
        Ssl("ca", "-config", "ca.cnf", "-keyfile", "root.key", "-cert", "root.pem", "-revoke", "revoked.pem");
        Ssl("ca", "-config", "ca.cnf", "-keyfile", "root.key", "-cert", "root.pem", "-gencrl", "-out", "root.crl");

        _repo.Write("README", "base\n");
        _repo.Commit("base");
        var commits = new Dictionary<string, string>
        {
            ["good"] = SignedCommit("good", "good"),
            ["good-without-signing-time"] = SignedCommit("good-without-signing-time", "good", "-noattr"),
            ["root-signs-itself"] = SignedCommit("root-signs-itself", "root"),
            ["expired"] = SignedCommit("expired", "expired"),
            ["expired-backdated-without-signing-time"] = SignedCommit("expired-backdated-without-signing-time", "expired", "-noattr", "2020-06-01T00:00:00Z"),
            ["not-yet-valid"] = SignedCommit("not-yet-valid", "notyet"),
            ["leaf-as-ca"] = SignedCommit("leaf-as-ca", "relmgr", $"-certfile '{_dir.Path}/releaseleaf.pem'"),
            ["untrusted-root"] = SignedCommit("untrusted-root", "otherroot"),
            ["revoked"] = SignedCommit("revoked", "revoked"),
            ["wrong-key-usage"] = SignedCommit("wrong-key-usage", "wrongku"),
            ["server-auth-only"] = SignedCommit("server-auth-only", "serverauth"),
        };
        byte[] raw = AdversarialRepo.CatFile(_repo, "commit", commits["good"]);
        raw[AdversarialRepo.IndexOf(raw, "\ngood\n"u8.ToArray()) + 1] = (byte)'G';
        commits["tampered"] = AdversarialRepo.HashObject(_repo, "commit", raw);

        // gpgsm trusts the root (no "relax"), CRLs off: the root is all it is given, as GitOpsSec is.
        string home = _dir.PrivateFolder("gnupg");
        File.WriteAllText(Path.Combine(home, "gpgsm.conf"), "disable-crl-checks\n");
        File.WriteAllText(Path.Combine(home, "trustlist.txt"), Ssl("x509", "-in", "root.pem", "-noout", "-fingerprint", "-sha1").Trim().Split('=')[1] + " S\n");
        var env = new Dictionary<string, string> { ["GNUPGHOME"] = home };
        Proc.Check("gpgsm", new[] { "--batch", "--import", Path.Combine(_dir.Path, "root.pem") }, environment: env);
        Dictionary<string, string> git;
        try
        {
            git = AdversarialRepo.GitLetters(_repo, env, commits.Values);
        }
        finally
        {
            Proc.Run("gpgconf", new[] { "--kill", "all" }, environment: env);
        }

        var trust = new SignatureTrust();
        trust.AddFile(Path.Combine(_dir.Path, "root.pem"));
        trust.AddFile(Path.Combine(_dir.Path, "root.crl"));
        var ours = commits.ToDictionary(c => c.Key, c => CommitSignatures.Verify(_repo.Path, null, c.Value, null, null, trust, false, new CollectingHost()).First());
        foreach (var (name, sha) in commits)
        {
            _output.WriteLine($"{name,-40} git={git[sha]} ours={ours[name].GitLetter} {ours[name].Reason}");
        }

        // Where GitOpsSec is stricter than gpgsm, an independent tool says why; everywhere else the letters are git's.
        var stricter = new Dictionary<string, string>
        {
            // gpgsm logs "ERROR verify.keyusage" and still reports GOODSIG / TRUST_FULLY.
            ["wrong-key-usage"] = "U",
            // gpgsm does not check extendedKeyUsage; openssl's smimesign purpose refuses the certificate (asserted below).
            ["server-auth-only"] = "U",
            // gpgsm needs dirmngr for CRLs; openssl verify -crl_check says the certificate is revoked (asserted below).
            ["revoked"] = "R",
        };
        foreach (var (name, sha) in commits)
        {
            string want = stricter.TryGetValue(name, out string? strict) ? strict : git[sha];
            Assert.True(want == ours[name].GitLetter, $"{name}: expected {want} (git says {git[sha]}), GitOpsSec says {ours[name].GitLetter} ({ours[name].Reason})");
            Assert.True(git[sha] != "G" ? ours[name].GitLetter != "G" : true, $"{name}: git says {git[sha]}, GitOpsSec must not say G");
        }
        Assert.Equal("G", git[commits["wrong-key-usage"]]);
        var keyUsage = Proc.Run("git", new[] { "verify-commit", "--raw", commits["wrong-key-usage"] }, _repo.Path, env);
        Assert.Contains("ERROR verify.keyusage", keyUsage.Output + keyUsage.Error);
        Proc.Run("gpgconf", new[] { "--kill", "all" }, environment: env);
        var (exit, output, error) = Proc.Run("openssl", new[] { "verify", "-crl_check", "-CRLfile", "root.crl", "-CAfile", "root.pem", "revoked.pem" }, _dir.Path);
        Assert.NotEqual(0, exit);
        Assert.Contains("certificate revoked", output + error);
        (exit, output, error) = Proc.Run("openssl", new[] { "verify", "-purpose", "smimesign", "-CAfile", "root.pem", "serverauth.pem" }, _dir.Path);
        Assert.NotEqual(0, exit);
        Assert.Contains("unsuitable certificate purpose", output + error);
        Assert.Equal(0, Proc.Run("openssl", new[] { "verify", "-purpose", "smimesign", "-CAfile", "root.pem", "good.pem" }, _dir.Path).Exit);
        // The verdicts are the intended ones, so agreement is not vacuous.
        Assert.Equal(SignatureStatus.Good, ours["good"].Status);
        Assert.Equal(SignatureStatus.ExpiredKey, ours["expired-backdated-without-signing-time"].Status);
        Assert.Equal(SignatureStatus.Untrusted, ours["leaf-as-ca"].Status);
        Assert.Equal(SignatureStatus.Bad, ours["tampered"].Status);
    }

    public void Dispose()
    {
        _repo.Dispose();
        _dir.Dispose();
    }
}
