using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Engine.Tests.Git;

/// <summary>
/// A repository with commits signed by real gpg and ssh-keygen keys: trusted, unknown, expired and
/// revoked OpenPGP keys; SSH keys in and not in allowed_signers; unsigned, tampered, merge commits and
/// signed tags. Built once per test class (key generation takes a few seconds).
/// </summary>
public sealed class SignedRepoFixture : IDisposable
{
    private readonly TempDir _keys = new();

    public GitRepo Repo { get; } = new();
    public string SignHome { get; }
    public string VerifyHome { get; }
    public string TrustedPgpKeys { get; }
    public string AllowedSigners { get; }
    public Dictionary<string, string> Commits { get; } = new();

    public SignedRepoFixture()
    {
        SignHome = _keys.PrivateFolder("gnupg-sign");
        VerifyHome = _keys.PrivateFolder("gnupg-verify");
        string Fpr(string home, string uid) =>
            Run("gpg", home, "--batch", "--with-colons", "--list-keys", uid).Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        void Gen(string uid, string algo, string expire, params string[] extra) =>
            Run("gpg", SignHome, extra.Concat(new[] { "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", uid, algo, "sign", expire }).ToArray());

        Gen("Trusted Dev <trusted@example.com>", "ed25519", "never");
        Gen("Rsa Dev <rsa@example.com>", "rsa2048", "never");
        Gen("Ecdsa Dev <ecdsa@example.com>", "nistp256", "never");
        Gen("Unknown Dev <unknown@example.com>", "ed25519", "never");
        Gen("Revoked Dev <revoked@example.com>", "ed25519", "never");
        Gen("Expired Dev <expired@example.com>", "ed25519", "1d", "--faked-system-time", "20200101T000000");
        Gen("Sigexpire Dev <sigexpire@example.com>", "ed25519", "never", "--faked-system-time", "20200101T000000");

        string export = System.IO.Path.Combine(_keys.Path, "trusted.asc");
        var trusted = new[] { "trusted@example.com", "rsa@example.com", "ecdsa@example.com", "revoked@example.com", "expired@example.com", "sigexpire@example.com" };
        File.WriteAllText(export, Run("gpg", SignHome, new[] { "--batch", "--armor", "--export" }.Concat(trusted).ToArray()));
        Run("gpg", VerifyHome, "--batch", "--import", export);
        foreach (string uid in trusted)
        {
            RunWithInput("gpg", VerifyHome, Fpr(SignHome, uid) + ":6:\n", "--batch", "--import-ownertrust");
        }

        // SSH keys: two in allowed_signers, one not.
        string sshEd = SshKey("ed25519"), sshEc = SshKey("ecdsa"), sshRsa = SshKey("rsa"), sshOut = SshKey("ed25519", "outsider");
        AllowedSigners = _keys.Write("allowed_signers",
            $"dev@example.com namespaces=\"git\" {File.ReadAllText(sshEd + ".pub").Trim()}\n" +
            $"\"ops@example.com,dev@example.com\" {File.ReadAllText(sshEc + ".pub").Trim()}\n" +
            $"rsa@example.com {File.ReadAllText(sshRsa + ".pub").Trim()}\n");

        Repo.Environment["GNUPGHOME"] = SignHome;
        string wrapper = _keys.Write("gpg-2020", "#!/bin/sh\nexec gpg --faked-system-time 20200101T120000 \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        // Signatures that expire one day after they were made (in 2020).
        string sigExpiring = _keys.Write("gpg-2020-sigexpire", "#!/bin/sh\nexec gpg --faked-system-time 20200101T120000 --default-sig-expire 1d \"$@\"\n");
        File.SetUnixFileMode(sigExpiring, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

        Commit("unsigned", Array.Empty<string>());
        Commit("pgp-good", Gpg(Fpr(SignHome, "trusted@example.com")));
        Commit("pgp-rsa", Gpg(Fpr(SignHome, "rsa@example.com")));
        Commit("pgp-ecdsa", Gpg(Fpr(SignHome, "ecdsa@example.com")));
        Commit("pgp-unknown", Gpg(Fpr(SignHome, "unknown@example.com")));
        Commit("pgp-revoked", Gpg(Fpr(SignHome, "revoked@example.com")));
        Commit("pgp-expired", Gpg(Fpr(SignHome, "expired@example.com")).Concat(new[] { "-c", $"gpg.program={wrapper}" }).ToArray(), "2020-01-01T12:00:00Z");
        Commit("pgp-sigexpired", Gpg(Fpr(SignHome, "sigexpire@example.com")).Concat(new[] { "-c", $"gpg.program={sigExpiring}" }).ToArray(), "2020-01-01T12:00:00Z");
        Commit("ssh-ed25519", Ssh(sshEd));
        Commit("ssh-ecdsa", Ssh(sshEc));
        Commit("ssh-rsa", Ssh(sshRsa));
        Commit("ssh-outsider", Ssh(sshOut));

        // Tampered: the good commit's content changed after signing, signature kept.
        string raw = Repo.Git("cat-file", "commit", Commits["pgp-good"]);
        string forged = raw.Replace("pgp-good", "pgp-g00d", StringComparison.Ordinal);
        string tampered = Repo.TryGitWithInput(forged, "hash-object", "-t", "commit", "-w", "--stdin").Trim();
        Repo.Git("branch", "tampered", tampered);
        Commits["tampered"] = tampered;

        // A signed merge of a signed tag (mergetag header) and a signed annotated tag.
        Repo.Git("checkout", "-q", "-b", "feature");
        Commit("feature-work", Gpg(Fpr(SignHome, "trusted@example.com")));
        Repo.Git(Gpg(Fpr(SignHome, "trusted@example.com")).Concat(new[] { "tag", "-s", "release-feature", "-m", "feature release" }).ToArray());
        Repo.Git("checkout", "-q", "main");
        Repo.Git(Gpg(Fpr(SignHome, "trusted@example.com")).Concat(new[] { "merge", "-q", "--no-ff", "-S", "-m", "merge signed tag", "release-feature" }).ToArray());
        Commits["merge"] = Repo.Git("rev-parse", "HEAD").Trim();
        Repo.Git(Gpg(Fpr(SignHome, "unknown@example.com")).Concat(new[] { "tag", "-s", "v-unknown", "-m", "tag by unknown key" }).ToArray());
        Repo.Git("tag", "-a", "v-plain", "-m", "unsigned annotated tag");

        // Revoke the revoked key in the verifying keyring (gpg wrote a revocation certificate at creation).
        string rev = Directory.GetFiles(System.IO.Path.Combine(SignHome, "openpgp-revocs.d"), Fpr(SignHome, "revoked@example.com") + ".rev").Single();
        string cert = string.Join('\n', File.ReadAllLines(rev).Select(l => l.StartsWith(":-----", StringComparison.Ordinal) ? l[1..] : l));
        RunWithInput("gpg", VerifyHome, cert, "--batch", "--import");
        TrustedPgpKeys = _keys.Write("trusted-verify.asc", Run("gpg", VerifyHome, "--batch", "--armor", "--export"));
    }

    private string[] Gpg(string fingerprint) => new[] { "-c", "gpg.format=openpgp", "-c", $"user.signingkey={fingerprint}" };

    private string[] Ssh(string key) => new[] { "-c", "gpg.format=ssh", "-c", $"user.signingkey={key}.pub" };

    private void Commit(string name, string[] config, string? date = null)
    {
        Repo.Write(name + ".txt", name + "\n");
        Repo.Git("add", "-A");
        if (date is not null)
        {
            Repo.Environment["GIT_COMMITTER_DATE"] = date;
            Repo.Environment["GIT_AUTHOR_DATE"] = date;
        }
        Repo.Git(config.Concat(config.Length > 0 ? new[] { "commit", "-q", "-S", "-m", name } : new[] { "commit", "-q", "-m", name }).ToArray());
        Repo.Environment.Remove("GIT_COMMITTER_DATE");
        Repo.Environment.Remove("GIT_AUTHOR_DATE");
        Commits[name] = Repo.Git("rev-parse", "HEAD").Trim();
    }

    /// <summary>git's own verdicts (%G?) for every commit reachable from all refs, with the same trust.</summary>
    public Dictionary<string, string> GitVerdicts()
    {
        var env = new Dictionary<string, string>(Repo.Environment) { ["GNUPGHOME"] = VerifyHome };
        var saved = new Dictionary<string, string>(Repo.Environment);
        Repo.Environment.Clear();
        foreach (var (k, v) in env)
        {
            Repo.Environment[k] = v;
        }
        try
        {
            return Repo.Git("-c", $"gpg.ssh.allowedSignersFile={AllowedSigners}", "log", "--all", "--format=%H %G?")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
        }
        finally
        {
            Repo.Environment.Clear();
            foreach (var (k, v) in saved)
            {
                Repo.Environment[k] = v;
            }
        }
    }

    public int GitVerifyTag(string tag)
    {
        Repo.Environment["GNUPGHOME"] = VerifyHome;
        try
        {
            return Repo.TryGit("-c", $"gpg.ssh.allowedSignersFile={AllowedSigners}", "verify-tag", tag).Exit;
        }
        finally
        {
            Repo.Environment["GNUPGHOME"] = SignHome;
        }
    }

    private string SshKey(string type, string name = "")
    {
        string file = System.IO.Path.Combine(_keys.Path, $"id_{type}{name}");
        Run("ssh-keygen", null, "-q", "-t", type, "-N", "", "-C", $"{type}{name}@example.com", "-f", file);
        return file;
    }

    private static string Run(string exe, string? gnupgHome, params string[] args) => RunWithInput(exe, gnupgHome, null, args);

    private static string RunWithInput(string exe, string? gnupgHome, string? input, params string[] args) =>
        Proc.Check(exe, args, environment: gnupgHome is null ? null : new Dictionary<string, string> { ["GNUPGHOME"] = gnupgHome }, input: input);

    public void Dispose()
    {
        Repo.Dispose();
        foreach (string home in new[] { SignHome, VerifyHome })
        {
            Proc.Run("gpgconf", new[] { "--kill", "all" }, environment: new Dictionary<string, string> { ["GNUPGHOME"] = home });
        }
        _keys.Dispose();
    }
}
