using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Secrets;

/// <summary>One credential found in one text, before it is tied to a file, commit or baseline.</summary>
public sealed record SecretHit
{
    public required SecretDetector Detector { get; init; }
    public required int Line { get; init; }
    public required int Column { get; init; }

    /// <summary>The first and last lines the match covers (a private key spans many; a Kubernetes Secret value is reported at its key); the history scan keeps a hit when any of them is new.</summary>
    internal int FirstLine { get; init; }

    internal int EndLine { get; init; }

    /// <summary>The credential itself (decoded for Kubernetes Secret data). Never printed; see <see cref="SecretText.Redact"/>.</summary>
    public required string Secret { get; init; }

    public double Entropy { get; init; }
    public SecretConfidence Confidence { get; init; }

    /// <summary>Where in a structure it was: e.g. "Secret prod/db data.password (base64-decoded)".</summary>
    public string? Context { get; init; }

    public bool Suppressed { get; init; }
    public string? SuppressionReason { get; init; }
}

/// <summary>
/// Finds credentials in text. One pass finds which detector keywords occur (case-insensitively); only the
/// detectors whose keywords occur run their regex, then placeholder, entropy and format checks. Kubernetes Secrets are read as YAML: data values
/// are base64-decoded and scanned, every remaining plaintext value is a finding of its own, and a
/// SealedSecret's ciphertext is ignored. Thread-safe: one scanner serves every worker of a scan.
/// </summary>
public sealed class SecretScanner
{
    public const string InlineAllow = "gitopssec:allow";
    private const string GitleaksAllow = "gitleaks:allow";

    private static readonly string[] IgnoredKeySuffixes =
    {
        "name", "ref", "path", "file", "url", "uri", "type", "mode", "version", "length", "id", "enabled", "policy",
        "ttl", "timeout", "expiry", "expiration", "count", "format", "size", "provider", "store", "selector", "source",
        "prefix", "suffix", "header", "field", "env", "class", "kind", "template", "keys", "refs", "names", "endpoint", "location",
    };

    /// <summary>Values that name where a secret lives rather than holding one, besides SecretText.IsReferenceOrCiphertext's (which IsPlaceholder applies to every detector).</summary>
    private static readonly string[] ReferencePrefixes = { "arn:", "projects/", "secretref", "file:" };
    private static readonly Regex Identifier = new(@"^(?:[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]+)+)$", RegexOptions.CultureInvariant);

