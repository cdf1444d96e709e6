using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GitOpsSec.Diagnostics;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace GitOpsSec.Git.Signatures;

/// <summary>One line of an OpenSSH allowed_signers file (git's gpg.ssh.allowedSignersFile).</summary>
public sealed record AllowedSigner(
    IReadOnlyList<string> Principals,
    string KeyType,
    byte[] KeyBlob,
    IReadOnlyList<string>? Namespaces,
    DateTimeOffset? ValidAfter,
    DateTimeOffset? ValidBefore,
    bool CertificateAuthority,
    int Line);

/// <summary>
/// Verifies SSH signatures (SSHSIG, as `ssh-keygen -Y sign` and git with gpg.format=ssh write them) in
/// process: ssh-ed25519, rsa-sha2-256/512 and ecdsa-sha2-nistp256/384/521. Trust comes from an
/// allowed_signers file: principals, namespaces="git,...", valid-after / valid-before (checked at the
/// commit time, as git does).
/// </summary>
public sealed class SshSignatureVerifier
{
    private const string Namespace = "git";
    private readonly List<AllowedSigner> _signers = new();

    public int SignerCount => _signers.Count;

    /// <summary>Reads an allowed_signers file; GitOpsSec.Signature.InvalidAllowedSigners naming the line of the first bad entry.</summary>
    public void AddAllowedSigners(string text, string source)
    {
        int lineNo = 0;
        foreach (string raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            try
            {
                _signers.Add(ParseSigner(line, lineNo));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException)
            {
                throw new GitOpsSecOperationException("GitOpsSec.Signature.InvalidAllowedSigners", ScanErrorCategory.InvalidData,
                    $"{source}:{lineNo}: not an allowed_signers entry ({e.Message}).", source, e);
            }
        }
        if (_signers.Count == 0)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Signature.InvalidAllowedSigners", ScanErrorCategory.InvalidData,
                $"'{source}' has no allowed_signers entries.", source);
        }
    }

    private static AllowedSigner ParseSigner(string line, int lineNo)
    {
        var tokens = Tokenize(line);
        if (tokens.Count < 3)
        {
            throw new FormatException("expected: principals [options] keytype base64-key [comment]");
        }
        string principals = tokens[0];
        int at = 1;
        IReadOnlyList<string>? namespaces = null;
        DateTimeOffset? after = null, before = null;
        bool ca = false;
        if (!LooksLikeKeyType(tokens[1]))
        {
            foreach (string option in SplitOptions(tokens[1]))
            {
                int eq = option.IndexOf('=');
                string name = (eq < 0 ? option : option[..eq]).ToLowerInvariant();
                string value = eq < 0 ? string.Empty : option[(eq + 1)..].Trim('"');
                switch (name)
                {
                    case "cert-authority": ca = true; break;
                    case "namespaces": namespaces = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                    case "valid-after": after = ParseTime(value); break;
                    case "valid-before": before = ParseTime(value); break;
                    default: throw new FormatException($"unknown option '{name}'");
                }
            }
            at = 2;
        }
        if (tokens.Count < at + 2 || !LooksLikeKeyType(tokens[at]))
        {
            throw new FormatException("no key type");
        }
        byte[] blob = Convert.FromBase64String(tokens[at + 1]);
        var reader = new SshReader(blob);
        if (reader.ReadString() != tokens[at])
        {
            throw new FormatException("the key's type does not match its data");
        }
        return new AllowedSigner(principals.Trim('"').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            tokens[at], blob, namespaces, after, before, ca, lineNo);
    }

    private static bool LooksLikeKeyType(string token) =>
        token.StartsWith("ssh-", StringComparison.Ordinal) || token.StartsWith("ecdsa-", StringComparison.Ordinal) ||
        token.StartsWith("sk-", StringComparison.Ordinal);

    private static DateTimeOffset ParseTime(string value)
    {
        bool utc = value.EndsWith('Z');
        string v = value.TrimEnd('Z');
        string format = v.Length switch { 8 => "yyyyMMdd", 12 => "yyyyMMddHHmm", 14 => "yyyyMMddHHmmss", _ => throw new FormatException($"bad time '{value}'") };
        var t = DateTime.ParseExact(v, format, CultureInfo.InvariantCulture, utc ? DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal : DateTimeStyles.AssumeLocal);
        return new DateTimeOffset(t);
    }

    private static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
                current.Append(c);
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }
        return tokens;
    }

    private static IEnumerable<string> SplitOptions(string options)
    {
        var current = new StringBuilder();
        bool quoted = false;
        foreach (char c in options)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            if (c == ',' && !quoted)
            {
                yield return current.ToString();
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    /// <summary>SHA256:... as ssh-keygen -l prints it.</summary>
    public static string Fingerprint(byte[] keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>Verifies an armored SSHSIG over <paramref name="signedData"/>, made at <paramref name="signedAt"/> (the commit time).</summary>
    public SignatureVerdict Verify(string armoredSignature, byte[] signedData, DateTimeOffset signedAt)
    {
        byte[] keyBlob;
        string keyType, hashAlgorithm, ns, sigType;
        byte[] sigBytes;
        byte[] reserved;
        try
        {
            byte[] blob = Dearmor(armoredSignature);
            var r = new SshReader(blob);
            if (Encoding.ASCII.GetString(r.ReadRaw(6)) != "SSHSIG")
            {
                throw new FormatException("no SSHSIG magic");
            }
            uint version = r.ReadUInt32();
            if (version != 1)
            {
                throw new FormatException($"unsupported SSHSIG version {version}");
            }
            keyBlob = r.ReadBytes();
            ns = Encoding.UTF8.GetString(r.ReadBytes());
            reserved = r.ReadBytes();
            hashAlgorithm = r.ReadString();
            var sig = new SshReader(r.ReadBytes());
            sigType = sig.ReadString();
            sigBytes = sig.ReadBytes();
            keyType = new SshReader(keyBlob).ReadString();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Error, $"The SSH signature is malformed: {e.Message}");
        }
        string fingerprint = Fingerprint(keyBlob);
        if (ns != Namespace)
        {
            return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Bad, $"The signature is for namespace '{ns}', not 'git'.", null, fingerprint, null, keyType);
        }
        byte[] hash;
        switch (hashAlgorithm)
        {
            case "sha256": hash = SHA256.HashData(signedData); break;
            case "sha512": hash = SHA512.HashData(signedData); break;
            default: return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Error, $"Unsupported SSHSIG hash '{hashAlgorithm}'.", null, fingerprint, null, keyType);
        }
        var message = new SshWriter();
        message.WriteRaw(Encoding.ASCII.GetBytes("SSHSIG"));
        message.WriteString(Encoding.UTF8.GetBytes(ns));
        message.WriteString(reserved);
        message.WriteString(Encoding.ASCII.GetBytes(hashAlgorithm));
        message.WriteString(hash);
        bool valid;
        try
        {
            valid = VerifyRaw(keyBlob, keyType, sigType, sigBytes, message.ToArray());
        }
        catch (NotSupportedException e)
        {
            return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Error, e.Message, null, fingerprint, null, keyType);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Error, $"The SSH key or signature is malformed: {e.Message}", null, fingerprint, null, keyType);
        }
        if (!valid)
        {
            return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Bad,
                "The signature does not match the signed content (it was altered after signing).", null, fingerprint, null, keyType);
        }
        var matches = _signers.Where(s => !s.CertificateAuthority && s.KeyBlob.AsSpan().SequenceEqual(keyBlob)).ToList();
        if (matches.Count == 0)
        {
            return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Untrusted,
                $"Valid signature by {fingerprint}, a key that is not in the allowed signers.", null, fingerprint, null, keyType);
        }
        AllowedSigner? allowed = matches.FirstOrDefault(s =>
            (s.Namespaces is null || s.Namespaces.Contains(Namespace)) &&
            (s.ValidAfter is null || signedAt >= s.ValidAfter) && (s.ValidBefore is null || signedAt <= s.ValidBefore));
        if (allowed is null)
        {
            return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Untrusted,
                $"Valid signature by {fingerprint}, but allowed signers line {matches[0].Line} does not allow it for namespace 'git' at {signedAt:u}.",
                null, fingerprint, string.Join(",", matches[0].Principals), keyType);
        }
        string principal = string.Join(",", allowed.Principals);
        return new SignatureVerdict(SignatureFormat.SSH, SignatureStatus.Good, $"Good \"git\" signature for {principal} with {keyType} key {fingerprint}.",
            null, fingerprint, principal, keyType);
    }

    private static bool VerifyRaw(byte[] keyBlob, string keyType, string sigType, byte[] signature, byte[] message)
    {
        var key = new SshReader(keyBlob);
        key.ReadString();
        switch (keyType)
        {
            case "ssh-ed25519":
            {
                if (sigType != "ssh-ed25519")
                {
                    return false;
                }
                var signer = new Ed25519Signer();
                signer.Init(false, new Ed25519PublicKeyParameters(key.ReadBytes(), 0));
                signer.BlockUpdate(message, 0, message.Length);
                return signer.VerifySignature(signature);
            }
            case "ssh-rsa":
            {
                byte[] e = key.ReadMpint(), n = key.ReadMpint();
                using var rsa = RSA.Create();
                rsa.ImportParameters(new RSAParameters { Exponent = e, Modulus = n });
                HashAlgorithmName hash = sigType switch
                {
                    "rsa-sha2-256" => HashAlgorithmName.SHA256,
                    "rsa-sha2-512" => HashAlgorithmName.SHA512,
                    _ => throw new NotSupportedException($"SSH signature type '{sigType}' is not accepted (git requires rsa-sha2-256 or rsa-sha2-512)."),
                };
                return rsa.VerifyData(message, signature, hash, RSASignaturePadding.Pkcs1);
            }
            case "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521":
            {
                if (sigType != keyType)
                {
                    return false;
                }
                string curveName = key.ReadString();
                byte[] q = key.ReadBytes();
                (ECCurve curve, HashAlgorithmName hash, int size) = curveName switch
                {
                    "nistp256" => (ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256, 32),
                    "nistp384" => (ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384, 48),
                    "nistp521" => (ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512, 66),
                    _ => throw new NotSupportedException($"Unknown ECDSA curve '{curveName}'."),
                };
                if (q.Length != 1 + 2 * size || q[0] != 4)
                {
                    throw new FormatException("the ECDSA point is not uncompressed");
                }
                using var ecdsa = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = q[1..(1 + size)], Y = q[(1 + size)..] } });
                var sig = new SshReader(signature);
                byte[] rs = new byte[2 * size];
                Fixed(sig.ReadMpint(), size).CopyTo(rs, 0);
                Fixed(sig.ReadMpint(), size).CopyTo(rs, size);
                return ecdsa.VerifyData(message, rs, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }
            default:
                throw new NotSupportedException($"SSH key type '{keyType}' is not supported (supported: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521).");
        }
    }

    private static byte[] Fixed(byte[] value, int size)
    {
        if (value.Length > size)
        {
            return value[^size..];
        }
        var result = new byte[size];
        value.CopyTo(result, size - value.Length);
        return result;
    }

    private static byte[] Dearmor(string armored)
    {
        const string begin = "-----BEGIN SSH SIGNATURE-----", end = "-----END SSH SIGNATURE-----";
        if (!SignatureArmor.IsSingleBlock(armored, "SSH SIGNATURE"))
        {
            throw new FormatException("more than one SSH SIGNATURE block, or text after it");
        }
        int b = armored.IndexOf(begin, StringComparison.Ordinal), e = armored.IndexOf(end, StringComparison.Ordinal);
        if (b < 0 || e < b)
        {
            throw new FormatException("no SSH SIGNATURE armor");
        }
        string body = armored[(b + begin.Length)..e];
        return Convert.FromBase64String(string.Concat(body.Where(c => !char.IsWhiteSpace(c))));
    }

    /// <summary>Reads the SSH wire format (RFC 4251): uint32, string, mpint.</summary>
    internal sealed class SshReader
    {
        private readonly byte[] _data;
        private int _at;

        public SshReader(byte[] data) => _data = data;

        public byte[] ReadRaw(int n)
        {
            if (n < 0 || _at + n > _data.Length)
            {
                throw new FormatException("truncated SSH data");
            }
            byte[] r = _data[_at..(_at + n)];
            _at += n;
            return r;
        }

        public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(ReadRaw(4));

        public byte[] ReadBytes()
        {
            uint n = ReadUInt32();
            if (n > int.MaxValue)
            {
                throw new FormatException("SSH string too long");
            }
            return ReadRaw((int)n);
        }

        public string ReadString() => Encoding.ASCII.GetString(ReadBytes());

        public byte[] ReadMpint()
        {
            byte[] v = ReadBytes();
            int skip = 0;
            while (skip < v.Length - 1 && v[skip] == 0)
            {
                skip++;
            }
            return v[skip..];
        }
    }

    internal sealed class SshWriter
    {
        private readonly MemoryStream _out = new();

        public void WriteRaw(byte[] b) => _out.Write(b);

        public void WriteString(byte[] b)
        {
            Span<byte> len = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(len, (uint)b.Length);
            _out.Write(len);
            _out.Write(b);
        }

        public byte[] ToArray() => _out.ToArray();
    }
}
