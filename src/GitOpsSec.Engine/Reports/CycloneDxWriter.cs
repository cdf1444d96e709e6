using System.Text.Json;
using System.Text.Json.Nodes;
using GitOpsSec.Rules.Images;

namespace GitOpsSec.Reports;

/// <summary>
/// A CycloneDX 1.5 JSON SBOM of the container images a repository deploys: one component of type
/// container per image (purl pkg:oci, digest as a SHA-256 hash), the workloads as properties, and the
/// repository as the root component depending on them.
/// </summary>
public static class CycloneDxWriter
{
    public static string Write(IEnumerable<ImageInventoryItem> images, string subject, string toolVersion, Guid? serial = null, DateTimeOffset? timestamp = null)
    {
        var list = images.ToList();
        var components = new JsonArray();
        var refs = new JsonArray();
        foreach (ImageInventoryItem image in list)
        {
            string purl = Purl(image);
            var component = new JsonObject
            {
                ["type"] = "container",
                ["bom-ref"] = purl,
                ["name"] = image.Repository.Split('/')[^1],
                ["group"] = image.Registry + "/" + string.Join('/', image.Repository.Split('/')[..^1]),
                ["purl"] = purl,
            };
            if (image.Tag is not null)
            {
                component["version"] = image.Tag;
            }
            if (image.Pinned)
            {
                component["hashes"] = new JsonArray { new JsonObject { ["alg"] = "SHA-256", ["content"] = image.Digest!["sha256:".Length..] } };
            }
            var properties = new JsonArray
            {
                new JsonObject { ["name"] = "gitopssec:image", ["value"] = image.Image },
                new JsonObject { ["name"] = "gitopssec:pinned", ["value"] = image.Pinned ? "true" : "false" },
            };
            foreach (string w in image.Workloads)
            {
                properties.Add(new JsonObject { ["name"] = "gitopssec:workload", ["value"] = w });
            }
            foreach (string l in image.Locations)
            {
                properties.Add(new JsonObject { ["name"] = "gitopssec:location", ["value"] = l });
            }
            component["properties"] = properties;
            components.Add(component);
            refs.Add(purl);
        }
        var bom = new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.5",
            ["serialNumber"] = "urn:uuid:" + (serial ?? Guid.NewGuid()).ToString("D"),
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["timestamp"] = (timestamp ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
                ["tools"] = new JsonObject
                {
                    ["components"] = new JsonArray { new JsonObject { ["type"] = "application", ["name"] = "GitOpsSec", ["version"] = toolVersion } },
                },
                ["component"] = new JsonObject { ["type"] = "application", ["bom-ref"] = "gitops-repository", ["name"] = subject },
            },
            ["components"] = components,
            ["dependencies"] = new JsonArray
            {
                new JsonObject { ["ref"] = "gitops-repository", ["dependsOn"] = refs },
            },
        };
        return bom.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>pkg:oci/name@sha256%3A...?repository_url=registry/repository&amp;tag=... (the purl spec's OCI type).</summary>
    public static string Purl(ImageInventoryItem image)
    {
        string name = Uri.EscapeDataString(image.Repository.Split('/')[^1].ToLowerInvariant());
        string version = image.Digest is null ? string.Empty : "@" + Uri.EscapeDataString(image.Digest);
        var qualifiers = new List<string> { "repository_url=" + Uri.EscapeDataString($"{image.Registry}/{image.Repository}").Replace("%2F", "/", StringComparison.Ordinal) };
        if (image.Tag is not null)
        {
            qualifiers.Add("tag=" + Uri.EscapeDataString(image.Tag));
        }
        return $"pkg:oci/{name}{version}?{string.Join('&', qualifiers)}";
    }
}
