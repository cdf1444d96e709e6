using System.Reflection;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Rules;

/// <summary>The rule catalog (embedded catalog.yaml) joined with the rule implementations.</summary>
public static class RuleCatalog
{
    private static readonly Lazy<IReadOnlyList<RuleInfo>> LazyManifestRules = new(LoadCatalog);
    private static readonly Lazy<IReadOnlyList<RuleInfo>> LazyRules = new(() =>
        LazyManifestRules.Value.Concat(GitOpsSec.Secrets.SecretDetectorCatalog.Detectors.Select(d => d.Info)).Concat(GitOpsSec.Git.ProvenanceRules.All).Append(GitOpsSec.Reports.VulnerabilityReports.Rule)
            .OrderBy(r => r.Id, StringComparer.Ordinal).ToArray());
    private static readonly Lazy<IReadOnlyList<IRule>> LazyImplementations = new(FindImplementations);

    /// <summary>Every rule, in id order: the manifest rules, the secret detectors and the provenance rules.</summary>
    public static IReadOnlyList<RuleInfo> Rules => LazyRules.Value;

    /// <summary>The rules of catalog.yaml, which the manifest analyzer runs (each has one IRule implementation).</summary>
    public static IReadOnlyList<RuleInfo> ManifestRules => LazyManifestRules.Value;

    internal static IReadOnlyList<IRule> Implementations => LazyImplementations.Value;

    /// <summary>The rule with this id or name (case-insensitive), or null.</summary>
    public static RuleInfo? Find(string idOrName) =>
        Rules.FirstOrDefault(r => string.Equals(r.Id, idOrName, StringComparison.OrdinalIgnoreCase) ||
                                  string.Equals(r.Name, idOrName, StringComparison.OrdinalIgnoreCase));

    private static IReadOnlyList<RuleInfo> LoadCatalog()
    {
        using Stream stream = typeof(RuleCatalog).Assembly.GetManifestResourceStream("GitOpsSec.Rules.catalog.yaml")
            ?? throw new InvalidOperationException("The rule catalog resource is missing from GitOpsSec.Engine.");
        using var reader = new StreamReader(stream);
        string text = reader.ReadToEnd();
        var errors = new List<ScanError>();
        YMapping? root = YamlDocumentReader.Read(text, "catalog.yaml", LoadLimits.Default, errors.Add)
            .FirstOrDefault()?.Root as YMapping;
        if (root is null || errors.Count > 0)
        {
            throw new InvalidOperationException("The rule catalog is not valid: " + string.Join("; ", errors));
        }
        var rules = new List<RuleInfo>();
        foreach (YMapping r in root.Seq("rules")!.Items.OfType<YMapping>())
        {
            rules.Add(new RuleInfo
            {
                Id = Required(r, "id"),
                Name = Required(r, "name"),
                Title = Required(r, "title"),
                Severity = Enum.Parse<Severity>(Required(r, "severity")),
                Category = Required(r, "category"),
                Level = r.Text("level") is string level ? Enum.Parse<PodSecurityLevel>(level) : PodSecurityLevel.None,
                Description = Required(r, "description"),
                Remediation = Required(r, "remediation"),
                MessageTemplate = Required(r, "message"),
                References = r.Seq("references")?.Items.OfType<YScalar>().Select(s => s.Value).ToArray() ?? Array.Empty<string>(),
                Scope = r.Text("scope") ?? (Implementations.FirstOrDefault(i => i.Id == r.Text("id")) is IRepositoryRule ? "Repository" : "Object"),
            });
        }
        return rules.OrderBy(r => r.Id, StringComparer.Ordinal).ToArray();
    }

    private static string Required(YMapping map, string key) =>
        map.Text(key) ?? throw new InvalidOperationException($"Rule catalog entry at line {map.Line} has no '{key}'.");

    private static IReadOnlyList<IRule> FindImplementations() =>
        typeof(RuleCatalog).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && typeof(IRule).IsAssignableFrom(t))
            .Select(t => (IRule)Activator.CreateInstance(t, nonPublic: true)!)
            .OrderBy(r => r.Id, StringComparer.Ordinal)
            .ToArray();
}
