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

    /// <summary>Where the trusted keys came from (parameters, a protected revision, the user config), or null when nothing is trusted.</summary>
    public string? Origin { get; private set; }

    /// <summary>
    /// The trust for a verification, from sources the change under review cannot edit: the files given as
    /// parameters, else trustedKeys of the protected policy (-PolicyRevision, -Config), else of the user's own
    /// config. The working tree's .gitopssec.yaml is never one: a pull request could name its own key there.
    /// When it names trustedKeys and nothing else does, a warning says so and nothing is trusted (fail closed).
    /// </summary>
    public static SignatureTrust FromSources(IReadOnlyCollection<string> files, GitOpsSec.Reports.ProtectedPolicy? protectedPolicy, string? repositoryRoot, IScanHost host)
    {
        var trust = new SignatureTrust();
        if (files.Count > 0)
        {
            foreach (string file in files)
            {
                trust.AddFile(file);
            }
            trust.Origin = "parameters";
            return trust;
        }
        using GitOpsSec.Reports.ProtectedPolicy? user = protectedPolicy is null ? GitOpsSec.Reports.ProtectedPolicy.FromUser() : null;
        GitOpsSec.Reports.ProtectedPolicy? source = protectedPolicy ?? user;
        if (source?.Config.TrustedKeysPath is string keys)
        {
            trust.AddFile(keys);
            trust.Origin = $"{source.Origin} (trustedKeys: {source.Config.TrustedKeys})";
            return trust;
        }
        if (repositoryRoot is not null && WorkingTreeTrustedKeys(repositoryRoot) is string named)
        {
            host.Warning($"trustedKeys '{named}' in the working tree's {GitOpsSec.Reports.GitOpsConfig.FileName} is not used: the change under review could have written it. " +
                "Pass -PolicyRevision (e.g. origin/main) to take it from a protected revision, the keys as parameters, or trustedKeys in the user config " +
                $"({GitOpsSec.Reports.ProtectedPolicy.UserConfigPath()}). No key is trusted, so no signature reads Good.");
        }
        return trust;
    }
    /// <summary>What the working tree's config names as trustedKeys, only to warn that it is not used; a config that does not load names nothing.</summary>
    private static string? WorkingTreeTrustedKeys(string repositoryRoot)
    {
        try
        {
            return File.Exists(Path.Combine(repositoryRoot, GitOpsSec.Reports.GitOpsConfig.FileName))
                ? GitOpsSec.Reports.GitOpsConfig.ForDirectory(repositoryRoot).TrustedKeys
                : null;
        }
        catch (GitOpsSecOperationException)
        {
            return null; // the change's config cannot stop a verification either
        }
    }

    /// <summary>Loads a trusted-keys file by its content: allowed_signers lines, OpenPGP keys (armored or binary), certificates or certificate revocation lists (PEM).</summary>
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
        if (text.Contains("-----BEGIN X509 CRL-----", StringComparison.Ordinal))
        {
            X509.AddRevocationLists(data, path);
        }
        else if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
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
        // gpg and gpgsm judge keys and certificates now; git asks ssh-keygen about the commit time (-Overify-time).
        SignatureFormat.OpenPGP => OpenPgp.Verify(signature, signedData, DateTimeOffset.UtcNow),
        SignatureFormat.SSH => Ssh.Verify(signature, signedData, signedAt),
        SignatureFormat.X509 => X509.Verify(signature, signedData, DateTimeOffset.UtcNow),
        _ => new SignatureVerdict(SignatureFormat.Unknown, SignatureStatus.Error, "The signature is in no format GitOpsSec knows (OpenPGP, SSH, X.509)."),
    };
}

