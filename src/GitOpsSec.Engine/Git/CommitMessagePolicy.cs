using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Reports;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>The verdict on one commit message.</summary>
public sealed record CommitMessageResult
{
    /// <summary>Null when a message was checked on its own (a commit-msg hook).</summary>
    public string? Commit { get; init; }
    public string? Author { get; init; }
    public DateTimeOffset? Date { get; init; }
    public required string Subject { get; init; }
    public bool IsMerge { get; init; }
    public required bool Passed { get; init; }

    /// <summary>The text the pattern matched (the ticket reference), when it passed.</summary>
    public string? Ticket { get; init; }

    public required string Reason { get; init; }

    public override string ToString() => $"{(Passed ? "Passed" : "Failed")} {Commit?[..Math.Min(12, Commit.Length)] ?? "(message)"} {Subject}";
}

/// <summary>Ticket references in commit messages, the way a commit-msg hook demands them.</summary>
public static class CommitMessagePolicy
{
    private const string Scissors = "# ------------------------ >8 ------------------------";

    /// <summary>The message as git stores it after the default cleanup: comment lines and the scissors part removed, trimmed.</summary>
    public static string Clean(string message)
    {
        int scissors = message.IndexOf(Scissors, StringComparison.Ordinal);
        if (scissors >= 0)
        {
            message = message[..scissors];
        }
        var lines = message.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Where(l => !l.StartsWith('#')).Select(l => l.TrimEnd());
        return string.Join("\n", lines).Trim();
    }

    public static Regex Compile(string pattern)
    {
        try
        {
            return BoundedPattern.Compile(pattern);
        }
        catch (ArgumentException e)
        {
            throw new GitOpsSecOperationException("GitOpsSec.CommitMessage.InvalidPattern", ScanErrorCategory.InvalidArgument,
                $"The pattern '{pattern}' is not a valid regular expression: {e.Message}", pattern, e);
        }
    }

    /// <summary>Checks one message (as written, comments allowed) against the pattern.</summary>
    public static CommitMessageResult Check(string message, Regex pattern, string? commit = null, string? author = null, DateTimeOffset? date = null, bool isMerge = false)
    {
        string clean = Clean(message);
        string subject = clean.Split('\n')[0];
        if (clean.Length == 0)
        {
            return new CommitMessageResult { Commit = commit, Author = author, Date = date, Subject = subject, IsMerge = isMerge, Passed = false, Reason = "The commit message is empty." };
        }
        Match m;
        string? timedOut = null;
        try
        {
            m = pattern.Match(clean);
        }
        catch (RegexMatchTimeoutException)
        {
            // Fail closed: a message the pattern cannot decide in bounded time is not accepted.
            m = System.Text.RegularExpressions.Match.Empty;
            timedOut = $"The pattern {pattern} took longer than {BoundedPattern.MatchTimeout.TotalSeconds:0} s on this message, so the message is not accepted.";
        }
        return new CommitMessageResult
        {
            Commit = commit,
            Author = author,
            Date = date,
            Subject = subject,
            IsMerge = isMerge,
            Passed = m.Success,
            Ticket = m.Success ? m.Value : null,
            Reason = timedOut ?? (m.Success ? $"References '{m.Value}'." : $"The message does not match {pattern} (a ticket reference such as ABC-123: at the start)."),
        };
    }

    /// <summary>Every commit of the selected history, newest first.</summary>
    public static IEnumerable<CommitMessageResult> CheckHistory(string path, string? range, string? revision, DateTimeOffset? since, int? maxCount,
        Regex pattern, bool excludeMerges, IScanHost host)
    {
        using Repository? repo = GitHistory.OpenRepository(path, host);
        if (repo is null)
        {
            yield break;
        }
        List<Commit>? commits = GitHistory.SelectFromHead(repo, range, revision, since, maxCount, host);
        foreach (Commit c in commits ?? new List<Commit>())
        {
            bool merge = c.Parents.Count() > 1;
            if (merge && excludeMerges)
            {
                continue;
            }
            yield return Check(c.Message, pattern, c.Sha, GitHistory.Person(c.Author), c.Author.When, merge);
        }
    }

    /// <summary>The ticket pattern from the repository's .gitopssec.yaml, or the default.</summary>
    public static string DefaultPattern(string? repositoryRoot) =>
        repositoryRoot is not null ? GitOpsConfig.ForDirectory(repositoryRoot).TicketPattern : GitOpsConfig.Default.TicketPattern;
}
