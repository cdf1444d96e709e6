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

    [Fact]
    public async Task Live_analyses_read_the_cluster_with_the_same_output_types()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Serve("v1", "namespaces", "Namespace", false);
        server.Serve("v1", "pods", "Pod", true);
        server.Serve("apps/v1", "deployments", "Deployment", true);
        server.Serve("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", false);
        server.Serve("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", false);
        server.Serve("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", true);
        server.Add(JsonNode.Parse("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}""")!.AsObject());
        server.Add(JsonNode.Parse("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","securityContext":{"privileged":true}}]}}}}""")!.AsObject());
        server.Add(JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-abc","namespace":"shop","ownerReferences":[{"kind":"ReplicaSet","name":"web-1","controller":true}]},"spec":{"containers":[{"name":"web","image":"nginx:1.27","securityContext":{"privileged":true}}]}}""")!.AsObject());
        server.Add(JsonNode.Parse("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"ci-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"shop"}]}""")!.AsObject());
        using var dir = new TempDir();
        string kubeconfig = dir.Write("kubeconfig", server.Kubeconfig());
        using var session = new PowerShellSession(dir.Path);

        var findings = session.Run("Test-GitOpsManifest -Live -Kubeconfig $args[0] -Rule GOS1003", kubeconfig);
        findings.AssertNoErrors();
        var privileged = Assert.Single(findings.Findings()); // the Deployment; its controller-owned Pod is not counted twice
        Assert.Equal(("GitOpsSec.Finding", "Deployment", "web"), (privileged.TypeName, privileged.Kind, privileged.Name));
        Assert.StartsWith("live/fake-context/Deployment/shop/web", privileged.Path, StringComparison.Ordinal);

        var exposure = session.Run("Get-RbacExposure -Live -Kubeconfig $args[0] -Context fake-context | ForEach-Object { \"$($_.Subject)|$($_.Capability)\" }", kubeconfig);
        exposure.AssertNoErrors();
        Assert.Contains("ServiceAccount shop/ci|ClusterAdmin", exposure.Output.Select(o => o.BaseObject.ToString()));

        var coverage = session.Run("Get-NetworkPolicyCoverage -Live -Kubeconfig $args[0] -ByNamespace | ForEach-Object { \"$($_.Namespace) $($_.DefaultDenyIngress)\" }", kubeconfig);
        coverage.AssertNoErrors();
        Assert.Contains("shop False", coverage.Output.Select(o => o.BaseObject.ToString()));
    }
}
