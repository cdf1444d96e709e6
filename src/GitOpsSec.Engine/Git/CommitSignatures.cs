using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git.Signatures;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>The verdict on the signature of one commit (or signed tag, or merged tag).</summary>
public sealed record CommitSignatureResult
{
    /// <summary>commit, tag (a signed annotated tag) or mergetag (a signed tag recorded in a merge commit).</summary>
    public required string Kind { get; init; }
    public required string Commit { get; init; }

    /// <summary>For tags: the tag name.</summary>
    public string? Tag { get; init; }
    public required string Author { get; init; }
    public required string Committer { get; init; }
    public required DateTimeOffset Date { get; init; }
    public required string Subject { get; init; }
    public bool IsMerge { get; init; }
    public required SignatureFormat Format { get; init; }
    public required SignatureStatus Status { get; init; }

    /// <summary>git log --format=%G? for the same verdict: G B U X Y R E N.</summary>
    public string GitLetter => SignatureVerdict.Letter(Status);
    public string? KeyId { get; init; }
    public string? Fingerprint { get; init; }

    /// <summary>The principal (SSH), user id (OpenPGP) or certificate subject (X.509) that signed.</summary>
    public string? Signer { get; init; }
    public required string Reason { get; init; }

    public override string ToString() => $"{GitLetter} {Commit[..Math.Min(12, Commit.Length)]} {Format} {Status} {Subject}";
}

/// <summary>Trusted keys for signature verification: OpenPGP keys, SSH allowed signers, X.509 certificates.</summary>
public sealed class SignatureTrust
{
    public OpenPgpVerifier OpenPgp { get; } = new();
    public SshSignatureVerifier Ssh { get; } = new();
    public X509SignatureVerifier X509 { get; } = new();

