using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Secrets;

/// <summary>How sure a detector is that a match is a live credential.</summary>
public enum SecretConfidence
{
    Low = 0,
    Medium = 1,
    High = 2,
}

/// <summary>
/// One entry of the secret detector catalog (embedded detectors.yaml): keywords that must occur in a
/// file before the regex runs, the regex, an entropy floor and an optional format check.
/// </summary>
public sealed class SecretDetector
{
    /// <summary>Regexes get a per-match time limit; a pathological input ends that file's scan with an error, never a hang.</summary>
    internal static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    public required RuleInfo Info { get; init; }
    public string Id => Info.Id;
    public string Name => Info.Name;
    public required string Provider { get; init; }
    public required SecretConfidence Confidence { get; init; }

    /// <summary>Any one of these (lower case) must occur in the file; empty means always run.</summary>
    public required IReadOnlyList<string> Keywords { get; init; }

    /// <summary>All of these (lower case) must occur in the file.</summary>
    public required IReadOnlyList<string> Context { get; init; }

    /// <summary>
    /// The detector's regex, built on first use. Specific detectors run on the few files that contain their
    /// keywords and stay interpreted (compiling 40 regexes to IL costs more than it saves); the generic one runs
    /// on most files and is compiled.
    /// </summary>
    internal Regex? Pattern => _pattern?.Value;

    internal string? PatternText
    {
        get => _patternText;
        init
        {
            _patternText = value;
            _pattern = string.IsNullOrEmpty(value) ? null : new Lazy<Regex>(() =>
                new Regex(value, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | (IsGeneric ? RegexOptions.Compiled : RegexOptions.None), MatchTimeout));
        }
    }

    private readonly string? _patternText;
    private readonly Lazy<Regex>? _pattern;
    public double MinEntropy { get; init; }

    /// <summary>Published non-secrets in this format (emulator keys, documentation examples).</summary>
    public IReadOnlySet<string> Allow { get; init; } = new HashSet<string>();
    public string? Validate { get; init; }

    /// <summary>Detectors without a pattern are implemented by the scanner itself (Kubernetes Secret values).</summary>
    internal bool IsStructural => _pattern is null;

    internal bool IsGeneric => Confidence == SecretConfidence.Low;

    public override string ToString() => $"{Id} {Name}";
}

/// <summary>The detectors of detectors.yaml, in catalog order (earlier wins where matches overlap).</summary>
public static class SecretDetectorCatalog
{
    public const string KubernetesSecretValueId = "GOS2150";

    private static readonly Lazy<IReadOnlyList<SecretDetector>> LazyDetectors = new(Load);

    public static IReadOnlyList<SecretDetector> Detectors => LazyDetectors.Value;

    private static IReadOnlyList<SecretDetector> Load()
    {
        using Stream stream = typeof(SecretDetectorCatalog).Assembly.GetManifestResourceStream("GitOpsSec.Secrets.detectors.yaml")
            ?? throw new InvalidOperationException("The secret detector catalog resource is missing from GitOpsSec.Engine.");
        using var reader = new StreamReader(stream);
        var errors = new List<ScanError>();
        YMapping? root = YamlDocumentReader.Read(reader.ReadToEnd(), "detectors.yaml", LoadLimits.Default, errors.Add)
            .FirstOrDefault()?.Root as YMapping;
        if (root is null || errors.Count > 0)
        {
            throw new InvalidOperationException("The secret detector catalog is not valid: " + string.Join("; ", errors));
        }
        var detectors = new List<SecretDetector>();
        foreach (YMapping d in root.Seq("detectors")!.Items.OfType<YMapping>())
        {
            string id = Required(d, "id");
            string pattern = d.Text("pattern") ?? string.Empty;
            var confidence = Enum.Parse<SecretConfidence>(Required(d, "confidence"));
            string provider = Required(d, "provider");
            string title = Required(d, "title");
            detectors.Add(new SecretDetector
            {
                Info = new RuleInfo
                {
                    Id = id,
                    Name = Required(d, "name"),
                    Title = title,
                    Severity = Enum.Parse<Severity>(Required(d, "severity")),
                    Category = "Secrets",
                    Description = Required(d, "description"),
                    Remediation = "Revoke the credential at the provider now (it is in Git history), then keep it out of the repository: seal it (ConvertTo-SealedSecret) or reference an external secret store. Rewriting history does not un-leak it.",
                    MessageTemplate = $"{title} ({provider}) committed in clear text.",
                    References = d.Seq("references")?.Items.OfType<YScalar>().Select(s => s.Value).ToArray() ?? Array.Empty<string>(),
                    Provider = provider,
                },
                Provider = provider,
                Confidence = confidence,
                Keywords = Lower(d.Seq("keywords")),
                Context = Lower(d.Seq("context")),
                PatternText = pattern,
                MinEntropy = d.Text("entropy") is string e ? double.Parse(e, System.Globalization.CultureInfo.InvariantCulture) : 0,
                Validate = d.Text("validate"),
                Allow = (d.Seq("allow")?.Items.OfType<YScalar>().Select(v => v.Value) ?? Enumerable.Empty<string>()).ToHashSet(StringComparer.Ordinal),
            });
        }
        return detectors;
    }

    private static string[] Lower(YSequence? seq) =>
        seq?.Items.OfType<YScalar>().Select(s => s.Value.ToLowerInvariant()).ToArray() ?? Array.Empty<string>();

    private static string Required(YMapping map, string key) =>
        map.Text(key) ?? throw new InvalidOperationException($"Detector catalog entry at line {map.Line} has no '{key}'.");
}
