using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Git.Signatures;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Git;

/// <summary>
/// X.509 (CMS) commit signatures: commits signed through git's gpg.format=x509 with an openssl-based
/// signing program, verified by GitOpsSec and by git itself (through gpgsm, with the trusted
/// certificate in a throw-away GNUPGHOME).
/// </summary>
public sealed class X509SignatureTests
{
    private static string Run(string exe, string? cwd, params string[] args) => Proc.Check(exe, args, cwd);

    private static (string Cert, string SignProgram) Signer(TempDir dir, string name)
    {
        string key = Path.Combine(dir.Path, name + ".key"), cert = Path.Combine(dir.Path, name + ".pem");
        Run("openssl", null, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "365",
            "-subj", $"/CN={name}/emailAddress={name}@example.com", "-addext", "keyUsage=digitalSignature,keyCertSign", "-addext", "basicConstraints=critical,CA:TRUE");
        string program = dir.Write(name + "-sign.sh", $$"""
            #!/bin/sh
            tmp=$(mktemp); cat > "$tmp"
            openssl cms -sign -binary -in "$tmp" -signer '{{cert}}' -inkey '{{key}}' -outform PEM -md sha256 | sed 's/BEGIN CMS/BEGIN SIGNED MESSAGE/; s/END CMS/END SIGNED MESSAGE/'
            rm -f "$tmp"
            echo "[GNUPG:] SIG_CREATED D 1 8 00 0 X" >&2
            """);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (cert, program);
    }

    [Fact]
    public void X509_verdicts_agree_with_git_through_gpgsm()
    {
        using var dir = new TempDir();
        using var repo = new GitRepo();
        var trusted = Signer(dir, "trusted");
        var other = Signer(dir, "other");
        repo.Write("a.txt", "1");
        repo.Git("add", "-A");
        repo.Git("-c", "gpg.format=x509", "-c", $"gpg.x509.program={trusted.SignProgram}", "-c", "user.signingkey=trusted", "commit", "-q", "-S", "-m", "signed by trusted");
        string good = repo.Git("rev-parse", "HEAD").Trim();
        repo.Write("a.txt", "2");
        repo.Git("add", "-A");
        repo.Git("-c", "gpg.format=x509", "-c", $"gpg.x509.program={other.SignProgram}", "-c", "user.signingkey=other", "commit", "-q", "-S", "-m", "signed by other");
        string untrusted = repo.Git("rev-parse", "HEAD").Trim();

        var trust = new SignatureTrust();
        trust.AddFile(trusted.Cert);
        var ours = CommitSignatures.Verify(repo.Path, null, null, null, null, trust, false, new CollectingHost()).ToDictionary(r => r.Commit);
        Assert.Equal((SignatureFormat.X509, SignatureStatus.Good), (ours[good].Format, ours[good].Status));
        Assert.Contains("CN=trusted", ours[good].Signer, StringComparison.Ordinal);
        Assert.Equal(SignatureStatus.Untrusted, ours[untrusted].Status);

        // git, through gpgsm trusting only the trusted certificate.
        string home = dir.PrivateFolder("gnupg");
        File.WriteAllText(Path.Combine(home, "gpgsm.conf"), "disable-crl-checks\n");
        string fpr = Run("openssl", null, "x509", "-in", trusted.Cert, "-noout", "-fingerprint", "-sha1").Trim().Split('=')[1];
        File.WriteAllText(Path.Combine(home, "trustlist.txt"), fpr + " S relax\n");
        repo.Environment["GNUPGHOME"] = home;
        try
        {
            Proc.Check("gpgsm", new[] { "--batch", "--import", trusted.Cert }, environment: new Dictionary<string, string> { ["GNUPGHOME"] = home });
            var git = repo.Git("log", "--format=%H %G?").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l[..40], l => l[41..]);
            Assert.Equal("G", git[good]);
            Assert.Equal(ours[good].GitLetter, git[good]);
            // gpgsm cannot even build a chain for the other certificate (E); GitOpsSec checks the signature and says it is valid but untrusted (U): both refuse it.
            Assert.NotEqual("G", git[untrusted]);
            Assert.NotEqual(SignatureStatus.Good, ours[untrusted].Status);
        }
        finally
        {
            Proc.Run("gpgconf", new[] { "--kill", "all" }, environment: new Dictionary<string, string> { ["GNUPGHOME"] = home });
        }
    }
}
