using System.Diagnostics;
using System.Text;
using GitOpsSec.Git.Signatures;
using GitOpsSec.Secrets;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Seeded random and mutated inputs for the parsers added with signatures and secret scanning: they answer
/// with a verdict (Error / Bad / no hit), never an exception, and stay fast.
/// </summary>
public class ParserFuzzTests
{
    private static byte[] RandomBytes(Random r, int max)
    {
        var b = new byte[r.Next(0, max)];
        r.NextBytes(b);
        return b;
    }

    private static string Armor(string type, byte[] body) =>
        $"-----BEGIN {type}-----\n\n{Convert.ToBase64String(body)}\n-----END {type}-----\n";

    [Fact]
    public void Signature_verifiers_turn_random_and_mutated_blocks_into_verdicts()
    {
        var random = new Random(424242);
        var trust = new GitOpsSec.Git.SignatureTrust();
        var watch = Stopwatch.StartNew();
        // A structurally valid SSHSIG prefix to mutate from: magic, version 1, then random strings.
        byte[] sshsig = Encoding.ASCII.GetBytes("SSHSIG").Concat(new byte[] { 0, 0, 0, 1 }).ToArray();
        for (int i = 0; i < 2000; i++)
        {
            byte[] data = RandomBytes(random, 64);
            byte[] body = RandomBytes(random, 300);
            if (i % 3 == 0)
            {
                body = sshsig.Concat(body).ToArray();
            }
            foreach (var (type, verify) in new (string, Func<string, SignatureVerdict>)[]
            {
                ("PGP SIGNATURE", s => trust.OpenPgp.Verify(s, data, DateTimeOffset.UtcNow)),
                ("SSH SIGNATURE", s => trust.Ssh.Verify(s, data, DateTimeOffset.UtcNow)),
                ("SIGNED MESSAGE", s => trust.X509.Verify(s, data, DateTimeOffset.UtcNow)),
            })
            {
                string armored = Armor(type, body);
                if (i % 5 == 0)
                {
                    armored = armored.Remove(random.Next(armored.Length), 1); // truncate / corrupt the armor itself
                }
                SignatureVerdict verdict = verify(armored);
                Assert.NotEqual(SignatureStatus.Good, verdict.Status);
            }
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public void The_secret_scanner_survives_random_text_near_its_keywords()
    {
        var random = new Random(777);
        string[] pieces = { "ghp_", "AKIA", "-----BEGIN PRIVATE KEY-----", "-----END", "eyJ", "password: ", "token=", "://u:p@h", "kind: Secret\ndata:\n  a: ",
            "xoxb-", "sk_live_", "\"auth\": \"", "auths", "client-key-data: ", "users:", "clusters:", "\n", " ", "é", "\0", "=", "\\n", "{{", "${" };
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.:";
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder();
            for (int p = random.Next(1, 30); p > 0; p--)
            {
                sb.Append(random.Next(3) == 0 ? pieces[random.Next(pieces.Length)] : new string(Enumerable.Range(0, random.Next(1, 60)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
            }
            var hits = SecretScanner.Default.Scan(sb.ToString(), i % 2 == 0 ? "f.yaml" : "f.txt");
            Assert.All(hits, h => Assert.True(h.Line >= 1 && h.Column >= 1 && h.Secret.Length > 0));
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Allowed_signers_parsing_reports_bad_lines_with_their_number()
    {
        var random = new Random(99);
        for (int i = 0; i < 500; i++)
        {
            string line = string.Concat(Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(4) switch
            {
                0 => "dev@example.com ",
                1 => "namespaces=\"git\" ",
                2 => "ssh-ed25519 ",
                _ => Convert.ToBase64String(RandomBytes(random, 40)) + " ",
            }));
            var verifier = new SshSignatureVerifier();
            try
            {
                verifier.AddAllowedSigners("# header\n" + line + "\n", "fuzz");
            }
            catch (GitOpsSec.Diagnostics.GitOpsSecOperationException e)
            {
                Assert.Equal("GitOpsSec.Signature.InvalidAllowedSigners", e.ErrorId);
            }
        }
    }
}
