using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>
/// What a kustomization file names, as tree paths: resource files, resource folders (bases, components),
/// patch files, and the namespace it sets on every namespaced object (<c>namespace:</c>).
/// </summary>
internal sealed class Kustomization
{
    public static readonly string[] FileNames = { "kustomization.yaml", "kustomization.yml", "Kustomization" };

    /// <summary>The kustomization file itself.</summary>
    public required string File { get; init; }

    public List<string> Files { get; } = new();
    public List<string> Directories { get; } = new();
    public List<string> OtherFiles { get; } = new();

    /// <summary>The namespace: field, which kustomize sets on every namespaced object it renders.</summary>
    public string? Namespace { get; private set; }

    /// <summary>The kustomization file of <paramref name="dir"/>, or null when the folder has none.</summary>
    public static string? FileIn(IManifestTree tree, string dir) =>
        FileNames.Select(n => TreePath.Combine(dir, n)).FirstOrDefault(tree.FileExists);

    /// <summary>Reads the kustomization of <paramref name="dir"/>; null when the folder has none. Remote resources are left out.</summary>
    public static Kustomization? Read(IManifestTree tree, string dir, LoadLimits limits, IScanHost host)
    {
        string? file = FileIn(tree, dir);
        if (file is null)
        {
            return null;
        }
        byte[]? bytes = tree.ReadFile(file, limits, host);
        string? text = bytes is null ? null : YamlDocumentReader.Decode(bytes, file, host.Error);
        YMapping? map = text is null
            ? null
            : YamlDocumentReader.Read(text, file, limits, host.Error).FirstOrDefault()?.Root as YMapping;
        var k = new Kustomization { File = file };
        if (map is null)
        {
            return k;
        }
        k.Namespace = map.Text("namespace");
        foreach (string entry in Strings(map, "resources").Concat(Strings(map, "bases")).Concat(Strings(map, "components")).Concat(Strings(map, "crds")))
        {
            if (entry.Contains("://", StringComparison.Ordinal) || entry.StartsWith("github.com/", StringComparison.Ordinal) ||
                entry.StartsWith("git@", StringComparison.Ordinal))
            {
                continue; // remote bases are rendered by kustomize but have no file here to point at
            }
            string path = TreePath.Combine(dir, entry);
            if (tree.FileExists(path))
            {
                k.Files.Add(path);
            }
            else if (tree.DirectoryExists(path))
            {
                k.Directories.Add(path);
            }
        }
        foreach (string patch in Strings(map, "patchesStrategicMerge"))
        {
            k.OtherFiles.Add(TreePath.Combine(dir, patch));
        }
        foreach (string key in new[] { "patches", "patchesJson6902" })
        {
            foreach (YMapping p in map.Seq(key)?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
            {
                if (p.Text("path") is string patchPath)
                {
                    k.OtherFiles.Add(TreePath.Combine(dir, patchPath));
                }
            }
        }
        return k;
    }

    private static IEnumerable<string> Strings(YMapping map, string key) =>
        map.Seq(key)?.Items.OfType<YScalar>().Where(s => !s.IsNull).Select(s => s.Value) ?? Enumerable.Empty<string>();
}
