using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Xml;
using GitOpsSec.Rules;

namespace GitOpsSec.Reports;

/// <summary>The report formats Export-GitOpsReport writes.</summary>
public enum ReportFormat
{
    Sarif,
    JUnit,
    Markdown,
    Html,
    Csv,
}

/// <summary>
/// Writes findings as SARIF 2.1.0 (GitHub code scanning, Azure DevOps), JUnit XML (CI test views),
/// Markdown (pull-request comments), a self-contained HTML page, or CSV. Evidence is never written:
/// it can hold values a reader should not see in a CI log.
/// </summary>
public static class ReportWriter
{
    public static string ToolVersion =>
        typeof(ReportWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static string Write(ReportFormat format, IReadOnlyList<Finding> findings) => format switch
    {
        ReportFormat.Sarif => Sarif(findings),
        ReportFormat.JUnit => JUnit(findings),
        ReportFormat.Markdown => Markdown(findings),
        ReportFormat.Html => Html(findings),
        _ => Csv(findings),
    };

    private static readonly Severity[] SeveritiesHighFirst = { Severity.Critical, Severity.High, Severity.Medium, Severity.Low, Severity.Info };

    private static string SarifLevel(Severity s) => s switch
    {
        Severity.Critical or Severity.High => "error",
        Severity.Medium => "warning",
        _ => "note",
    };

    /// <summary>GitHub's security-severity scale (0-10) for a severity.</summary>
    private static string SecuritySeverity(Severity s) => s switch
    {
        Severity.Critical => "9.5",
        Severity.High => "8.0",
        Severity.Medium => "5.5",
        Severity.Low => "3.0",
        _ => "1.0",
    };

    public static string Sarif(IReadOnlyList<Finding> findings)
    {
        var rules = findings.Select(f => f.RuleId).Distinct().Select(id => RuleCatalog.Find(id)).OfType<RuleInfo>()
            .OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        var index = rules.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
            w.WriteString("version", "2.1.0");
            w.WriteStartArray("runs");
            w.WriteStartObject();
            w.WriteStartObject("tool");
            w.WriteStartObject("driver");
            w.WriteString("name", "GitOpsSec");
            w.WriteString("version", ToolVersion);
            w.WriteString("semanticVersion", ToolVersion);
            w.WriteString("informationUri", "https://kubernetes.io/docs/concepts/security/pod-security-standards/");
            w.WriteStartArray("rules");
            foreach (RuleInfo r in rules)
            {
                w.WriteStartObject();
                w.WriteString("id", r.Id);
                w.WriteString("name", r.Name);
                w.WriteStartObject("shortDescription");
                w.WriteString("text", r.Title);
                w.WriteEndObject();
                w.WriteStartObject("fullDescription");
                w.WriteString("text", r.Description);
                w.WriteEndObject();
                w.WriteStartObject("help");
                w.WriteString("text", r.Remediation);
                w.WriteString("markdown", $"**{r.Title}**\n\n{r.Description}\n\n**Remediation:** {r.Remediation}");
                w.WriteEndObject();
                if (r.HelpUri is not null)
                {
                    w.WriteString("helpUri", r.HelpUri);
                }
                w.WriteStartObject("defaultConfiguration");
                w.WriteString("level", SarifLevel(r.Severity));
                w.WriteEndObject();
                w.WriteStartObject("properties");
                w.WriteString("security-severity", SecuritySeverity(r.Severity));
                w.WriteStartArray("tags");
                w.WriteStringValue("security");
                w.WriteStringValue(r.Category);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartArray("results");
            foreach (Finding f in findings)
            {
                w.WriteStartObject();
                w.WriteString("ruleId", f.RuleId);
                if (index.TryGetValue(f.RuleId, out int ruleIndex))
                {
                    w.WriteNumber("ruleIndex", ruleIndex);
                }
                w.WriteString("level", SarifLevel(f.Severity));
                w.WriteStartObject("message");
                w.WriteString("text", f.Message);
                w.WriteEndObject();
                w.WriteStartArray("locations");
                w.WriteStartObject();
                w.WriteStartObject("physicalLocation");
                w.WriteStartObject("artifactLocation");
                w.WriteString("uri", OutputEscaping.UriPath(f.Path));
                w.WriteString("uriBaseId", "%SRCROOT%");
                w.WriteEndObject();
                if (f.Line > 0)
                {
                    w.WriteStartObject("region");
                    w.WriteNumber("startLine", f.Line);
                    if (f.Column > 0)
                    {
                        w.WriteNumber("startColumn", f.Column);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                if (f.Resource is not null)
                {
                    w.WriteStartArray("logicalLocations");
                    w.WriteStartObject();
                    w.WriteString("name", f.Resource.Name ?? string.Empty);
                    w.WriteString("fullyQualifiedName", f.Resource.ToString());
                    w.WriteString("kind", "resource");
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteStartObject("partialFingerprints");
                w.WriteString("gitopssec/v1", f.Fingerprint);
                w.WriteEndObject();
                if (f.Suppressed)
                {
                    w.WriteStartArray("suppressions");
                    w.WriteStartObject();
                    w.WriteString("kind", f.SuppressedBy == "Config" ? "external" : "inSource");
                    w.WriteString("status", "accepted");
                    w.WriteString("justification", f.SuppressionReason ?? string.Empty);
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                w.WriteStartObject("properties");
                w.WriteString("severity", f.Severity.ToString());
                if (f.OriginalSeverity is Severity original)
                {
                    w.WriteString("originalSeverity", original.ToString()); // lowered or raised by rules.severity in the configuration
                }
                w.WriteString("category", f.Category);
                if (f.Field is not null)
                {
                    w.WriteString("field", f.Field);
                }
                if (f.Applications.Length > 0)
                {
                    w.WriteStartArray("applications"); // the deployment units that deploy the object
                    foreach (string unit in f.Applications)
                    {
                        w.WriteStringValue(unit);
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>One test case per rule that ran into findings (failed, or skipped when all are suppressed), one per finding inside.</summary>
    public static string JUnit(IReadOnlyList<Finding> findings)
    {
        static string X(string? s) => OutputEscaping.XmlText(s);
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false }))
        {
            int failures = findings.Count(f => !f.Suppressed);
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", "GitOpsSec");
            w.WriteAttributeString("tests", findings.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
            foreach (var group in findings.GroupBy(f => (f.RuleId, f.RuleName)).OrderBy(g => g.Key.RuleId, StringComparer.Ordinal))
            {
                w.WriteStartElement("testsuite");
                w.WriteAttributeString("name", X($"{group.Key.RuleId} {group.Key.RuleName}"));
                w.WriteAttributeString("tests", group.Count().ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("failures", group.Count(f => !f.Suppressed).ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("skipped", group.Count(f => f.Suppressed).ToString(CultureInfo.InvariantCulture));
                foreach (Finding f in group)
                {
                    w.WriteStartElement("testcase");
                    w.WriteAttributeString("classname", X($"{f.RuleId}.{f.RuleName}"));
                    w.WriteAttributeString("name", X($"{f.Resource} ({f.Location})"));
                    w.WriteAttributeString("file", X(f.Path));
                    if (f.Suppressed)
                    {
                        w.WriteStartElement("skipped");
                        w.WriteAttributeString("message", X($"suppressed: {f.SuppressionReason}"));
                        w.WriteEndElement();
                    }
                    else
                    {
                        w.WriteStartElement("failure");
                        w.WriteAttributeString("message", X(f.Message));
                        w.WriteAttributeString("type", f.Severity.ToString());
                        w.WriteString(X($"{f.Location}\n{f.Message}\nRemediation: {f.Remediation}"));
                        w.WriteEndElement();
                    }
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
    }

    public static string Markdown(IReadOnlyList<Finding> findings)
    {
        var open = findings.Where(f => !f.Suppressed).ToList();
        var sb = new StringBuilder();
        sb.AppendLine("## GitOpsSec report").AppendLine();
        sb.AppendLine(open.Count == 0 ? "No open findings." : $"**{open.Count} open finding(s)**, {findings.Count - open.Count} suppressed.").AppendLine();
        sb.AppendLine("| Severity | Open | Suppressed |").AppendLine("|---|---:|---:|");
        foreach (Severity s in SeveritiesHighFirst)
        {
            sb.AppendLine($"| {s} | {open.Count(f => f.Severity == s)} | {findings.Count(f => f.Suppressed && f.Severity == s)} |");
        }
        var byApplication = ApplicationCounts.From(findings);
        if (byApplication.Any(a => a.Application != ApplicationCounts.NoUnit))
        {
            sb.AppendLine().AppendLine("### By application").AppendLine();
            sb.AppendLine("| Application | Critical | High | Medium | Low | Info |").AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (ApplicationCounts a in byApplication)
            {
                sb.AppendLine($"| {OutputEscaping.MarkdownText(a.Application)} | {a.Critical} | {a.High} | {a.Medium} | {a.Low} | {a.Info} |");
            }
        }
        if (open.Count > 0)
        {
            // Findings grouped by the unit that deploys them (the first one when several do), worst first within each.
            bool grouped = byApplication.Any(a => a.Application != ApplicationCounts.NoUnit);
            foreach (var group in open.GroupBy(f => f.Application ?? ApplicationCounts.NoUnit)
                         .OrderByDescending(g => g.Max(f => f.Severity)).ThenBy(g => g.Key, StringComparer.Ordinal))
            {
                if (grouped)
                {
                    sb.AppendLine().AppendLine($"#### {OutputEscaping.MarkdownText(group.Key)}");
                }
                sb.AppendLine().AppendLine("| Severity | Rule | Resource | Location | Message |").AppendLine("|---|---|---|---|---|");
                foreach (Finding f in group.OrderByDescending(f => f.Severity).ThenBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line))
                {
                    sb.AppendLine($"| {f.Severity} | {OutputEscaping.MarkdownText(f.RuleId)} {OutputEscaping.MarkdownCode(f.RuleName)} | {OutputEscaping.MarkdownText(f.Resource?.ToString())} | {OutputEscaping.MarkdownCode(f.Location)} | {OutputEscaping.MarkdownText(f.Message)} |");
                }
            }
        }
        var configured = findings.Where(f => f.SuppressedBy == "Config" || f.OriginalSeverity is not null).ToList();
        if (configured.Count > 0)
        {
            sb.AppendLine().AppendLine($"**{configured.Count} finding(s) suppressed or re-rated by the configuration:**").AppendLine();
            sb.AppendLine("| Rule | Resource | Location | What the configuration did |").AppendLine("|---|---|---|---|");
            foreach (Finding f in configured.OrderBy(f => f.RuleId, StringComparer.Ordinal).ThenBy(f => f.Path, StringComparer.Ordinal))
            {
                string what = f.SuppressedBy == "Config" ? f.SuppressionReason ?? "suppressed" : $"severity {f.OriginalSeverity} changed to {f.Severity}";
                sb.AppendLine($"| {OutputEscaping.MarkdownText(f.RuleId)} | {OutputEscaping.MarkdownText(f.Resource?.ToString())} | {OutputEscaping.MarkdownCode(f.Location)} | {OutputEscaping.MarkdownText(what)} |");
            }
        }
        return sb.ToString();
    }

    public static string Html(IReadOnlyList<Finding> findings)
    {
        static string E(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);
        var open = findings.Where(f => !f.Suppressed).ToList();
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>GitOpsSec report</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}")
          .Append("td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f3f3f3}")
          .Append(".Critical{background:#7a0019;color:#fff}.High{background:#d1242f;color:#fff}.Medium{background:#fb8f44}.Low{background:#fff8c5}.Info{background:#ddf4ff}")
          .Append(".counts td{font-size:1.4rem;text-align:center;min-width:5rem}#findings{width:100%;table-layout:fixed}")
          .Append("#findings td{overflow-wrap:anywhere}#findings th:nth-child(1){width:6rem}#findings th:nth-child(2){width:10rem}")
          .Append("#findings th:nth-child(7){width:12rem}</style></head><body>\n");
        sb.Append($"<h1>GitOpsSec report</h1><p>{open.Count} open finding(s), {findings.Count - open.Count} suppressed. GitOpsSec {E(ToolVersion)}.</p>\n");
        string severityHeaders = string.Concat(SeveritiesHighFirst.Select(s => $"<th>{s}</th>"));
        sb.Append("<table class=\"counts\"><tr>").Append(severityHeaders).Append("</tr><tr>");
        foreach (Severity s in SeveritiesHighFirst)
        {
            sb.Append($"<td class=\"{s}\" id=\"count-{s}\">{open.Count(f => f.Severity == s)}</td>");
        }
        sb.Append("</tr></table>\n");
        var byApplication = ApplicationCounts.From(findings);
        if (byApplication.Any(a => a.Application != ApplicationCounts.NoUnit))
        {
            sb.Append("<h2>By application</h2>\n<table id=\"applications\"><tr><th>Application</th>").Append(severityHeaders).Append("</tr>\n");
            foreach (ApplicationCounts a in byApplication)
            {
                sb.Append($"<tr><td>{E(a.Application)}</td><td>{a.Critical}</td><td>{a.High}</td><td>{a.Medium}</td><td>{a.Low}</td><td>{a.Info}</td></tr>\n");
            }
            sb.Append("</table>\n");
        }
        sb.Append("<table id=\"findings\"><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Location</th><th>Message</th><th>Remediation</th><th>Suppressed</th><th>Application</th></tr>\n");
        foreach (Finding f in findings.OrderBy(f => f.Suppressed).ThenBy(f => f.Application ?? "\uffff", StringComparer.Ordinal).ThenByDescending(f => f.Severity).ThenBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line))
        {
            sb.Append($"<tr><td class=\"{f.Severity}\">{f.Severity}{(f.OriginalSeverity is Severity was ? $" (was {was}, by configuration)" : string.Empty)}</td><td>{E(f.RuleId)} {E(f.RuleName)}</td><td>{E(f.Resource?.ToString())}</td>")
              .Append($"<td>{E(f.Location)}</td><td>{E(f.Message)}</td><td>{E(f.Remediation)}</td><td>{(f.Suppressed ? E(f.SuppressionReason) : string.Empty)}</td><td>{E(string.Join(", ", f.Applications))}</td></tr>\n");
        }
        sb.Append("</table></body></html>\n");
        return sb.ToString();
    }

    public static string Csv(IReadOnlyList<Finding> findings)
    {
        static string C(object? v) => OutputEscaping.CsvCell(v is Severity or bool ? v.ToString() : v);
        var sb = new StringBuilder("RuleId,RuleName,Severity,Category,Kind,Namespace,Name,Path,Line,Column,Message,Suppressed,SuppressionReason,Fingerprint,Application\n");
        foreach (Finding f in findings)
        {
            sb.AppendJoin(',', new[]
            {
                C(f.RuleId), C(f.RuleName), C(f.Severity), C(f.Category), C(f.Resource?.Kind), C(f.Resource?.Namespace), C(f.Resource?.Name),
                C(f.Path), C(f.Line), C(f.Column), C(f.Message), C(f.Suppressed), C(f.SuppressionReason), C(f.Fingerprint),
                C(string.Join(";", f.Applications)),
            }).Append('\n');
        }
        return sb.ToString();
    }
}
