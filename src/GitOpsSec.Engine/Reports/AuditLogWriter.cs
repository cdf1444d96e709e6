using System.Text.Json;
using System.Text.Json.Nodes;
using GitOpsSec.Git;
using GitOpsSec.Secrets;

namespace GitOpsSec.Reports;

/// <summary>
/// Findings and change-log records as JSON lines with Elastic Common Schema field names (@timestamp,
/// event.kind, event.category, rule.id, git.commit, user.name, kubernetes.namespace, ...), nested the way
/// ECS documents are, so Elastic Agent / Filebeat and Loki / Promtail ingest them without a custom parser.
/// </summary>
public static class AuditLogWriter
{
    public static string Line(object record, string version, DateTimeOffset? now = null)
    {
        DateTimeOffset at = now ?? DateTimeOffset.UtcNow;
        JsonObject doc = record switch
        {
            Finding f => FromFinding(f, at),
            SecretFinding s => FromFinding(s.ToFinding(), s.Date ?? at),
            ChangeLogEntry c => FromChange(c),
            CommitSignatureResult r => FromSignature(r),
            _ => throw new ArgumentException($"'{record.GetType().Name}' cannot be written to the audit log."),
        };
        doc["ecs"] = new JsonObject { ["version"] = "8.11.0" };
        doc["observer"] = new JsonObject { ["vendor"] = "GitOpsSec", ["product"] = "GitOpsSec", ["version"] = version };
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static JsonObject FromFinding(Finding f, DateTimeOffset at)
    {
        var doc = new JsonObject
        {
            ["@timestamp"] = at.ToUniversalTime().ToString("O"),
            ["message"] = f.Message,
            ["event"] = new JsonObject
            {
                ["kind"] = "alert",
                ["category"] = new JsonArray("configuration"),
                ["type"] = new JsonArray("info"),
                ["dataset"] = "gitopssec.finding",
                ["severity"] = (int)f.Severity,
                ["outcome"] = f.IsOpen ? "failure" : "success",
            },
            ["rule"] = new JsonObject { ["id"] = f.RuleId, ["name"] = f.RuleName, ["category"] = f.Category, ["reference"] = f.HelpUri },
            ["log"] = new JsonObject { ["level"] = f.Severity.ToString().ToLowerInvariant() },
            ["gitopssec"] = new JsonObject
            {
                ["fingerprint"] = f.Fingerprint, ["suppressed"] = f.Suppressed, ["baselined"] = f.Baselined, ["field"] = f.Field, ["evidence"] = f.Evidence,
            },
        };
        if (f.Path is not null)
        {
            doc["file"] = new JsonObject { ["path"] = f.Path };
            doc["gitopssec"]!["line"] = f.Line;
        }
        if (f.Resource is not null)
        {
            doc["kubernetes"] = new JsonObject { ["namespace"] = f.Resource.Namespace, ["kind"] = f.Resource.Kind, ["name"] = f.Resource.Name };
        }
        if (f.Commit is not null)
        {
            doc["git"] = new JsonObject { ["commit"] = f.Commit };
        }
        if (f.Author is not null)
        {
            doc["user"] = User(f.Author);
        }
        return doc;
    }

    private static JsonObject FromChange(ChangeLogEntry c) => new()
    {
        ["@timestamp"] = c.Date.ToUniversalTime().ToString("O"),
        ["message"] = $"{c.Change} {c.Kind} {(c.Namespace is null ? string.Empty : c.Namespace + "/")}{c.Name}: {c.Subject}",
        ["event"] = new JsonObject
        {
            ["kind"] = "event",
            ["category"] = new JsonArray("configuration"),
            ["type"] = new JsonArray(c.Change switch { "Added" => "creation", "Removed" => "deletion", _ => "change" }),
            ["action"] = c.Change.ToLowerInvariant(),
            ["dataset"] = "gitopssec.changelog",
        },
        ["git"] = new JsonObject { ["commit"] = c.Commit, ["subject"] = c.Subject, ["ticket"] = c.Ticket, ["signature"] = c.SignatureStatus.ToString(), ["signer"] = c.Signer, ["committer"] = c.Committer },
        ["user"] = User(c.Author),
        ["kubernetes"] = new JsonObject { ["namespace"] = c.Namespace, ["kind"] = c.Kind, ["name"] = c.Name, ["api_version"] = c.ApiVersion },
        ["file"] = new JsonObject { ["path"] = c.Path },
    };

    private static JsonObject FromSignature(CommitSignatureResult r) => new()
    {
        ["@timestamp"] = r.Date.ToUniversalTime().ToString("O"),
        ["message"] = $"{r.Kind} {r.Commit[..Math.Min(12, r.Commit.Length)]}: {r.Status} ({r.Reason})",
        ["event"] = new JsonObject
        {
            ["kind"] = "event",
            ["category"] = new JsonArray("configuration"),
            ["type"] = new JsonArray("info"),
            ["dataset"] = "gitopssec.signature",
            ["outcome"] = r.Status == Git.Signatures.SignatureStatus.Good ? "success" : "failure",
        },
        ["git"] = new JsonObject { ["commit"] = r.Commit, ["subject"] = r.Subject, ["signature"] = r.Status.ToString(), ["signature_format"] = r.Format.ToString(), ["signer"] = r.Signer, ["key_fingerprint"] = r.Fingerprint },
        ["user"] = User(r.Author),
    };

    private static JsonObject User(string nameAndEmail)
    {
        int lt = nameAndEmail.IndexOf('<');
        return lt > 0 && nameAndEmail.EndsWith('>')
            ? new JsonObject { ["name"] = nameAndEmail[..lt].Trim(), ["email"] = nameAndEmail[(lt + 1)..^1] }
            : new JsonObject { ["name"] = nameAndEmail };
    }
}
