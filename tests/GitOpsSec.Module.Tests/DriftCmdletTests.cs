using System.Text.Json.Nodes;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Compare-GitOpsDrift in a PowerShell pipeline against the fake API server (TLS, bearer token) through a kubeconfig.</summary>
public class DriftCmdletTests
{
    [Fact]
    public async Task Compare_GitOpsDrift_reports_drift_and_errors_through_the_pipeline()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Serve("v1", "configmaps", "ConfigMap", true);
        server.Serve("v1", "secrets", "Secret", true);
        server.Add(JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"shop"},"data":{"LOG_LEVEL":"debug"}}""")!.AsObject());
        server.Add(JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"stray","namespace":"shop"},"data":{}}""")!.AsObject());
        server.Forbidden.Add("/namespaces/shop/secrets");
        using var dir = new TempDir();
        dir.Write("git/app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {LOG_LEVEL: info}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone, namespace: shop}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData: {password: x}\n");
        string kubeconfig = dir.Write("kubeconfig", server.Kubeconfig());
        using var session = new PowerShellSession(dir.Path);
        var result = session.Run("Compare-GitOpsDrift ./git -Kubeconfig $args[0] -IncludeUnmanaged | ForEach-Object { \"$($_.Status) $($_.Name) $($_.Differences.Field)\" }", kubeconfig);
        Assert.Equal(new object[] { "Changed settings data.LOG_LEVEL", "Missing gone ", "Unmanaged stray " }, result.Output.Select(o => o.BaseObject).OrderBy(x => x));
        Assert.Equal(new[] { "GitOpsSec.Cluster.Forbidden" }, result.ErrorIds);
        var bad = session.Run("try { Compare-GitOpsDrift ./git -Kubeconfig ./nope.yaml } catch { $_.FullyQualifiedErrorId }");
        Assert.StartsWith("GitOpsSec.Cluster.InvalidKubeconfig", (string)bad.Output[^1].BaseObject, StringComparison.Ordinal);
    }
}
