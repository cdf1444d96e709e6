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

    /// <summary>Words (lower case) that make a match public where it stands (a Firebase web config's apiKey).</summary>
    public IReadOnlyList<string> PublicNear { get; init; } = Array.Empty<string>();

    /// <summary>Detectors without a pattern are implemented by the scanner itself (Kubernetes Secret values).</summary>
    internal bool IsStructural => _pattern is null;

    internal bool IsGeneric => Confidence == SecretConfidence.Low;

    /// <summary>A compact near + value entry: the value has no shape of its own, only the provider's word next to it.</summary>
    internal bool IsNear { get; init; }

    /// <summary>
    /// When every match contains one of the keywords, and is bounded: how far before (Lead) and after (Reach) a
    /// keyword's start a match can begin and end. The scanner then runs the regex only around the keywords it
    /// finds, instead of over the whole text (most of a YAML file starts no match). Null: run it everywhere.
    /// </summary>
    internal (int Lead, int Reach)? KeywordSpan { get; init; }

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
            string[] near = Lower(d.Seq("near"));
            string pattern = d.Text("pattern") ?? Compose(d, near) ?? string.Empty;
            var confidence = Enum.Parse<SecretConfidence>(d.Text("confidence") ?? (near.Length > 0 ? nameof(SecretConfidence.Medium) : nameof(SecretConfidence.High)));
            string provider = Required(d, "provider");
            string title = Required(d, "title");
            string[] keywords = Lower(d.Seq("keywords"));
            (int, int)? span = null;
            if (keywords.Length == 0)
            {
                keywords = near.Length > 0 ? near.Select(NearKeyword).Distinct().ToArray() : LiteralPrefix(d.Text("token")) is string prefix ? new[] { prefix } : keywords;
                span = KeywordSpanOf(d, near);
            }
            detectors.Add(new SecretDetector
            {
                Info = new RuleInfo
                {
                    Scope = "File",
                    Id = id,
                    Name = Required(d, "name"),
                    Title = title,
                    Severity = Enum.Parse<Severity>(d.Text("severity") ?? nameof(Severity.High)),
                    Category = "Secrets",
                    Description = d.Text("description") ?? $"A {title} ({provider}): whoever reads the repository can use it until it is revoked.",
                    Remediation = "Revoke the credential at the provider now (it is in Git history), then keep it out of the repository: seal it (ConvertTo-SealedSecret) or reference an external secret store. Rewriting history does not un-leak it.",
                    MessageTemplate = $"{title} ({provider}) committed in clear text.",
                    References = d.Seq("references")?.Items.OfType<YScalar>().Select(s => s.Value).ToArray() ?? DefaultReferences,
                    Provider = provider,
                },
                Provider = provider,
                Confidence = confidence,
                Keywords = keywords,
                Context = Lower(d.Seq("context")),
                PatternText = pattern,
                MinEntropy = d.Text("entropy") is string e ? double.Parse(e, System.Globalization.CultureInfo.InvariantCulture) : near.Length > 0 ? DefaultNearEntropy : 0,
                Validate = d.Text("validate"),
                PublicNear = Lower(d.Seq("public-near")),
                IsNear = near.Length > 0 && d.Text("pattern") is null,
                KeywordSpan = span,
                Allow = (d.Seq("allow")?.Items.OfType<YScalar>().Select(v => v.Value) ?? Enumerable.Empty<string>()).ToHashSet(StringComparer.Ordinal),
            });
        }
        return detectors;
    }

    /// <summary>Where a compact entry names no provider page: how to keep any credential out of a repository.</summary>
    private static readonly string[] DefaultReferences = { "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html" };

    /// <summary>A value found only through a nearby provider word must look random at least this much (bits per character).</summary>
    private const double DefaultNearEntropy = 3.0;

    /// <summary>
    /// The regex of a compact entry. <c>token</c>: a self-identifying credential (its own prefix and shape), standing
    /// alone between non-token characters. <c>near</c> + <c>value</c>: a value with no prefix of its own, counted only
    /// when one of the provider's words (in any case) comes at most 40 characters before it, as in
    /// <c>ALGOLIA_ADMIN_KEY=...</c> or <c>algolia:\n  key: ...</c>; every part is bounded, so a match costs at most
    /// 40 attempts per occurrence of a word.
    /// </summary>
    private static string? Compose(YMapping d, string[] near)
    {
        const string before = @"(?<![A-Za-z0-9_\-+/])";
        const string after = @"(?![A-Za-z0-9_\-+/])";
        if (d.Text("token") is string token)
        {
            return $"{before}(?<secret>{token}){after}";
        }
        if (d.Text("value") is string value)
        {
            if (near.Length == 0)
            {
                throw new InvalidOperationException($"Detector catalog entry at line {d.Line} has a value but no near words.");
            }
            string words = string.Join("|", near.Select(NearWord));
            return $@"(?<key>(?i:{words})[A-Za-z0-9_.\-]{{0,30}})(?s:.{{0,40}}?){before}(?<secret>{value}){after}";
        }
        return null;
    }

    /// <summary>The prefilter keyword of a provider word: its first part ("azure" of azure_openai, "openai" of .openai.azure.com), which every spelling NearWord accepts contains.</summary>
    private static string NearKeyword(string word)
    {
        string[] parts = word.Split(new[] { '_', '-', '.', ' ' }, StringSplitOptions.RemoveEmptyEntries);
        // The longest distinctive part; when every part is common (co_api_key, fb_secret) the word as written,
        // which then also has to be spelt that way: a keyword common in every file would run the regex on all of them.
        return parts.Where(p => p.Length >= 4 && !CommonParts.Contains(p)).OrderByDescending(p => p.Length).FirstOrDefault() ?? word.Trim();
    }

    private static readonly HashSet<string> CommonParts = new(StringComparer.Ordinal)
    {
        "api", "key", "keys", "secret", "token", "app", "access", "account", "storage", "auth", "client", "http", "https",
        "login", "cloud", "data", "user", "pass", "password", "times", "service", "server", "admin", "system", "windows", "com",
    };

    /// <summary>
    /// A provider word as a regex: its separators match any separator or none (azure_openai also finds azureOpenAI
    /// and AZURE-OPENAI), and a word that starts with a letter must not continue another word (sumo is not in sumOf).
    /// </summary>
    private static string NearWord(string word)
    {
        // ...nor end inside one: "sumO" followed by "f" is the camel-case word sumOf, not SUMO.
        var body = new System.Text.StringBuilder(word.Length * 2);
        foreach (char c in word)
        {
            body.Append(c switch
            {
                '.' or '_' or '-' => @"[_.\-]?",
                _ when char.IsAsciiLetterOrDigit(c) => c.ToString(),
                _ => Regex.Escape(c.ToString()),
            });
        }
        body.Append(@"(?-i:(?<=[a-z0-9_.\- ])|(?![a-z]))");
        return char.IsAsciiLetterOrDigit(word[0]) ? @"(?<![A-Za-z])" + body : body.ToString();
    }

    /// <summary>
    /// Where a match lies around its keyword, for the entries whose keywords are derived from the match itself:
    /// a near word (the keyword is one of its parts; separators may be doubled) followed by at most 30 name
    /// characters, 40 characters of anything and the value; or a token starting with its literal prefix. Null
    /// when the value or token can be arbitrarily long.
    /// </summary>
    private static (int Lead, int Reach)? KeywordSpanOf(YMapping d, string[] near)
    {
        if (d.Text("pattern") is not null)
        {
            return null;
        }
        if (near.Length > 0 && d.Text("value") is string value && MaxLength(value) is int valueLength)
        {
            int word = 2 * near.Max(w => w.Length) + 2;
            return (word, word + 30 + 40 + valueLength + 2);
        }
        if (near.Length == 0 && d.Text("token") is string token && LiteralPrefix(token) is not null && MaxLength(token) is int tokenLength)
        {
            return (2, tokenLength + 2);
        }
        return null;
    }

    /// <summary>
    /// An upper bound on the length of a match of <paramref name="pattern"/> (every atom counts one character,
    /// branches of an alternation count as their longest, a lookaround as its length); null when a '*', '+' or
    /// open '{n,}' makes it unbounded.
    /// </summary>
    internal static int? MaxLength(string pattern)
    {
        int at = 0;
        int? length = Sequence(pattern, ref at);
        return at == pattern.Length ? length : null;

        static int? Sequence(string p, ref int i)
        {
            int best = 0, current = 0;
            while (i < p.Length && p[i] != ')')
            {
                if (p[i] == '|')
                {
                    best = Math.Max(best, current);
                    current = 0;
                    i++;
                    continue;
                }
                int? atom = Atom(p, ref i);
                if (atom is null)
                {
                    return null;
                }
                int? times = Quantifier(p, ref i);
                if (times is null)
                {
                    return null;
                }
                current += atom.Value * times.Value;
            }
            return Math.Max(best, current);
        }

        static int? Atom(string p, ref int i)
        {
            char c = p[i];
            if (c == '(')
            {
                i++;
                if (i < p.Length && p[i] == '?')
                {
                    i++;
                    if (i < p.Length && p[i] == '<' && i + 1 < p.Length && p[i + 1] is not ('=' or '!'))
                    {
                        i = p.IndexOf('>', i) + 1; // (?<name>
                    }
                    else
                    {
                        while (i < p.Length && p[i] != ':' && p[i] != ')' && p[i] != '=' && p[i] != '!')
                        {
                            i++; // (?i: (?s: (?<= (?<!
                        }
                        i++;
                    }
                    if (i <= 0 || i > p.Length)
                    {
                        return null;
                    }
                }
                int? inner = Sequence(p, ref i);
                if (inner is null || i >= p.Length)
                {
                    return null;
                }
                i++; // ')'
                return inner;
            }
            if (c == '[')
            {
                i++;
                if (i < p.Length && p[i] == '^')
                {
                    i++;
                }
                if (i < p.Length && p[i] == ']')
                {
                    i++;
                }
                while (i < p.Length && p[i] != ']')
                {
                    i += p[i] == '\\' ? 2 : 1;
                }
                i++;
                return i <= p.Length ? 1 : null;
            }
            if (c == '\\')
            {
                i += 2;
                if (i <= p.Length && p[i - 1] is 'p' or 'P' && i < p.Length && p[i] == '{')
                {
                    i = p.IndexOf('}', i) + 1;
                }
                return i > 0 && i <= p.Length ? 1 : null;
            }
            if (c is '*' or '+' or '?' or '{')
            {
                return null; // a quantifier with nothing before it: not a pattern this bound understands
            }
            i++;
            return c is '^' or '$' ? 0 : 1;
        }

        static int? Quantifier(string p, ref int i)
        {
            int? times = 1;
            if (i < p.Length && p[i] is '*' or '+')
            {
                return null;
            }
            if (i < p.Length && p[i] == '?')
            {
                i++;
            }
            else if (i < p.Length && p[i] == '{' && p.IndexOf('}', i) is int close && close > i)
            {
                string[] bounds = p[(i + 1)..close].Split(',');
                if (!int.TryParse(bounds[^1], out int max) || !bounds.All(b => b.Length == 0 || b.All(char.IsAsciiDigit)))
                {
                    return null; // {n,} has no upper bound
                }
                times = max;
                i = close + 1;
            }
            if (i < p.Length && p[i] == '?')
            {
                i++; // lazy
            }
            return times;
        }
    }

    /// <summary>The literal start of a token regex, lower case, as its keyword ("sk-ant-api03-"); null when it has none of 3+ characters.</summary>
    internal static string? LiteralPrefix(string? token)
    {
        if (token is null)
        {
            return null;
        }
        var prefix = new System.Text.StringBuilder();
        int i = 0;
        while (i < token.Length)
        {
            char c = token[i];
            if (c == '\\' && i + 1 < token.Length && token[i + 1] is '.' or '-' or '_' or '~')
            {
                prefix.Append(token[i + 1]);
                i += 2;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '~' or ':')
            {
                prefix.Append(c);
                i++;
            }
            else
            {
                break;
            }
        }
        if (prefix.Length > 0 && i < token.Length && token[i] is '{' or '?' or '*' or '+')
        {
            prefix.Length--; // "ab{3}" or "ab?": the last character is quantified, not literal
        }
        return prefix.Length >= 3 ? prefix.ToString().ToLowerInvariant() : null;
    }

    private static string[] Lower(YSequence? seq) =>
        seq?.Items.OfType<YScalar>().Select(s => s.Value.ToLowerInvariant()).ToArray() ?? Array.Empty<string>();

    private static string Required(YMapping map, string key) =>
        map.Text(key) ?? throw new InvalidOperationException($"Detector catalog entry at line {map.Line} has no '{key}'.");
}
