using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;

namespace GitOpsSec.Engine.Tests;

/// <summary>Small front door for tests: load a path and analyze it with a collecting host.</summary>
internal static class Scan
{
    public static (List<ManifestObject> Objects, CollectingHost Host) Load(string path, string? revision = null, ManifestLoadOptions? options = null)
    {
        var host = new CollectingHost();
        using IManifestTree? tree = ManifestSource.Open(path, revision, host);
        var objects = tree is null ? new List<ManifestObject>() : new ManifestLoader(options ?? new ManifestLoadOptions(), host).Load(tree).ToList();
        return (objects, host);
    }

    public static (List<Finding> Findings, CollectingHost Host) Analyze(string path, RuleSelection? selection = null)
    {
        var (objects, host) = Load(path);
        var analyzer = new ManifestAnalyzer(selection ?? new RuleSelection(), host);
        var findings = objects.SelectMany(analyzer.Analyze).ToList();
        findings.AddRange(analyzer.AnalyzeRepository());
        return (findings, host);
    }
}
