using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git.Signatures;
using GitOpsSec.Manifests;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>One Kubernetes object added, changed or removed by one commit: a row of the audit trail.</summary>
public sealed record ChangeLogEntry
{
    public required string Commit { get; init; }
    public required DateTimeOffset Date { get; init; }
    public required string Author { get; init; }
    public required string Committer { get; init; }
    public required string Subject { get; init; }

    /// <summary>The ticket reference the message names (the ticket pattern's match), or null.</summary>
    public string? Ticket { get; init; }
    public required SignatureStatus SignatureStatus { get; init; }
    public string? Signer { get; init; }

    /// <summary>Added, Modified or Removed.</summary>
    public required string Change { get; init; }
    public required string Kind { get; init; }
    public string? ApiVersion { get; init; }
    public string? Namespace { get; init; }
    public required string Name { get; init; }
    public required string Path { get; init; }

    public override string ToString() => $"{Commit[..Math.Min(12, Commit.Length)]} {Change} {Kind}/{(Namespace is null ? string.Empty : Namespace + "/")}{Name} ({Path})";
}

/// <summary>Who changed which Kubernetes object, when and why: the objects each commit adds, modifies or removes.</summary>
public static class ChangeLog
{
    private sealed record ObjectKey(string Group, string Kind, string? Namespace, string Name);

    public static IEnumerable<ChangeLogEntry> Read(string path, string? range, string? revision, DateTimeOffset? since, int? maxCount,
        Regex ticketPattern, SignatureTrust trust, IScanHost host)
    {
        using Repository? repo = GitHistory.OpenRepository(path, host);
        if (repo is null)
        {
            yield break;
        }
        using var objects = new GitObjectReader(repo);
        List<Commit>? commits = GitHistory.SelectFromHead(repo, range, revision, since, maxCount, host);
        int done = 0;
        foreach (Commit commit in commits ?? new List<Commit>())
        {
            host.Cancellation.ThrowIfCancellationRequested();
            host.Progress("Reading the change log", commit.Sha[..12], done++ * 100 / commits!.Count);
            List<ChangeLogEntry> rows;
            try
            {
                rows = ForCommit(repo, objects, commit, ticketPattern, trust, host).ToList();
            }
            catch (LibGit2SharpException e)
            {
                host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                    $"Commit {commit.Sha[..12]} could not be read: {e.Message}; the other commits are still listed.", commit.Sha, Exception: e));
                continue;
            }
            foreach (ChangeLogEntry row in rows)
            {
                yield return row;
            }
        }
    }

    private static IEnumerable<ChangeLogEntry> ForCommit(Repository repo, GitObjectReader objects, Commit commit, Regex ticketPattern, SignatureTrust trust, IScanHost host)
    {
        Tree? before = commit.Parents.FirstOrDefault()?.Tree;
        var changed = new List<(string Path, ObjectId? Old, ObjectId? New)>();
        using (var changes = repo.Diff.Compare<TreeChanges>(before, commit.Tree, new CompareOptions { Similarity = SimilarityOptions.None }))
        {
            foreach (TreeEntryChanges c in changes)
            {
                if (!IsManifest(c.Path) && !IsManifest(c.OldPath))
                {
                    continue;
                }
                ObjectId? oldId = c.Status is ChangeKind.Added ? null : c.OldOid;
                ObjectId? newId = c.Status is ChangeKind.Deleted ? null : c.Oid;
                changed.Add((c.Status is ChangeKind.Deleted ? c.OldPath : c.Path, oldId, newId));
            }
        }
        if (changed.Count == 0)
        {
            yield break;
        }
        CommitSignatureResult? signature = null;
        string message = CommitMessagePolicy.Clean(commit.Message);
        Match ticket = ticketPattern.Match(message);
        foreach (var (file, oldId, newId) in changed)
        {
            var oldObjects = Objects(repo, oldId, file, host);
            var newObjects = Objects(repo, newId, file, host);
            foreach (var (key, hash) in newObjects)
            {
                string? change = !oldObjects.TryGetValue(key, out string? previous) ? "Added" : previous != hash ? "Modified" : null;
                if (change is not null)
                {
                    signature ??= CommitSignatures.VerifyOne(objects, commit, trust);
                    yield return Row(commit, ticket, signature, change, key, file);
                }
            }
            foreach (var key in oldObjects.Keys.Where(k => !newObjects.ContainsKey(k)))
            {
                signature ??= CommitSignatures.VerifyOne(objects, commit, trust);
                yield return Row(commit, ticket, signature, "Removed", key, file);
            }
        }
    }

    private static ChangeLogEntry Row(Commit c, Match ticket, CommitSignatureResult sig, string change, ObjectKey key, string file) => new()
    {
        Commit = c.Sha,
        Date = c.Committer.When,
        Author = GitHistory.Person(c.Author),
        Committer = GitHistory.Person(c.Committer),
        Subject = c.MessageShort,
        Ticket = ticket.Success ? ticket.Value.TrimEnd(':', ' ') : null,
        SignatureStatus = sig.Status,
        Signer = sig.Signer,
        Change = change,
        Kind = key.Kind,
        ApiVersion = key.Group,
        Namespace = key.Namespace,
        Name = key.Name,
        Path = file,
    };

    private static bool IsManifest(string? path) =>
        path is not null && (path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) ||
                             path.EndsWith(".json", StringComparison.OrdinalIgnoreCase));

    /// <summary>The objects of one blob, keyed by identity, with a hash of each object's document text.</summary>
    private static Dictionary<ObjectKey, string> Objects(Repository repo, ObjectId? id, string path, IScanHost host)
    {
        var result = new Dictionary<ObjectKey, string>();
        if (id is null || repo.Lookup<Blob>(id) is not Blob blob || blob.IsBinary || blob.Size > LoadLimits.Default.MaxFileBytes)
        {
            return result;
        }
        string text = blob.GetContentText();
        var errors = new List<ScanError>();
        foreach (YamlDocument doc in YamlDocumentReader.Read(text, path, LoadLimits.Default, errors.Add))
        {
            if (doc.Root is not YMapping root)
            {
                continue;
            }
            IEnumerable<YMapping> objects = root.Text("kind") is string k && k.EndsWith("List", StringComparison.Ordinal) && root.Seq("items") is YSequence items
                ? items.Items.OfType<YMapping>()
                : new[] { root };
            foreach (YMapping obj in objects)
            {
                if (obj.Text("kind") is not string kind || obj.Map("metadata")?.Text("name") is not string name)
                {
                    continue;
                }
                var key = new ObjectKey(obj.Text("apiVersion") ?? string.Empty, kind, obj.Map("metadata")?.Text("namespace"), name);
                var canonical = new StringBuilder();
                Canonical(obj, canonical);
                result[key] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
            }
        }
        // A file that does not parse in this revision contributes no objects; the commit's other files still count.
        return result;
    }

    /// <summary>The object's content independent of formatting, comments and key order: a reformat is not a change.</summary>
    private static void Canonical(YNode node, StringBuilder into)
    {
        switch (node)
        {
            case YScalar s:
                into.Append('"').Append(s.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                break;
            case YSequence seq:
                into.Append('[');
                foreach (YNode item in seq.Items)
                {
                    Canonical(item, into);
                    into.Append(',');
                }
                into.Append(']');
                break;
            case YMapping map:
                into.Append('{');
                foreach (var (key, value) in map.Entries.OrderBy(e => e.Key.Value, StringComparer.Ordinal))
                {
                    into.Append('"').Append(key.Value).Append("\":");
                    Canonical(value, into);
                    into.Append(',');
                }
                into.Append('}');
                break;
        }
    }
}
