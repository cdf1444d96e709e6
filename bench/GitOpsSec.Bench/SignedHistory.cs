using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

/// <summary>
/// Writes a repository of N commits, each signed with an SSH ed25519 key in git's SSHSIG format, and
/// the allowed_signers file that trusts the key: the input of the signature-verification benchmark.
/// The signatures are checked by git itself in bench/run-signatures.sh (git log %G? must say G).
/// </summary>
internal static class SignedHistory
{
    public static void Create(string dir, int count)
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        byte[] pub = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
        byte[] keyBlob = Concat(Str("ssh-ed25519"), Str(pub));
        Directory.CreateDirectory(dir);
        Repository.Init(dir);
        File.WriteAllText(Path.Combine(dir, ".allowed_signers"), $"bench@example.com ssh-ed25519 {Convert.ToBase64String(keyBlob)}\n");
        using var repo = new Repository(dir);
        string? parent = null;
        long t = 1_700_000_000;
        for (int i = 0; i < count; i++)
        {
            var tree = new TreeDefinition();
            tree.Add($"apps/app-{i % 97}.yaml", repo.ObjectDatabase.CreateBlob(new MemoryStream(Encoding.UTF8.GetBytes($"kind: ConfigMap\nmetadata:\n  name: app-{i % 97}\ndata:\n  rev: \"{i}\"\n"))), Mode.NonExecutableFile);
            Tree treeObject = repo.ObjectDatabase.CreateTree(tree);
            string content = $"tree {treeObject.Sha}\n{(parent is null ? string.Empty : $"parent {parent}\n")}author Bench <bench@example.com> {t + i * 60} +0000\ncommitter Bench <bench@example.com> {t + i * 60} +0000\n\nOPS-{i}: change {i}\n";
            ObjectId id = repo.ObjectDatabase.CreateCommitWithSignature(content, Sign(Encoding.UTF8.GetBytes(content), keyBlob, (Ed25519PrivateKeyParameters)pair.Private));
            parent = id.Sha;
        }
        repo.Refs.Add("refs/heads/main", new ObjectId(parent!), allowOverwrite: true);
        repo.Refs.UpdateTarget("HEAD", "refs/heads/main");
    }

    private static string Sign(byte[] data, byte[] keyBlob, Ed25519PrivateKeyParameters key)
    {
        byte[] message = Concat(Encoding.ASCII.GetBytes("SSHSIG"), Str("git"), Str(""), Str("sha512"), Str(SHA512.HashData(data)));
        var signer = new Ed25519Signer();
        signer.Init(true, key);
        signer.BlockUpdate(message, 0, message.Length);
        byte[] sig = signer.GenerateSignature();
        byte[] blob = Concat(Encoding.ASCII.GetBytes("SSHSIG"), U32(1), Str(keyBlob), Str("git"), Str(""), Str("sha512"), Str(Concat(Str("ssh-ed25519"), Str(sig))));
        string b64 = Convert.ToBase64String(blob);
        var armored = new StringBuilder("-----BEGIN SSH SIGNATURE-----\n");
        for (int i = 0; i < b64.Length; i += 70)
        {
            armored.Append(b64, i, Math.Min(70, b64.Length - i)).Append('\n');
        }
        return armored.Append("-----END SSH SIGNATURE-----").ToString();
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    private static byte[] Str(string s) => Str(Encoding.ASCII.GetBytes(s));

    private static byte[] Str(byte[] b) => Concat(U32((uint)b.Length), b);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
