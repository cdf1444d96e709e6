using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using Xunit;

namespace GitOpsSec.Engine.Tests;

public class YamlDocumentReaderTests
{
    private static (List<YamlDocument> Docs, List<ScanError> Errors) Read(string text, LoadLimits? limits = null)
    {
        var errors = new List<ScanError>();
        var docs = YamlDocumentReader.Read(text, "t.yaml", limits ?? LoadLimits.Default, errors.Add).ToList();
        return (docs, errors);
    }

    [Fact]
    public void Lines_and_columns_are_one_based_and_point_at_keys()
    {
        var (docs, errors) = Read("# c\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: b\n");
        Assert.Empty(errors);
        var root = (YMapping)docs[0].Root;
        Assert.Equal(2, root.Line);
        Assert.Equal(1, root.Column);
        var item = (YMapping)root.Map("spec")!.Seq("containers")!.Items[0];
        Assert.Equal(6, item.Line);
        Assert.Equal(7, item.Column);
        Assert.Equal(7, item.KeyNode("image")!.Line);
    }

    [Fact]
    public void Every_document_of_a_stream_is_read_and_empty_ones_skipped()
    {
        var (docs, errors) = Read("---\na: 1\n---\n---\nb: 2\n...\n---\nc: 3\n");
        Assert.Empty(errors);
        Assert.Equal(3, docs.Count);
        Assert.Equal(new[] { 0, 2, 3 }, docs.Select(d => d.Index));
    }

    [Fact]
    public void A_broken_document_is_reported_with_its_line_after_the_good_ones()
    {
        var (docs, errors) = Read("a: 1\n---\nb: [1, 2\nc: 3\n");
        Assert.Single(docs);
        ScanError e = Assert.Single(errors);
        Assert.Equal(ErrorIds.InvalidYaml, e.ErrorId);
        Assert.True(e.Line >= 3, "line " + e.Line);
    }

    [Fact]
    public void Duplicate_keys_are_reported_and_the_last_value_wins()
    {
        var (docs, errors) = Read("a: 1\nb: 2\na: 3\n");
        ScanError e = Assert.Single(errors);
        Assert.Equal(ErrorIds.DuplicateKey, e.ErrorId);
        Assert.Equal(3, e.Line);
        Assert.Equal("3", ((YMapping)docs[0].Root).Text("a"));
    }

    [Fact]
    public void Billion_laughs_is_stopped_by_the_node_budget_quickly()
    {
        var sb = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++)
        {
            sb.Append($"a{i}: &a{i} [").Append(string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))).Append("]\n");
        }
        sb.Append("---\nok: true\n");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (docs, errors) = Read(sb.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        ScanError e = Assert.Single(errors);
        Assert.Equal(ErrorIds.AliasBomb, e.ErrorId);
        Assert.Equal("true", ((YMapping)Assert.Single(docs).Root).Text("ok"));
    }

    [Fact]
    public void Aliases_within_budget_are_shared_not_copied()
    {
        var (docs, errors) = Read("base: &b {x: 1, y: 2}\nuse: *b\n");
        Assert.Empty(errors);
        var root = (YMapping)docs[0].Root;
        Assert.Same(root["base"], root["use"]);
    }

    [Fact]
    public void Deep_nesting_is_rejected_without_recursion()
    {
        string deep = new string('[', 100_000) + new string(']', 100_000);
        var (docs, errors) = Read(deep + "\n---\nok: 1\n");
        Assert.Equal(ErrorIds.TooDeep, Assert.Single(errors).ErrorId);
        Assert.Single(docs);
    }

    [Fact]
    public void Merge_keys_merge_without_overriding_explicit_keys()
    {
        var (docs, errors) = Read("d: &d {privileged: true, a: 1}\nsc:\n  <<: *d\n  a: 2\n");
        Assert.Empty(errors);
        var sc = ((YMapping)docs[0].Root).Map("sc")!;
        Assert.Equal("true", sc.Text("privileged"));
        Assert.Equal("2", sc.Text("a"));
        Assert.False(sc.ContainsKey("<<"));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("On", true)]
    [InlineData("false", false)]
    [InlineData("NO", false)]
    [InlineData("off", false)]
    public void Booleans_resolve_like_the_kubernetes_yaml_decoder(string text, bool expected)
    {
        var (docs, _) = Read($"v: {text}\nq: \"{text}\"\n");
        var map = (YMapping)docs[0].Root;
        Assert.Equal(expected, map.Scalar("v")!.AsBoolean());
        Assert.Null(map.Scalar("q")!.AsBoolean());
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1000", 1000L)]
    [InlineData("-5", -5L)]
    [InlineData("0x1F", 31L)]
    [InlineData("0o17", 15L)]
    public void Integers_resolve(string text, long expected)
    {
        var (docs, _) = Read($"v: {text}\n");
        Assert.Equal(expected, ((YMapping)docs[0].Root).Scalar("v")!.AsInteger());
    }

    [Fact]
    public void Binary_content_is_rejected()
    {
        var errors = new List<ScanError>();
        Assert.Null(YamlDocumentReader.Decode(new byte[] { (byte)'a', (byte)'\n', 0, 1, 2 }, "b.yaml", errors.Add));
        Assert.Equal(ErrorIds.BinaryFile, Assert.Single(errors).ErrorId);
        Assert.Equal(2, errors[0].Line);
    }

    [Fact]
    public void Invalid_utf8_is_rejected_with_its_line()
    {
        var errors = new List<ScanError>();
        byte[] bytes = Encoding.UTF8.GetBytes("a: 1\nb: x").Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        Assert.Null(YamlDocumentReader.Decode(bytes, "u.yaml", errors.Add));
        Assert.Equal(ErrorIds.InvalidEncoding, Assert.Single(errors).ErrorId);
        Assert.Equal(2, errors[0].Line);
    }

    [Fact]
    public void Utf16_with_bom_is_decoded()
    {
        var errors = new List<ScanError>();
        byte[] bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("kind: Pod\n")).ToArray();
        Assert.Equal("kind: Pod\n", YamlDocumentReader.Decode(bytes, "w.yaml", errors.Add));
        Assert.Empty(errors);
    }
}