/// <summary>
/// Verifies the signatures of a range of commits (and signed tags, and the signed tags a merge records)
/// in-process: no git, gpg or ssh-keygen. What is verified are the raw object bytes, split the way git
/// splits them (<see cref="SignedGitObject"/>).
/// </summary>
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
        using var objects = new GitObjectReader(repo);
        if (repo.Info.IsShallow)
        {
            host.Warning("The repository is a shallow clone: commits beyond its boundary cannot be verified (fetch with --unshallow to verify them).");
        }
        List<Commit>? commits = GitHistory.SelectFromHead(repo, range, revision, since, maxCount, host);
        int done = 0;
        foreach (Commit commit in commits ?? new List<Commit>())
        {
            host.Cancellation.ThrowIfCancellationRequested();
            host.Progress("Verifying commit signatures", commit.Sha[..12], commits!.Count == 0 ? -1 : done++ * 100 / commits.Count);
            List<CommitSignatureResult> results;
            try
            {
                byte[] raw = objects.Read(commit.Id).Data;
                results = new List<CommitSignatureResult> { VerifyCommit(raw, commit, trust) };
                results.AddRange(MergeTags(raw, commit, trust));
            }
            catch (LibGit2SharpException e)
            {
                host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                    $"Commit {commit.Sha[..12]} could not be read: {e.Message}; the other commits are still verified.", commit.Sha, Exception: e));
                continue;
            }
            foreach (CommitSignatureResult result in results)
            {
                yield return result;
            }
        }
        if (includeTags)
        {
            foreach (Tag tag in repo.Tags.Where(t => t.IsAnnotated).OrderBy(t => t.FriendlyName, StringComparer.Ordinal))
            {
                CommitSignatureResult result;
                try
                {
                    result = VerifyTag(objects.Read(tag.Annotation.Id).Data, tag.FriendlyName, tag.Annotation, trust);
                }
                catch (LibGit2SharpException e)
                {
                    host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                        $"Tag {tag.FriendlyName} could not be read: {e.Message}; the other tags are still verified.", tag.FriendlyName, Exception: e));
                    continue;
                }
                yield return result;
            }
        }
    }

    /// <summary>The verdict on one commit's own signature (no mergetags).</summary>
    public static CommitSignatureResult VerifyOne(GitObjectReader objects, Commit commit, SignatureTrust trust) =>
        VerifyCommit(objects.Read(commit.Id).Data, commit, trust);

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

    private static CommitSignatureResult VerifyCommit(byte[] raw, Commit commit, SignatureTrust trust)
    {
        CommitSignatureResult result = Base(commit, "commit");
        (byte[] payload, string? signature) = SignedGitObject.SplitCommit(raw);
        return signature is null ? result : With(result, trust.Verify(signature, payload, commit.Committer.When));
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

    /// <summary>
    /// Every signed tag recorded in a merge commit's mergetag headers (git merge of a signed tag; an
    /// octopus merge records one per tag). A tag that names no parent of the merge vouches for nothing
    /// in it: git warns "names a non-parent", here it is not Good whatever its signature.
    /// </summary>
    private static IEnumerable<CommitSignatureResult> MergeTags(byte[] raw, Commit commit, SignatureTrust trust)
    {
        var parents = new HashSet<string>(commit.Parents.Select(p => p.Sha), StringComparer.OrdinalIgnoreCase);
        foreach (byte[] tagObject in SignedGitObject.Headers(raw, "mergetag"))
        {
            string name = SignedGitObject.Header(tagObject, "tag") ?? "(merged tag)";
            string? target = SignedGitObject.Header(tagObject, "object");
            CommitSignatureResult result = Base(commit, "mergetag") with { Tag = name, Subject = $"merged tag {name}" };
            (byte[] payload, string? signature) = SignedGitObject.SplitTag(tagObject);
            if (signature is null)
            {
                yield return result with { Reason = $"The merged tag {name} is not signed." };
                continue;
            }
            CommitSignatureResult verified = With(result, trust.Verify(signature, payload, commit.Committer.When));
            if (target is null || !parents.Contains(target))
            {
                verified = verified with
                {
                    Status = verified.Status == SignatureStatus.Good ? SignatureStatus.Untrusted : verified.Status,
                    Reason = $"The merged tag {name} names {target ?? "no object"}, which is not a parent of this merge (git: \"names a non-parent\"), so it vouches for nothing here. {verified.Reason}",
                };
            }
            yield return verified;
        }
    }

    /// <summary>A signed annotated tag, verified over its raw object bytes and reported under its ref name.</summary>
    private static CommitSignatureResult VerifyTag(byte[] raw, string refName, TagAnnotation tag, SignatureTrust trust)
    {
        LibGit2Sharp.Signature? tagger = tag.Tagger;
        (byte[] payload, string? signature) = SignedGitObject.SplitTag(raw);
        string message = Encoding.UTF8.GetString(payload);
        int body = message.IndexOf("\n\n", StringComparison.Ordinal);
        var result = new CommitSignatureResult
        {
            Kind = "tag",
            Tag = refName,
            Commit = tag.Target.Sha,
            Author = tagger is null ? string.Empty : GitHistory.Person(tagger),
            Committer = tagger is null ? string.Empty : GitHistory.Person(tagger),
            Date = tagger?.When ?? default,
            Subject = body < 0 ? string.Empty : message[(body + 2)..].Split('\n')[0],
            Format = SignatureFormat.None,
            Status = SignatureStatus.Unsigned,
            Reason = "The tag is not signed.",
        };
        if (signature is null)
        {
            return result;
        }
        CommitSignatureResult verified = With(result, trust.Verify(signature, payload, tagger?.When ?? DateTimeOffset.UtcNow));
        string? inner = SignedGitObject.Header(raw, "tag");
        if (inner != refName && verified.Status == SignatureStatus.Good)
        {
            // A tag signed as v1.0 and published as v2.0 says nothing about v2.0.
            verified = verified with
            {
                Status = SignatureStatus.Untrusted,
                Reason = $"The tag object is signed as '{inner}' but published as '{refName}'. {verified.Reason}",
            };
        }
        return verified;
    }
}
