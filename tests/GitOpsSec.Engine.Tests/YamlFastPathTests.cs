using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// The fast path parses only what it reads exactly as YamlDotNet does. YamlDotNet, an independent
/// implementation, is the oracle: every YAML and JSON file of this repository, seeded random documents and
/// seeded mutations of both are parsed both ways, and wherever the fast path answers, its documents must equal
/// YamlDotNet's node by node (kind, value, style, tag, line, column, key order, document index and offsets), and
/// YamlDotNet must have reported nothing.
/// </summary>
public class YamlFastPathTests
{
    private static readonly string[] Extensions = { ".yaml", ".yml", ".json" };

    /// <summary>GITOPSSEC_FUZZ_SCALE multiplies the seeded cases for a longer run than CI's.</summary>
    private static int Scale => int.TryParse(Environment.GetEnvironmentVariable("GITOPSSEC_FUZZ_SCALE"), out int n) && n > 0 ? n : 1;

    /// <summary>The repository's own YAML, plus any folders in GITOPSSEC_YAML_CORPUS (path-separated), for runs against real repositories.</summary>
    private static List<string> CorpusFiles()
    {
        var roots = new List<string> { TestPaths.Examples, Path.Combine(TestPaths.RepoRoot, "tests", "data"), Path.Combine(TestPaths.RepoRoot, "src"), Path.Combine(TestPaths.RepoRoot, "docs") };
        string? extra = Environment.GetEnvironmentVariable("GITOPSSEC_YAML_CORPUS");
        if (!string.IsNullOrEmpty(extra))
        {
            roots.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }
        return roots.Where(Directory.Exists)
            .SelectMany(r => Directory.EnumerateFiles(r, "*", SearchOption.AllDirectories))
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}.git{Path.DirectorySeparatorChar}"))
            .Where(f => new FileInfo(f).Length < 2_000_000)
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
    }

    /// <summary>Null when both agree (or the fast path declined); otherwise what differs.</summary>
    internal static string? Disagreement(string text, LoadLimits? limits = null) => Disagreement(text, limits, out _);

    /// <summary>Whether the fast path took the text; what differs from YamlDotNet goes into <paramref name="failures"/> under <paramref name="label"/>.</summary>
    private static bool Held(string text, string label, List<string> failures, bool showText)
    {
        if (Disagreement(text, null, out bool accepted) is string d)
        {
            failures.Add(showText ? $"{label}: {d}\n---\n{text}\n---" : $"{label}: {d}");
        }
        return accepted;
    }

    private static string? Disagreement(string text, LoadLimits? limits, out bool accepted)
    {
        limits ??= LoadLimits.Default;
        accepted = YamlDocumentReader.TryReadPlain(text, limits, out List<YamlDocument> fast);
        if (!accepted)
        {
            return null;
        }
        var errors = new List<ScanError>();
        List<YamlDocument> reference;
        try
        {
            reference = YamlDocumentReader.ReadWithYamlDotNet(text, "t.yaml", limits, errors.Add).ToList();
        }
        catch (Exception e)
        {
            return $"YamlDotNet threw {e.GetType().Name} where the fast path answered";
        }
        if (errors.Count > 0)
        {
            return $"the fast path answered where YamlDotNet reports: {errors[0].Message}";
        }
        if (fast.Count != reference.Count)
        {
            return $"{fast.Count} documents, YamlDotNet {reference.Count}";
        }
        for (int i = 0; i < fast.Count; i++)
        {
            YamlDocument a = fast[i], b = reference[i];
            if (a.Index != b.Index || a.StartOffset != b.StartOffset || a.EndOffset != b.EndOffset)
            {
                return $"document {i}: index/start/end {a.Index}/{a.StartOffset}/{a.EndOffset}, YamlDotNet {b.Index}/{b.StartOffset}/{b.EndOffset}";
            }
            if (Differ(a.Root, b.Root, "$") is string where)
            {
                return $"document {i}: {where}";
            }
        }
        return null;
    }

    private static string? Differ(YNode a, YNode b, string path)
    {
        if (a.GetType() != b.GetType() || a.Line != b.Line || a.Column != b.Column)
        {
            return $"{path}: {a.GetType().Name} at {a.Line}:{a.Column}, YamlDotNet {b.GetType().Name} at {b.Line}:{b.Column}";
        }
        switch (a)
        {
            case YScalar sa:
                var sb = (YScalar)b;
                return sa.Value == sb.Value && sa.IsPlain == sb.IsPlain && sa.Tag == sb.Tag
                    ? null
                    : $"{path}: scalar '{Escape(sa.Value)}' plain={sa.IsPlain} tag={sa.Tag}, YamlDotNet '{Escape(sb.Value)}' plain={sb.IsPlain} tag={sb.Tag}";
            case YSequence qa:
                var qb = (YSequence)b;
                if (qa.Items.Count != qb.Items.Count)
                {
                    return $"{path}: {qa.Items.Count} items, YamlDotNet {qb.Items.Count}";
                }
                for (int i = 0; i < qa.Items.Count; i++)
                {
                    if (Differ(qa.Items[i], qb.Items[i], $"{path}[{i}]") is string d)
                    {
                        return d;
                    }
                }
                return null;
            default:
                var ma = (YMapping)a;
                var mb = (YMapping)b;
                if (ma.Entries.Count != mb.Entries.Count)
                {
                    return $"{path}: {ma.Entries.Count} keys, YamlDotNet {mb.Entries.Count}";
                }
                for (int i = 0; i < ma.Entries.Count; i++)
                {
                    string at = $"{path}.{ma.Entries[i].Key.Value}";
                    if ((Differ(ma.Entries[i].Key, mb.Entries[i].Key, at + "(key)") ?? Differ(ma.Entries[i].Value, mb.Entries[i].Value, at)) is string d)
                    {
                        return d;
                    }
                }
                return null;
        }
    }

    private static string Escape(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal);

    [Fact]
    public void Every_yaml_file_of_the_repository_parses_as_YamlDotNet_parses_it()
    {
        List<string> files = CorpusFiles();
        Assert.True(files.Count > 200, $"only {files.Count} files found");
        var failures = new List<string>();
        int accepted = 0;
        foreach (string file in files)
        {
            accepted += Held(File.ReadAllText(file), file, failures, showText: false) ? 1 : 0;
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        // The fast path must carry the common shape, or the scan is as slow as before.
        Assert.True(accepted * 10 >= files.Count * 7, $"the fast path took {accepted} of {files.Count} files");
    }

    [Fact]
    public void Seeded_mutations_of_the_repository_files_parse_as_YamlDotNet_parses_them()
    {
        var random = new Random(20261203);
        List<string> files = CorpusFiles().Where(f => Scale > 1 || f.StartsWith(TestPaths.Examples, StringComparison.Ordinal)).ToList();
        const string Alphabet = " \n:-#'\"[]{},|>a1\\.&*!?%@`\t\r";
        var failures = new List<string>();
        int accepted = 0, tried = 0;
        foreach (string file in files)
        {
            string original = File.ReadAllText(file);
            if (original.Length == 0)
            {
                continue;
            }
            for (int k = 0; k < 25 * Scale; k++)
            {
                var text = new StringBuilder(original);
                int edits = random.Next(1, 4);
                for (int e = 0; e < edits; e++)
                {
                    int at = random.Next(text.Length + 1);
                    char c = Alphabet[random.Next(Alphabet.Length)];
                    switch (random.Next(3))
                    {
                        case 0 when at < text.Length:
                            text.Remove(at, 1);
                            break;
                        case 1 when at < text.Length:
                            text[at] = c;
                            break;
                        default:
                            text.Insert(at, c);
                            break;
                    }
                }
                string mutated = text.ToString();
                tried++;
                accepted += Held(mutated, $"{file} mutated", failures, showText: true) ? 1 : 0;
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
        Assert.True(accepted > tried / 4, $"the fast path took {accepted} of {tried} mutations");
    }

    [Fact]
    public void Seeded_random_documents_parse_as_YamlDotNet_parses_them()
    {
        var random = new Random(7);
        var failures = new List<string>();
        int accepted = 0;
        int Cases = 4000 * Scale;
        for (int i = 0; i < Cases; i++)
        {
            accepted += Held(RandomYaml.Stream(random), $"case {i}", failures, showText: true) ? 1 : 0;
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
        Assert.True(accepted > Cases / 4, $"the fast path took {accepted} of {Cases}");
    }

    [Theory]
    [InlineData("a: 1\nb:\n  - x\n  - y: 2\n    z: 'q''s'\n")]
    [InlineData("key:\n- a\n- b\nnext: {x: 1, y: [a, \"b\"]}\n")]
    [InlineData("script: |\n  echo hi\n\n  echo there\n\nfolded: >-\n  one\n  two\n\n  three\nkeep: |+\n  a\n\n\nz: 1\n")]
    [InlineData("# head\n---\na: 1 # c\n---\n---\nb: \"\\u00e9\\t\\\"x\\\"\"\n")]
    [InlineData("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":\"e\"}}")]
    [InlineData("empty:\nlist:\n-\n- \nlast:")]
    [InlineData("- - a\n  - b\n- c: d\n  e: f\n")]
    [InlineData("url: http://x:80/y\nimage: nginx:1.25 # pinned\nargs: [--a, -b]\n")]
    public void Shapes_manifests_use_parse_on_the_fast_path_as_YamlDotNet_parses_them(string text)
    {
        Assert.True(YamlDocumentReader.TryReadPlain(text, LoadLimits.Default, out _), "the fast path declined");
        Assert.Null(Disagreement(text));
    }

    [Theory]
    [InlineData("a: &x 1\nb: *x\n")] // anchors and aliases
    [InlineData("a: !!str 1\n")] // tags
    [InlineData("a: 1\na: 2\n")] // a duplicate key: YamlDotNet's path reports it
    [InlineData("a: b\n  c\n")] // a multi-line plain scalar
    [InlineData("a: [1,\n 2]\n")] // a multi-line flow sequence
    [InlineData("a:\tb\n")] // a tab
    [InlineData("a: 1\r\nb: 2\r\n")] // CRLF
    [InlineData("<<: {a: 1}\n")] // a merge key
    [InlineData("a: b: c\n")] // invalid
    [InlineData("%YAML 1.1\n---\na: 1\n")] // a directive
    [InlineData("a: |2\n   x\n")] // an indentation indicator
    public void Everything_else_is_left_to_YamlDotNet(string text)
    {
        Assert.False(YamlDocumentReader.TryReadPlain(text, LoadLimits.Default, out _));
    }

    [Fact]
    public void Deep_nesting_and_the_node_limit_are_left_to_YamlDotNet_which_reports_them()
    {
        string deep = string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', i * 2) + "k:\n")) + new string(' ', 400) + "v\n";
        Assert.False(YamlDocumentReader.TryReadPlain(deep, LoadLimits.Default, out _));
        var errors = new List<ScanError>();
        _ = YamlDocumentReader.Read(deep, "t.yaml", LoadLimits.Default, errors.Add).ToList();
        Assert.Contains(errors, e => e.ErrorId == ErrorIds.TooDeep);

        string wide = "a: [" + string.Join(", ", Enumerable.Range(0, 100)) + "]\n";
        var limits = LoadLimits.Default with { MaxNodesPerDocument = 50 };
        Assert.False(YamlDocumentReader.TryReadPlain(wide, limits, out _));
        errors.Clear();
        _ = YamlDocumentReader.Read(wide, "t.yaml", limits, errors.Add).ToList();
        Assert.Contains(errors, e => e.ErrorId == ErrorIds.AliasBomb);
    }

    /// <summary>Kubernetes-like YAML with the shapes manifests use and the ones the fast path must decline.</summary>
    private static class RandomYaml
    {
        // The shapes manifests use, then (second array of each pair) shapes the fast path must decline or get right at the edge.
        private static readonly string[] Keys = { "apiVersion", "kind", "metadata", "name", "labels", "spec", "containers", "image", "a", "b-c", "x.y/z", "\"q k\"", "'s k'", "on", "1", "app.kubernetes.io/name", "k:v", "-k", "ns" };
        private static readonly string[] OddKeys = { "k #", "? k", "&a k", "\"k\nl\"", "<<", "'k''s'", "[k]", "\"\"", "k *", "a *b" };
        private static readonly string[] Plain = { "v1", "Deployment", "nginx:1.25", "true", "no", "~", "null", "1", "0x1F", "1.5e3", "-1", "--flag", "a b", "a  b ", "http://x/y", "a#b", "a # c", "é", "日本", "a:b", "a, b", "x]", "---", "...", "a'b", "a\"b", ".5", "+1", "=", "a\\b" };
        private static readonly string[] OddPlain = { "[x]", "{y}", "-", "a: b", "&a x", "*a", "!t x", "? k", "@x", "`x", "%x", "\tx", "x\r", "\u0085", "\uFEFFx", "😀", "a *b", "b *: c", "x &y", "x !y: z" };
        private static readonly string[] Quoted = { "'x'", "''", "'it''s'", "\"\"", "\"a\\nb\"", "\"\\u00e9\"", "\"\\x41\"", "\"\\U0001F600\"", "\"a#b\"", "\"a: b\"", "'a: b'", "\"\\/\"", "\"tab\\t\"", "\"\\\\\"" };
        private static readonly string[] OddQuoted = { "\"\\q\"", "'multi", "\"x\"y", "\"a\\\nb\"", "'a\n b'", "\"\\uD800\"", "\"\\x4\"" };
        private static readonly string[] Flow = { "[]", "{}", "[a, b]", "[a,b]", "[ a , 'b' ]", "{a: 1}", "{a: 1, b: [x, y]}", "{\"a\":1}", "[[a], {b: c}]", "[\"x\", \"y\"]", "{\"a\": [1, 2], \"b\": {}}", "[-1, -x]" };
        private static readonly string[] OddFlow = { "{a:1}", "[a, ]", "[a: b]", "{a, b}", "{a: }", "[a # c]", "[a\n, b]", "[a]b", "{a: 1}}", "[a, [b]" };
        private static readonly string[] Block = { "|", "|-", "|+", ">", ">-", ">+", "| # c" };
        private static readonly string[] OddBlock = { "|2", "|#c", ">1-", "|-+", "| x" };

        [ThreadStatic]
        private static bool _hostile;

        /// <summary>A pick from the common shapes, or, in a hostile document, one time in six from the odd ones.</summary>
        private static string Pick(Random r, string[] from, string[] odd) =>
            _hostile && r.Next(6) == 0 ? odd[r.Next(odd.Length)] : from[r.Next(from.Length)];

        public static string Stream(Random r)
        {
            _hostile = r.Next(2) == 0;
            var sb = new StringBuilder();
            if (r.Next(4) == 0)
            {
                sb.Append("# comment\n");
            }
            int docs = r.Next(1, 4);
            for (int d = 0; d < docs; d++)
            {
                if (d > 0 || r.Next(2) == 0)
                {
                    sb.Append(r.Next(10) == 0 ? "--- # c\n" : "---\n");
                }
                if (r.Next(8) == 0)
                {
                    continue; // an empty document
                }
                Mapping(r, sb, 0, 0, r.Next(2, 6));
                if (r.Next(6) == 0)
                {
                    sb.Append(r.Next(2) == 0 ? "\n# trailing\n" : "\n\n");
                }
            }
            if (r.Next(5) == 0 && sb.Length > 0)
            {
                sb.Length--; // no final line break
            }
            return sb.ToString();
        }

        private static void Mapping(Random r, StringBuilder sb, int indent, int depth, int count, bool firstInline = false)
        {
            var used = new HashSet<string>();
            for (int i = 0; i < count; i++)
            {
                if (!(firstInline && i == 0))
                {
                    sb.Append(' ', indent);
                }
                string key = Pick(r, Keys, OddKeys);
                while (!_hostile && !used.Add(key))
                {
                    key = Pick(r, Keys, OddKeys); // duplicate keys only in hostile documents
                }
                sb.Append(key).Append(r.Next(12) == 0 ? " :" : ":");
                Value(r, sb, indent, depth, inSequenceItem: false);
                if (r.Next(10) == 0)
                {
                    sb.Append(r.Next(2) == 0 ? "\n" : new string(' ', r.Next(6)) + "# note\n");
                }
            }
        }

        private static void Sequence(Random r, StringBuilder sb, int indent, int depth, int count, bool firstInline = false)
        {
            for (int i = 0; i < count; i++)
            {
                if (!(firstInline && i == 0))
                {
                    sb.Append(' ', indent);
                }
                sb.Append('-');
                Value(r, sb, indent, depth, inSequenceItem: true);
            }
        }

        private static void Value(Random r, StringBuilder sb, int indent, int depth, bool inSequenceItem)
        {
            int choice = depth > 4 ? r.Next(6) : r.Next(11);
            switch (choice)
            {
                case 0 or 1:
                    sb.Append(' ').Append(Pick(r, Plain, OddPlain)).Append(r.Next(8) == 0 ? "  # c" : "").Append('\n');
                    break;
                case 2:
                    sb.Append(' ').Append(Pick(r, Quoted, OddQuoted)).Append('\n');
                    break;
                case 3:
                    sb.Append(' ').Append(Pick(r, Flow, OddFlow)).Append('\n');
                    break;
                case 4:
                    BlockScalar(r, sb, indent);
                    break;
                case 5:
                    sb.Append(r.Next(2) == 0 ? "" : "  ").Append('\n'); // an empty value
                    break;
                case 6 or 7:
                {
                    int inner = indent + r.Next(1, 4);
                    if (inSequenceItem && r.Next(2) == 0)
                    {
                        sb.Append(' ', inner - indent); // a compact mapping: "- key: value"
                        Mapping(r, sb, inner + 1, depth + 1, r.Next(1, 4), firstInline: true);
                        break;
                    }
                    sb.Append('\n');
                    Mapping(r, sb, inner, depth + 1, r.Next(1, 4));
                    break;
                }
                default:
                {
                    if (inSequenceItem && r.Next(3) == 0)
                    {
                        sb.Append(' ');
                        Sequence(r, sb, indent + 2, depth + 1, r.Next(1, 3), firstInline: true);
                        break;
                    }
                    sb.Append('\n');
                    // An indentless sequence under a key, or an indented one.
                    int inner = !inSequenceItem && r.Next(2) == 0 ? indent : indent + r.Next(1, 4);
                    Sequence(r, sb, inner, depth + 1, r.Next(1, 4));
                    break;
                }
            }
        }

        private static void BlockScalar(Random r, StringBuilder sb, int indent)
        {
            sb.Append(' ').Append(Pick(r, Block, OddBlock)).Append('\n');
            int inner = indent + r.Next(1, 4);
            int lines = r.Next(_hostile ? 0 : 1, 5);
            for (int i = 0; i < lines; i++)
            {
                // Hostile documents also get more indented lines, lines of spaces and no content at all.
                switch (_hostile ? r.Next(7) : i == lines - 1 ? 4 : new[] { 0, 3, 4 }[r.Next(3)])
                {
                    case 0:
                        sb.Append('\n');
                        break;
                    case 1:
                        sb.Append(' ', inner + r.Next(1, 3)).Append("more\n");
                        break;
                    case 2:
                        sb.Append(' ', r.Next(inner + 3)).Append('\n');
                        break;
                    case 3:
                        sb.Append(' ', inner).Append("# not a comment\n");
                        break;
                    default:
                        sb.Append(' ', inner).Append("line ").Append(i).Append(": x\n");
                        break;
                }
            }
        }
    }
}
