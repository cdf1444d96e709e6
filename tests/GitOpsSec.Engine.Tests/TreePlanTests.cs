using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>The loader's plan of a tree: which files are in a Helm chart, and which a kustomization owns.</summary>
public class TreePlanTests
{
    /// <summary>
    /// A file is in a chart exactly when a folder above it (or the root) holds a Chart.yaml, the definition the plan
    /// had as a test per chart: checked on 3,000 seeded random paths, with charts nested, at the root, and named like
    /// a prefix of a sibling ("app" and "app-2").
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void A_file_is_in_a_chart_when_a_folder_above_it_holds_a_Chart_yaml(int seed, bool rootChart)
    {
        var random = new Random(seed);
        string[] names = { "app", "app-2", "charts", "templates", "base", "a.b", "x" };
        var files = Enumerable.Range(0, 3000).Select(_ => string.Join('/', Enumerable.Range(0, random.Next(1, 6)).Select(_ => names[random.Next(names.Length)])) + $"/f{random.Next(9)}.yaml")
            .Concat(Enumerable.Range(0, 40).Select(_ => string.Join('/', Enumerable.Range(0, random.Next(0, 4)).Select(_ => names[random.Next(names.Length)])) is var d && d.Length > 0 ? d + "/Chart.yaml" : "Chart.yaml"))
            .Where(f => rootChart || f != "Chart.yaml")
            .Distinct().ToList();
        var charts = files.Where(f => TreePath.FileName(f) == "Chart.yaml").Select(TreePath.DirectoryOf).ToList();
        Assert.Equal(rootChart, charts.Contains(string.Empty));
        using var dir = new TempDir();
        var host = new CollectingHost();
        var plan = new TreePlan(new FileSystemTree(dir.Path), files, new ManifestLoadOptions { RenderKustomize = false }, host);
        int inChart = 0;
        foreach (string file in files)
        {
            bool expected = charts.Any(c => c.Length == 0 || file.StartsWith(c + "/", StringComparison.Ordinal));
            Assert.Equal(expected, plan.IsInHelmChart(file));
            inChart += expected ? 1 : 0;
        }
        Assert.InRange(inChart, 1, rootChart ? files.Count : files.Count - 1);
        Assert.Equal(charts.Count, host.Warnings.Count(w => w.Contains("is a Helm chart", StringComparison.Ordinal)));
    }
}
