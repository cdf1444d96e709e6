using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using GitOpsSec.Diagnostics;
using GitOpsSec.Drift;
using GitOpsSec.Tests.Shared;

/// <summary>
/// Drift on N objects (ConfigMaps and Deployments across 50 namespaces) against the fake API server on
/// 127.0.0.1 over TLS: wall time of the comparison and the number of API requests (one LIST page per
/// 500 objects per kind and namespace, plus discovery). Run: dotnet run -c Release --project bench/GitOpsSec.Bench -- --drift 5000
/// </summary>
internal static class DriftBench
{
    public static async Task RunAsync(int count)
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Serve("v1", "configmaps", "ConfigMap", true);
        server.Serve("apps/v1", "deployments", "Deployment", true);
        string dir = Path.Combine(Path.GetTempPath(), "gitopssec-drift-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var git = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            string ns = $"team-{i % 50}";
            bool deployment = i % 2 == 0;
            int replicas = i % 97 == 0 ? 3 : 2; // every 97th object drifted in the cluster
            if (deployment)
            {
                git.Append($"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{{name: app, image: registry.example.com/app:{i % 7}.0}}]\n---\n");
                server.Add(JsonNode.Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"app-" + i + "\",\"namespace\":\"" + ns + "\",\"uid\":\"" + i + "\",\"resourceVersion\":\"1\"},\"spec\":{\"replicas\":" + replicas + ",\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"registry.example.com/app:" + (i % 7) + ".0\",\"imagePullPolicy\":\"IfNotPresent\"}]}}},\"status\":{\"replicas\":" + replicas + "}}")!.AsObject());
            }
            else
            {
                git.Append($"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: {ns}}}\ndata: {{KEY: value-{i}}}\n---\n");
                server.Add(JsonNode.Parse($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}","namespace":"{{{ns}}}"},"data":{"KEY":"value-{{{i}}}"}}""")!.AsObject());
            }
        }
        File.WriteAllText(Path.Combine(dir, "all.yaml"), git.ToString());
        File.WriteAllText(Path.Combine(dir, "kubeconfig"), server.Kubeconfig());
        var host = new CollectingHost();
        using var tree = GitOpsSec.Manifests.ManifestSource.Open(Path.Combine(dir, "all.yaml"), null, host)!;
        var objects = new GitOpsSec.Manifests.ManifestLoader(new GitOpsSec.Manifests.ManifestLoadOptions(), host).Load(tree).ToList();
        var watch = Stopwatch.StartNew();
        using var cluster = LiveCluster.Connect(Path.Combine(dir, "kubeconfig"), null, TimeSpan.FromSeconds(30));
        var results = await DriftAnalyzer.CompareAsync(objects, cluster, new DriftOptions(), host, CancellationToken.None);
        watch.Stop();
        Console.WriteLine($"| objects | changed | in sync | API requests | seconds |\n|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {objects.Count:N0} | {results.Count(r => r.Status == "Changed"):N0} | {results.Count(r => r.Status == "InSync"):N0} | {cluster.Requests} | {watch.Elapsed.TotalSeconds:0.00} |");
        Directory.Delete(dir, recursive: true);
    }
}