    /// <summary>Loads a trusted-keys file by its content: allowed_signers lines, OpenPGP keys (armored or binary) or certificates.</summary>
    public void AddFile(string path)
    {
        byte[] data;
        try
        {
            data = GitOpsSec.Diagnostics.SafeFile.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Signature.InvalidKey", ScanErrorCategory.ReadError, $"'{path}' could not be read: {e.Message}", path, e);
        }
        string text = Encoding.UTF8.GetString(data);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            X509.AddCertificates(data, path);
        }
        else if (text.Contains("-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal) || (data.Length > 0 && (data[0] & 0x80) != 0 && data[0] is not 0x30))
        {
            OpenPgp.AddKeys(data, path);
        }
        else if (data.Length > 0 && data[0] == 0x30)
        {
            X509.AddCertificates(data, path);
        }
        else
        {
            Ssh.AddAllowedSigners(text, path);
        }
    }

    internal SignatureVerdict Verify(string signature, byte[] signedData, DateTimeOffset signedAt) => SignatureVerdict.Detect(signature) switch
    {
        SignatureFormat.OpenPGP => OpenPgp.Verify(signature, signedData, DateTimeOffset.UtcNow),
        SignatureFormat.SSH => Ssh.Verify(signature, signedData, signedAt),
        SignatureFormat.X509 => X509.Verify(signature, signedData, signedAt),
        _ => new SignatureVerdict(SignatureFormat.Unknown, SignatureStatus.Error, "The signature is in no format GitOpsSec knows (OpenPGP, SSH, X.509)."),
    };
}

/// <summary>Verifies the signatures of a range of commits (and signed tags) in-process: no git, gpg or ssh-keygen.</summary>
public static class CommitSignatures
{
    public static IEnumerable<CommitSignatureResult> Verify(string path, string? range, string? revision, DateTimeOffset? since, int? maxCount,
        SignatureTrust trust, bool includeTags, IScanHost host)
    {
        using Repository? repo = GitHistory.OpenRepository(path, host);
        if (repo is null)
        {
            yield break;
        }
        if (repo.Info.IsShallow)
        {
            host.Warning("The repository is a shallow clone: commits beyond its boundary cannot be verified (fetch with --unshallow to verify them).");
        }
        List<Commit>? commits = GitHistory.SelectFromHead(repo, range, revision, since, maxCount, host);
        foreach (Commit commit in commits ?? new List<Commit>())
        {
            host.Cancellation.ThrowIfCancellationRequested();
            CommitSignatureResult result;
            try
            {
                result = VerifyCommit(repo, commit, trust);
            }
            catch (LibGit2SharpException e)
            {
                host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                    $"Commit {commit.Sha[..12]} could not be read: {e.Message}; the other commits are still verified.", commit.Sha, Exception: e));
                continue;
            }
            yield return result;
            foreach (CommitSignatureResult tag in MergeTags(repo, commit, trust))
            {
                yield return tag;
            }
        }
        if (includeTags)
        {
            foreach (Tag tag in repo.Tags.Where(t => t.IsAnnotated).OrderBy(t => t.FriendlyName, StringComparer.Ordinal))
            {
                yield return VerifyTag(tag.Annotation, trust);
            }
        }
    }

    /// <summary>The verdict on one commit's own signature (no mergetags).</summary>
    public static CommitSignatureResult VerifyOne(Repository repo, Commit commit, SignatureTrust trust) => VerifyCommit(repo, commit, trust);

    private static CommitSignatureResult Base(Commit c, string kind) => new()
    {
        Kind = kind,
        Commit = c.Sha,
        Author = GitHistory.Person(c.Author),
        Committer = GitHistory.Person(c.Committer),
        Date = c.Committer.When,
        Subject = c.MessageShort,
        IsMerge = c.Parents.Skip(1).Any(),
        Format = SignatureFormat.None,
        Status = SignatureStatus.Unsigned,
        Reason = "The commit is not signed.",
    };

    private static CommitSignatureResult VerifyCommit(Repository repo, Commit commit, SignatureTrust trust)
    {
        CommitSignatureResult result = Base(commit, "commit");
        SignatureInfo info;
        try
        {
            info = Commit.ExtractSignature(repo, commit.Id);
        }
        catch (NotFoundException)
        {
            return result;
        }
        SignatureVerdict v = trust.Verify(info.Signature, Encoding.UTF8.GetBytes(info.SignedData), commit.Committer.When);
        return With(result, v);
    }

    private static CommitSignatureResult With(CommitSignatureResult r, SignatureVerdict v) => r with
    {
        Format = v.Format,
        Status = v.Status,
        KeyId = v.KeyId,
        Fingerprint = v.Fingerprint,
        Signer = v.Signer,
        Reason = v.Reason,
    };

    /// <summary>Signed tags recorded in a merge commit's mergetag headers (git merge of a signed tag).</summary>
    private static IEnumerable<CommitSignatureResult> MergeTags(Repository repo, Commit commit, SignatureTrust trust)
    {
        if (!commit.Parents.Skip(1).Any())
        {
            yield break;
        }
        SignatureInfo info;
        try
        {
            info = Commit.ExtractSignature(repo, commit.Id, "mergetag");
        }
        catch (NotFoundException)
        {
            yield break;
        }
        // The header holds the whole tag object; its signature is the armored block at its end.
        string tagObject = info.Signature.EndsWith('\n') ? info.Signature : info.Signature + "\n";
        int sig = LastArmorStart(tagObject);
        string name = tagObject.Split('\n').FirstOrDefault(l => l.StartsWith("tag ", StringComparison.Ordinal))?[4..] ?? "(merged tag)";
        CommitSignatureResult result = Base(commit, "mergetag") with { Tag = name, Subject = $"merged tag {name}" };
        if (sig < 0)
        {
            yield return result with { Reason = $"The merged tag {name} is not signed." };
            yield break;
        }
        yield return With(result, trust.Verify(tagObject[sig..], Encoding.UTF8.GetBytes(tagObject[..sig]), commit.Committer.When));
    }

    private static int LastArmorStart(string text)
    {
        int at = -1;
        foreach (string marker in new[] { "-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----", "-----BEGIN SIGNED MESSAGE-----" })
        {
            at = Math.Max(at, text.LastIndexOf(marker, StringComparison.Ordinal));
        }
        return at;
    }

    /// <summary>
    /// A signed annotated tag. The signed bytes are the tag object without its signature, rebuilt from
    /// its fields (object, type, tag, tagger with the original time zone, message).
    /// </summary>
    private static CommitSignatureResult VerifyTag(TagAnnotation tag, SignatureTrust trust)
    {
        LibGit2Sharp.Signature tagger = tag.Tagger;
        string message = tag.Message ?? string.Empty;
        var result = new CommitSignatureResult
        {
            Kind = "tag",
            Tag = tag.Name,
            Commit = tag.Target.Sha,
            Author = tagger is null ? string.Empty : GitHistory.Person(tagger),
            Committer = tagger is null ? string.Empty : GitHistory.Person(tagger),
            Date = tagger?.When ?? default,
            Subject = message.Split('\n')[0],
            Format = SignatureFormat.None,
            Status = SignatureStatus.Unsigned,
            Reason = "The tag is not signed.",
        };
        int sig = LastArmorStart(message);
        if (sig < 0)
        {
            return result;
        }
        var header = new StringBuilder();
        header.Append("object ").Append(tag.Target.Sha).Append('\n');
        header.Append("type ").Append(tag.Target switch { LibGit2Sharp.Commit => "commit", Tree => "tree", Blob => "blob", _ => "tag" }).Append('\n');
        header.Append("tag ").Append(tag.Name).Append('\n');
        if (tagger is not null)
        {
            TimeSpan offset = tagger.When.Offset;
            header.Append("tagger ").Append(tagger.Name).Append(" <").Append(tagger.Email).Append("> ")
                .Append(tagger.When.ToUnixTimeSeconds()).Append(' ')
                .Append(offset < TimeSpan.Zero ? '-' : '+').Append(Math.Abs(offset.Hours).ToString("00")).Append(Math.Abs(offset.Minutes).ToString("00")).Append('\n');
        }
        header.Append('\n').Append(message[..sig]);
        SignatureVerdict v = trust.Verify(message[sig..], Encoding.UTF8.GetBytes(header.ToString()), tagger?.When ?? DateTimeOffset.UtcNow);
        return With(result with { Subject = message[..sig].Split('\n')[0] }, v);
    }
}