    /// <summary>A file name (credentialsKey: 1password-credentials.json) or a namespace/name object reference (cert-manager/webhook-tls).</summary>
    private static readonly Regex NameNotValue = new(
        @"^(?:[A-Za-z0-9_.-]{1,200}\.(?:json|ya?ml|pem|crt|cer|key|txt|conf|cfg|ini|env|toml|xml|p12|pfx|jks|properties|sh|py)|[a-z0-9](?:[-a-z0-9]{0,62}[a-z0-9])?/[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?)$",
        RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>How far around a match public-near words are looked for (a Firebase config object fits in it).</summary>
    private const int PublicWindow = 400;

    private readonly SecretDetector[] _specific;
    private readonly SecretDetector[] _generic;
    private readonly SecretDetector? _kubernetesValue;
    private readonly KeywordSet _keywords;
    private readonly DetectorGroup _specificGroup;
    private readonly DetectorGroup _genericGroup;

    /// <summary>
    /// Detectors and the words that switch them on: for each keyword, which detectors it wakes (so a file costs
    /// one pass over the keywords it holds, not one test per detector), and each detector's all-of context words.
    /// </summary>
    private sealed class DetectorGroup
    {
        public required SecretDetector[] Detectors { get; init; }
        public required int[][] ByWord { get; init; }
        public required int[] Always { get; init; }
        public required int[][] Context { get; init; }

        public static DetectorGroup Of(SecretDetector[] detectors, KeywordSet keywords)
        {
            var byWord = Enumerable.Range(0, keywords.Count).Select(_ => new List<int>()).ToArray();
            for (int i = 0; i < detectors.Length; i++)
            {
                foreach (int w in detectors[i].Keywords.Select(keywords.IndexOf).Distinct())
                {
                    byWord[w].Add(i);
                }
            }
            return new DetectorGroup
            {
                Detectors = detectors,
                ByWord = byWord.Select(l => l.ToArray()).ToArray(),
                Always = Enumerable.Range(0, detectors.Length).Where(i => detectors[i].Keywords.Count == 0).ToArray(),
                Context = detectors.Select(d => d.Context.Select(keywords.IndexOf).ToArray()).ToArray(),
            };
        }

        /// <summary>Whether <see cref="Enabled"/> is empty when no word occurs.</summary>
        public bool IdleWithoutWords => Always.All(i => Context[i].Length > 0);

        /// <summary>
        /// The detectors (in catalog order) whose keywords and context words all occur, gathered from the words found,
        /// so a text costs in proportion to what it holds, not to the size of the catalog.
        /// </summary>
        public List<SecretDetector> Enabled(bool[] found)
        {
            var on = new List<int>(Always);
            for (int w = Array.IndexOf(found, true); w >= 0; w = w + 1 < found.Length ? Array.IndexOf(found, true, w + 1) : -1)
            {
                on.AddRange(ByWord[w]);
            }
            var enabled = new List<SecretDetector>(on.Count);
            if (on.Count == 0)
            {
                return enabled;
            }
            on.Sort();
            int last = -1;
            foreach (int i in on)
            {
                if (i != last && Array.TrueForAll(Context[i], w => found[w]))
                {
                    enabled.Add(Detectors[i]);
                }
                last = i;
            }
            return enabled;
        }
    }

    public SecretScanner(IEnumerable<SecretDetector> detectors)
    {
        var list = detectors.ToList();
        _specific = list.Where(d => !d.IsStructural && !d.IsGeneric).ToArray();
        _generic = list.Where(d => !d.IsStructural && d.IsGeneric).ToArray();
        _kubernetesValue = list.FirstOrDefault(d => d.Id == SecretDetectorCatalog.KubernetesSecretValueId);
        Detectors = list;
        _keywords = new KeywordSet(list.SelectMany(d => d.Keywords.Concat(d.Context)));
        _specificGroup = DetectorGroup.Of(_specific, _keywords);
        _genericGroup = DetectorGroup.Of(_generic, _keywords);
        _idleWithoutWords = _specificGroup.IdleWithoutWords && _genericGroup.IdleWithoutWords;
    }

    /// <summary>Whether a text with none of the keywords switches no pattern detector on (every detector has a keyword or a context word).</summary>
    private readonly bool _idleWithoutWords;

    public static SecretScanner Default { get; } = new(SecretDetectorCatalog.Detectors);

    /// <summary>A scanner with the detectors <paramref name="selection"/> selects.</summary>
    public static SecretScanner For(Rules.RuleSelection selection) => new(SecretDetectorCatalog.Detectors.Where(d => selection.Selects(d.Info)));

    public IReadOnlyList<SecretDetector> Detectors { get; }

    private readonly record struct Candidate(int Priority, int Start, int End, SecretDetector Detector, string Secret, SecretConfidence Confidence, string? Context, int ReportAt);

    /// <summary>Every credential in <paramref name="text"/>; <paramref name="path"/> decides whether it is read as YAML.</summary>
    /// <exception cref="RegexMatchTimeoutException">A pattern ran past its time limit on this text.</exception>
    public IReadOnlyList<SecretHit> Scan(string text, string? path = null) => Scan(text, path, null);

    /// <summary>
    /// Credentials in <paramref name="regions"/> of <paramref name="text"/> (offset, length), with line numbers
    /// of the whole text: the history scan passes what a commit added. Patterns match inside the regions only;
    /// the text around them still decides whether a match is public, and a Kubernetes Secret is read whole.
    /// </summary>
    internal IReadOnlyList<SecretHit> Scan(string text, string? path, IReadOnlyList<(int Start, int Length)>? regions)
    {
        if (text.Length == 0)
        {
            return Array.Empty<SecretHit>();
        }
        regions ??= new[] { (0, text.Length) };
        bool[] found = RentFound();
        foreach (var (start, length) in regions)
        {
            _keywords.FindMore(text.AsSpan(start, length), found);
        }
        if (Quiet(found, text, path))
        {
            ReturnFound(found);
            return Array.Empty<SecretHit>();
        }
        List<SecretDetector> specific = _specificGroup.Enabled(found), generic = _genericGroup.Enabled(found);
        ReturnFound(found);
        var candidates = new List<Candidate>();
        var ignored = new List<(int Start, int End)>();
        var judged = new List<(int Start, int End)>(); // Secret values the Kubernetes pass decided on: not for the generic detector
        Match(text, regions, specific, 0, candidates, judged);
        List<(int From, int To, int LinesBefore)>? sealedOnly = null;
        if (IsManifestPath(path) && MayDeclareSecret(text))
        {
            sealedOnly = KubernetesSecrets(text, path ?? "text", regions, candidates, ignored, judged);
        }
        Match(text, regions, generic, 2, candidates);
        // A SealedSecret document only hides its ciphertext from the patterns: it is read when a pattern matched in it.
        foreach (var (from, to, linesBefore) in sealedOnly ?? new())
        {
            if (candidates.Any(c => c.Start < to && from < c.End))
            {
                try
                {
                    Judge(YamlDocumentReader.Read(text[from..to], path ?? "text", LoadLimits.Default, _ => { }).Select(d => (d, linesBefore)).ToList(),
                        SecretText.LineStarts(text), candidates, ignored, judged);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // not YAML we can read: the matches stand
                }
            }
        }
        if (candidates.Count == 0)
        {
            return Array.Empty<SecretHit>();
        }

        var accepted = new List<Candidate>();
        foreach (Candidate c in candidates.OrderBy(c => c.Priority).ThenBy(c => c.Start))
        {
            if (ignored.Any(r => c.Start < r.End && r.Start < c.End) || accepted.Any(a => c.Start < a.End && a.Start < c.End) ||
                (c.Detector.IsGeneric && judged.Any(r => c.Start < r.End && r.Start < c.End)))
            {
                continue;
            }
            accepted.Add(c);
        }
        int[] lineStarts = SecretText.LineStarts(text);
        return accepted.OrderBy(c => c.ReportAt).Select(c =>
        {
            var (line, column) = SecretText.Position(lineStarts, c.ReportAt);
            int lineEnd = line < lineStarts.Length ? lineStarts[line] : text.Length;
            string lineText = text[lineStarts[line - 1]..lineEnd];
            bool allowed = lineText.Contains(InlineAllow, StringComparison.OrdinalIgnoreCase) || lineText.Contains(GitleaksAllow, StringComparison.OrdinalIgnoreCase);
            return new SecretHit
            {
                Detector = c.Detector,
                Line = line,
                Column = column,
                FirstLine = Math.Min(line, SecretText.Position(lineStarts, c.Start).Line),
                EndLine = Math.Max(line, SecretText.Position(lineStarts, Math.Max(c.Start, c.End - 1)).Line),
                Secret = c.Secret,
                Entropy = Math.Round(SecretText.Entropy(c.Secret), 2),
                Confidence = c.Confidence,
                Context = c.Context,
                Suppressed = allowed,
                SuppressionReason = allowed ? "inline " + InlineAllow + " comment" : null,
            };
        }).ToList();
    }

    /// <summary>
    /// Whether <see cref="Scan(string, string?)"/> of a whole text finds nothing for certain before any pattern runs: no
    /// detector's keyword occurs in it (so none is on) and it declares no Secret. Redaction asks this first, so that
    /// the many texts with nothing to redact (names, fields) cost one pass over their characters and no cache entry.
    /// </summary>
    internal bool CannotFind(string text, string? path = null)
    {
        bool[] found = RentFound();
        _keywords.FindMore(text, found);
        bool quiet = Quiet(found, text, path);
        ReturnFound(found);
        return quiet;
    }

    /// <summary>
    /// A cleared array of one flag per keyword: the thread's own when it has one of this scanner's size, else a new
    /// one. Redaction asks twice per finding of a monorepo scan; an array each time was a tenth of what the scan allocated.
    /// </summary>
    private bool[] RentFound()
    {
        bool[]? found = t_found;
        if (found is null || found.Length != _keywords.Count)
        {
            return new bool[_keywords.Count];
        }
        t_found = null; // taken: a scan inside a scan on this thread gets an array of its own
        return found;
    }

    private static void ReturnFound(bool[] found)
    {
        Array.Clear(found);
        t_found = found;
    }

    [ThreadStatic]
    private static bool[]? t_found;

    /// <summary>No keyword, so no detector is on, and no Secret document: nothing to find.</summary>
    private bool Quiet(bool[] found, string text, string? path) =>
        _idleWithoutWords && Array.IndexOf(found, true) < 0 && !(IsManifestPath(path) && MayDeclareSecret(text));

    /// <summary>
    /// A kind field that can be a document's own (the first key of a line at any indentation, since a root
    /// mapping may be indented, or a JSON or flow-mapping key; not a list item's "- kind: Secret", which is a
    /// reference, as in a HelmRelease's valuesFrom) whose value is Secret or
    /// SealedSecret: after optional tags, anchors or a block-scalar header, possibly on the next line, or an
    /// alias whose value is elsewhere, or a double-quoted value with escapes. Also any \x, \u or \U escape,
    /// which can spell the key or the kind, and a double-quoted key folded over a line break.
    /// </summary>
    private static readonly Regex SecretKind = new(
        @"(?:^\uFEFF?(?:---[ \t]+)?[ \t]*[""']?|[{,][ \t\r\n]*[""']?)[Kk][Ii][Nn][Dd][""']?[ \t]*:\s*(?:[!&][^\s]*\s+|[|>][-+0-9]*\s+)*" +
        @"(?:\*|""[^""\n]*\\|[""']?(?:Sealed)?Secret(?:[^A-Za-z0-9_-]|\z))|\\[xuU]|^""[^""\n]*\\[\r\n]",
        RegexOptions.CultureInvariant | RegexOptions.Multiline | RegexOptions.NonBacktracking);

    /// <summary>
    /// Whether a text may hold a Secret or SealedSecret document, so that it is worth reading as YAML. A text
    /// that only mentions Secrets (an ExternalSecret, a CRD's descriptions, existingSecret: in Helm values) is
    /// not parsed: the 500 KB Flux components file of a GitOps repository mentions Secret hundreds of times.
    /// The YAML pass reads each document's root kind only, so this misses nothing it would find.
    /// </summary>
    internal static bool MayDeclareSecret(string text) => DeclaredKinds(text) is not null;

    internal static bool IsManifestPath(string? path) =>
        path is null || path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    private void Match(string text, IEnumerable<SecretDetector> detectors, int priority, List<Candidate> into, List<(int Start, int End)>? judged = null) =>
        Match(text, new[] { (0, text.Length) }, detectors, priority, into, judged);

    private void Match(string text, IReadOnlyList<(int Start, int Length)> regions, IEnumerable<SecretDetector> detectors, int priority, List<Candidate> into,
        List<(int Start, int End)>? judged = null)
    {
        foreach (SecretDetector d in detectors)
        {
            foreach (var (start, length) in d.KeywordSpan is { } span ? AroundKeywords(text, regions, d.Keywords, span.Lead, span.Reach) : regions)
            {
                Match(text, start, length, d, priority, into, judged);
            }
        }
    }

    /// <summary>
    /// The parts of <paramref name="regions"/> within <paramref name="lead"/> characters before and
    /// <paramref name="reach"/> after an occurrence of one of <paramref name="keywords"/> (ASCII case ignored,
    /// as the prefilter does), merged where they overlap.
    /// </summary>
    internal static List<(int Start, int Length)> AroundKeywords(string text, IReadOnlyList<(int Start, int Length)> regions, IReadOnlyList<string> keywords, int lead, int reach)
    {
        var windows = new List<(int Start, int End)>();
        foreach (var (start, length) in regions)
        {
            int end = start + length;
            foreach (string keyword in keywords)
            {
                for (int at = start; at < end; at++)
                {
                    int found = text.AsSpan(at, end - at).IndexOf(keyword, StringComparison.OrdinalIgnoreCase);
                    if (found < 0)
                    {
                        break;
                    }
                    at += found;
                    windows.Add((Math.Max(start, at - lead), Math.Min(end, at + reach)));
                }
            }
        }
        windows.Sort();
        var merged = new List<(int Start, int Length)>();
        int mergedEnd = -1;
        foreach (var (start, end) in windows)
        {
            if (merged.Count > 0 && start <= mergedEnd)
            {
                mergedEnd = Math.Max(mergedEnd, end);
                merged[^1] = (merged[^1].Start, mergedEnd - merged[^1].Start);
            }
            else
            {
                merged.Add((start, end - start));
                mergedEnd = end;
            }
        }
        return merged;
    }

    private void Match(string text, int start, int length, SecretDetector d, int priority, List<Candidate> into, List<(int Start, int End)>? judged)
    {
        for (System.Text.RegularExpressions.Match m = d.Pattern!.Match(text, start, length); m.Success; m = m.NextMatch())
        {
            Group g = m.Groups["secret"];
            if (!g.Success)
            {
                continue;
            }
            if (d.Allow.Contains(g.Value) || IsPublicInContext(d, text, g.Index, g.Length) ||
                d.Validate == "jwt" && SecretText.IsJwtDocumentationExample(g.Value))
            {
                // The detector knows this value and knows it is public: no other detector may report it.
                judged?.Add((g.Index, g.Index + Math.Max(1, g.Length)));
                continue;
            }
            if (Accept(d, g.Value, m, text) is not (string secret, SecretConfidence confidence))
            {
                continue;
            }
            into.Add(new Candidate(priority, g.Index, g.Index + Math.Max(1, g.Length), d, secret, confidence, null, g.Index));
        }
    }

    /// <summary>A key that is public where it stands: one of the detector's public-near words occurs close to it.</summary>
    private static bool IsPublicInContext(SecretDetector d, string text, int start, int length)
    {
        if (d.PublicNear.Count == 0)
        {
            return false;
        }
        int from = Math.Max(0, start - PublicWindow);
        ReadOnlySpan<char> window = text.AsSpan(from, Math.Min(text.Length, start + length + PublicWindow) - from);
        foreach (string word in d.PublicNear)
        {
            if (window.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The secret (normalised) and confidence when a match survives the detector's checks; null to drop it.</summary>
    private (string, SecretConfidence)? Accept(SecretDetector d, string raw, System.Text.RegularExpressions.Match m, string text)
    {
        string secret = raw; // published values (Allow) were set aside by Match already
        switch (d.Validate)
        {
            case "crc32-base62" when !SecretText.HasValidCrc32Checksum(raw):
            case "jwt" when !SecretText.IsJwt(raw):
            case "basic-auth-base64" when !SecretText.IsBasicAuth(raw):
            case "base64-private-key" when !SecretText.IsBase64PrivateKey(raw):
                return null;
            case "pem-body":
                if (SecretText.PemBody(raw) is not string body)
                {
                    return null;
                }
                secret = body;
                break;
        }
        if (d.Validate is null && SecretText.IsPlaceholder(secret))
        {
            return null;
        }
        if (d.MinEntropy > 0 && SecretText.Entropy(secret) < d.MinEntropy)
        {
            return null;
        }
        if (d.IsNear && !LooksRandom(secret, m.Groups["secret"].Index, text))
        {
            return null;
        }
        if (d.IsGeneric && (!LooksLikeCredentialAssignment(m.Groups["key"].Value, secret) || FailsProviderChecksum(secret)))
        {
            return null;
        }
        return (secret, d.Confidence);
    }

    /// <summary>
    /// A value found only by a nearby provider word must look generated: letters and digits both (an identifier such
    /// as DEFAULT_CLOUDFLARE_FILE has no digit; a random 20+ character token almost surely has), and not a pinned
    /// commit or digest (uses: cloudflare/wrangler-action@5e84...).
    /// </summary>
    private static bool LooksRandom(string value, int at, string text)
    {
        return value.Any(char.IsAsciiDigit) && value.Any(char.IsAsciiLetter) && (at == 0 || text[at - 1] is not '@' and not ':' || !value.All(char.IsAsciiHexDigit));
    }

    /// <summary>A value in a checksummed provider format whose checksum is wrong is a made-up token, not a credential.</summary>
    private bool FailsProviderChecksum(string value) =>
        _specific.Any(d => d.Validate == "crc32-base62" && d.Pattern!.Match(value) is { Success: true } m && m.Length == value.Length);

    private static bool LooksLikeCredentialAssignment(string key, string value)
    {
        string k = key.ToLowerInvariant().TrimEnd('-', '_', '.');
        bool vaultSecretId = k.EndsWith("secret_id", StringComparison.Ordinal) || k.EndsWith("secretid", StringComparison.Ordinal);
        if (!vaultSecretId && IgnoredKeySuffixes.Any(s => k.EndsWith(s, StringComparison.Ordinal)))
        {
            return false;
        }
        string v = value.Trim();
        if (v.Contains("://", StringComparison.Ordinal) || v[0] is '/' or '~' or '.' || Identifier.IsMatch(v) || (v.Contains('.') || v.Contains('/')) && NameNotValue.IsMatch(v) ||
            ReferencePrefixes.Any(p => v.StartsWith(p, StringComparison.OrdinalIgnoreCase)) ||
            v.All(c => char.IsDigit(c) || c is '.' or '-' or ':') || bool.TryParse(v, out _))
        {
            return false;
        }
        // Letters and separators only (SecretManifest.FromNode, GitOpsSec.Secrets.FileTooLarge): code, not a credential.
        if (v.All(c => char.IsLetter(c) || c is '.' or '_' or '-' or ' ') || !v.Any(char.IsAsciiDigit) && !v.Any(char.IsAsciiLetterLower))
        {
            return false;
        }
        return true;
    }

    /// <summary>Kubernetes Secrets (decode data, flag plaintext values) and SealedSecrets (ignore their ciphertext).</summary>
    /// <summary>
    /// The Kubernetes pass over the YAML documents of <paramref name="text"/> that may be Secrets and overlap
    /// <paramref name="regions"/>: each document is read on its own (a file of fifty Secrets in which a commit
    /// changed one is not parsed whole), and the whole text is read when one of them cannot be (a %TAG
    /// directive belongs to the document after it).
    /// </summary>
    private List<(int From, int To, int LinesBefore)> KubernetesSecrets(string text, string path, IReadOnlyList<(int Start, int Length)> regions, List<Candidate> candidates, List<(int, int)> ignored, List<(int, int)> judged)
    {
        int[] lineStarts = SecretText.LineStarts(text);
        var docs = new List<(YamlDocument Doc, int LinesBefore)>();
        var sealedOnly = new List<(int From, int To, int LinesBefore)>();
        try
        {
            foreach (var (from, to, linesBefore) in YamlDocuments(text, lineStarts))
            {
                if (!regions.Any(r => r.Start < to && from < r.Start + r.Length))
                {
                    continue;
                }
                bool? onlySealed = DeclaredKinds(text[from..to]);
                if (onlySealed is null)
                {
                    continue;
                }
                if (onlySealed == true)
                {
                    sealedOnly.Add((from, to, linesBefore)); // read later, and only if a pattern matched in it
                    continue;
                }
                docs.AddRange(YamlDocumentReader.Read(text[from..to], path, LoadLimits.Default, _ => { }).Select(d => (d, linesBefore)));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            sealedOnly.Clear();
            try
            {
                docs = YamlDocumentReader.Read(text, path, LoadLimits.Default, _ => { }).Select(d => (d, 0)).ToList();
            }
            catch (Exception whole) when (whole is not OutOfMemoryException)
            {
                return sealedOnly; // not YAML we can read: the text patterns above still ran over it
            }
        }
        Judge(docs, lineStarts, candidates, ignored, judged);
        return sealedOnly;
    }

    /// <summary>
    /// One pass of the prefilter over a document: null when it declares no Secret or SealedSecret (<see cref="MayDeclareSecret"/>
    /// says no), true when every kind field it found is a plain SealedSecret (no escape, alias or Secret), else false.
    /// </summary>
    private static bool? DeclaredKinds(string document)
    {
        bool? sealedOnly = null;
        if (!document.Contains("Secret", StringComparison.Ordinal) && !document.Contains('\\'))
        {
            return null;
        }
        for (System.Text.RegularExpressions.Match m = SecretKind.Match(document); m.Success; m = m.NextMatch())
        {
            if (!m.Value.Contains("SealedSecret", StringComparison.Ordinal))
            {
                return false;
            }
            sealedOnly = true;
        }
        return sealedOnly;
    }

    /// <summary>What the documents say: a SealedSecret's ciphertext is ignored, a Secret's values are judged (and reported).</summary>
    private void Judge(List<(YamlDocument Doc, int LinesBefore)> docs, int[] lineStarts, List<Candidate> candidates, List<(int, int)> ignored, List<(int, int)> judged)
    {
        foreach (var (doc, linesBefore) in docs)
        {
            if (doc.Root is not YMapping root)
            {
                continue;
            }
            int Offset(YNode node) => SecretText.Offset(lineStarts, node.Line + linesBefore, node.Column);
            string? kind = root.Text("kind");
            if (kind == "SealedSecret")
            {
                foreach (var (_, value) in root.Map("spec")?.Map("encryptedData")?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
                {
                    int start = Offset(value);
                    ignored.Add((start, start + Math.Max(1, (value as YScalar)?.Value.Length ?? 1) + 2));
                }
                continue;
            }
            if (kind != "Secret" || root.Text("apiVersion") is not (null or "v1"))
            {
                continue;
            }
            // A SOPS-encrypted document is judged value by value: ENC[...] is ciphertext (SecretText.IsReferenceOrCiphertext),
            // while a value its unencrypted_regex left alone, or one under a sops: key anybody can add, is plaintext.
            YMapping? metadata = root.Map("metadata");
            string name = (metadata?.Text("namespace") is string ns ? ns + "/" : string.Empty) + (metadata?.Text("name") ?? "(unnamed)");
            foreach (string field in new[] { "data", "stringData" })
            {
                foreach (var (key, node) in root.Map(field)?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
                {
                    if (node is not YScalar value || value.IsNull)
                    {
                        continue;
                    }
                    int start = Offset(value);
                    judged.Add((start, start + Math.Max(1, value.Value.Length) + 2));
                    string? plain = field == "data" ? SecretText.Base64Text(value.Value) : value.Value;
                    if (plain is null || SecretText.IsPlaceholder(plain) || IsPublicMaterial(key.Value, plain))
                    {
                        continue;
                    }
                    int end = start + Math.Max(1, value.Value.Length);
                    int reportAt = Offset(key);
                    string context = $"Secret {name} {field}.{key.Value}{(field == "data" ? " (base64-decoded)" : string.Empty)}";
                    if (field == "data")
                    {
                        // Base64 hides provider formats from the text patterns: look inside.
                        var inner = new List<Candidate>();
                        bool[] innerFound = new bool[_keywords.Count];
                        _keywords.Find(plain, innerFound);
                        Match(plain, _specificGroup.Enabled(innerFound), 0, inner);
                        if (inner.Count > 0)
                        {
                            foreach (Candidate c in inner.OrderBy(c => c.Start).Take(1))
                            {
                                candidates.Add(c with { Start = start, End = end, Context = context, ReportAt = reportAt });
                            }
                            continue;
                        }
                    }
                    if (_kubernetesValue is not null)
                    {
                        candidates.Add(new Candidate(1, start, end, _kubernetesValue, plain, SecretText.Entropy(plain) >= 3 ? SecretConfidence.High : SecretConfidence.Medium, context, reportAt));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The documents of a YAML stream as character spans, each starting at its "---" line (which YAML forbids
    /// inside any scalar at the start of a line), with the number of lines before it.
    /// </summary>
    private static IEnumerable<(int From, int To, int LinesBefore)> YamlDocuments(string text, int[] lineStarts)
    {
        int from = 0, linesBefore = 0;
        for (int line = 1; line < lineStarts.Length; line++)
        {
            int at = lineStarts[line];
            if (string.CompareOrdinal(text, at, "---", 0, 3) == 0 && (at + 3 == text.Length || text[at + 3] is ' ' or '\t' or '\r' or '\n'))
            {
                yield return (from, at, linesBefore);
                (from, linesBefore) = (at, line);
            }
        }
        yield return (from, text.Length, linesBefore);
    }

    /// <summary>Certificates and public keys in a Secret (tls.crt, ca.crt) are not secrets.</summary>
    private static bool IsPublicMaterial(string key, string value) =>
        value.TrimStart().StartsWith("-----BEGIN CERTIFICATE", StringComparison.Ordinal) ||
        value.TrimStart().StartsWith("-----BEGIN PUBLIC KEY", StringComparison.Ordinal) ||
        value.TrimStart().StartsWith("ssh-", StringComparison.Ordinal) && key.EndsWith(".pub", StringComparison.Ordinal) ||
        key is "known_hosts" or "ssh_known_hosts";
}
