using System.Text.Json;
using GitOpsSec.Reports;
using GitOpsSec.Rules.Images;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>The image inventory and its CycloneDX 1.5 SBOM, validated against the official schema (with its spdx and jsf references).</summary>
public class SbomTests
{
    private static readonly Lazy<Json.Schema.JsonSchema> Schema = new(() =>
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "tests", "data", "cyclonedx");
        foreach (string name in new[] { "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json" })
        {
            var referenced = Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(dir, name)));
            Json.Schema.SchemaRegistry.Global.Register(new Uri("http://cyclonedx.org/schema/" + name), referenced);
        }
        return Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(dir, "bom-1.5.SNAPSHOT.schema.json")));
    });

    private static Json.Schema.EvaluationResults Validate(string json) =>
        Schema.Value.Evaluate(JsonDocument.Parse(json).RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });

    private static string Errors(Json.Schema.EvaluationResults r) =>
        string.Join("\n", (r.Details ?? new List<Json.Schema.EvaluationResults>()).Where(d => d.Errors is { Count: > 0 }).Take(10)
            .Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}"));

    [Fact]
    public void Image_references_parse_like_the_container_runtime()
    {
        Assert.Equal(new ImageReference("docker.io", "library/nginx", "1.27", null), ImageReference.Parse("nginx:1.27"));
        Assert.Equal(new ImageReference("localhost:5000", "team/app", null, null), ImageReference.Parse("localhost:5000/team/app"));
        var pinned = ImageReference.Parse("ghcr.io/org/app:1.0@sha256:" + new string('a', 64));
        Assert.True(pinned.IsPinned);
        Assert.True(pinned.IsAllowedBy("ghcr.io/org"));
        Assert.False(pinned.IsAllowedBy("ghcr.io/other"));
        Assert.True(ImageReference.Parse("team.azurecr.io/x:1").IsAllowedBy("*.azurecr.io"));
        Assert.False(ImageReference.Parse("azurecr.io.evil.com/x:1").IsAllowedBy("*.azurecr.io"));
    }

    [Fact]
    public void The_sbom_of_the_examples_is_valid_CycloneDX_1_5_and_lists_every_image()
    {
        foreach (string example in new[] { "insecure-repo", "hardened-repo" })
        {
            var (objects, _) = Scan.Load(Path.Combine(TestPaths.Examples, example));
            var images = ImageInventory.Build(objects);
            Assert.NotEmpty(images);
            string json = CycloneDxWriter.Write(images, example, "0.1.0");
            var result = Validate(json);
            Assert.True(result.IsValid, Errors(result));
            using var doc = JsonDocument.Parse(json);
            var components = doc.RootElement.GetProperty("components").EnumerateArray().ToList();
            Assert.Equal(images.Count, components.Count);
            Assert.All(components, c => Assert.StartsWith("pkg:oci/", c.GetProperty("purl").GetString()));
        }
        var hardened = ImageInventory.Build(Scan.Load(Path.Combine(TestPaths.Examples, "hardened-repo")).Objects);
        Assert.All(hardened, i => Assert.True(i.Pinned));
        var web = hardened.Single(i => i.Repository == "web/frontend");
        Assert.Contains(web.Workloads, w => w.StartsWith("Deployment/", StringComparison.Ordinal));
        Assert.Equal("pkg:oci/frontend@" + Uri.EscapeDataString(web.Digest!) + "?repository_url=registry.example.com/web/frontend&tag=3.4.1", CycloneDxWriter.Purl(web));
    }

    [Fact]
    public void The_schema_check_rejects_a_broken_bom()
    {
        var image = ImageInventory.Build(Scan.Load(Path.Combine(TestPaths.Examples, "hardened-repo")).Objects).First();
        string good = CycloneDxWriter.Write(new[] { image }, "x", "0.1.0");
        Assert.True(Validate(good).IsValid);
        Assert.False(Validate(good.Replace("\"type\": \"container\"", "\"type\": \"spaceship\"", StringComparison.Ordinal)).IsValid);
        Assert.False(Validate(good.Replace("\"alg\": \"SHA-256\"", "\"alg\": \"CRC-32\"", StringComparison.Ordinal)).IsValid);
        Assert.True(Validate(CycloneDxWriter.Write(Array.Empty<ImageInventoryItem>(), "x", "0.1.0")).IsValid);
    }
}
