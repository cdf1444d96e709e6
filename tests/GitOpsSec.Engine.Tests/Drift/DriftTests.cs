using System.Text.Json.Nodes;
using GitOpsSec.Diagnostics;
using GitOpsSec.Drift;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Drift;

/// <summary>Compare-GitOpsDrift's engine against a fake API server over TLS with bearer-token auth, through KubernetesClient and a kubeconfig.</summary>
public sealed class DriftTests
{
    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static async Task<FakeApiServer> Server()
    {
        var s = await FakeApiServer.StartAsync();
        s.Serve("v1", "configmaps", "ConfigMap", true);
        s.Serve("v1", "secrets", "Secret", true);
        s.Serve("v1", "namespaces", "Namespace", false);
        s.Serve("apps/v1", "deployments", "Deployment", true);
        s.Serve("apps/v1", "replicasets", "ReplicaSet", true);
        return s;
    }


    private static (List<DriftResult>, CollectingHost, LiveCluster) Run(FakeApiServer server, IReadOnlyList<GitOpsSec.Manifests.ManifestObject> git, TempDir dir,
        DriftOptions? options = null, string? kubeconfig = null, TimeSpan? timeout = null)
    {
        string file = dir.Write("kubeconfig", kubeconfig ?? server.Kubeconfig());
        var cluster = LiveCluster.Connect(file, null, timeout ?? TimeSpan.FromSeconds(10));
        var host = new CollectingHost();
        var results = DriftAnalyzer.CompareAsync(git, cluster, options ?? new DriftOptions(), host, CancellationToken.None).GetAwaiter().GetResult();
        return (results, host, cluster);
    }

    private const string GitYaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec:
          replicas: 3
          template:
            spec:
              containers:
                - name: web
                  image: registry.example.com/web:1.2.0
                  resources: {requests: {cpu: 500m, memory: 1Gi}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: shop}
        data: {LOG_LEVEL: info}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: missing, namespace: shop}
        data: {A: b}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: db, namespace: shop}
        stringData: {password: correct-horse}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        """;

    private static void Seed(FakeApiServer s)
    {
        // The live Deployment: scaled by hand to 5, plus everything the API server adds (status, defaults, managedFields).
        s.Add(Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","uid":"1","resourceVersion":"9","generation":4,"creationTimestamp":"2026-11-01T00:00:00Z","labels":{"app":"web"},"managedFields":[{"manager":"kubectl"}],"annotations":{"deployment.kubernetes.io/revision":"4"}},"spec":{"replicas":5,"revisionHistoryLimit":10,"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"web","image":"registry.example.com/web:1.2.0","imagePullPolicy":"IfNotPresent","resources":{"requests":{"cpu":"0.5","memory":"1073741824"}}}]}}},"status":{"replicas":5}}"""));
        s.Add(Obj("""{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-7d9f","namespace":"shop","ownerReferences":[{"kind":"Deployment","name":"web","controller":true}]}}"""));
        s.Add(Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"shop","uid":"2"},"data":{"LOG_LEVEL":"info"}}"""));
        s.Add(Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hotfix","namespace":"shop"},"data":{"X":"y"}}"""));
        s.Add(Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"argo-owned","namespace":"shop","annotations":{"argocd.argoproj.io/tracking-id":"shop:/ConfigMap:shop/argo-owned"}},"data":{}}"""));
        s.Add(Obj($$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"},"type":"Opaque","data":{"password":"{{{Convert.ToBase64String("hunter2-rotated"u8.ToArray())}}}"}}"""));
        s.Add(Obj("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"},"status":{"phase":"Active"}}"""));
    }

    [Fact]
    public async Task Missing_changed_in_sync_and_unmanaged_through_a_real_client()
    {
        await using var server = await Server();
        Seed(server);
        var dir = new TempDir();
        dir.Write("m/manifests.yaml", GitYaml);
        var git = Scan.Load(Path.Combine(dir.Path, "m")).Objects;
        var (results, host, cluster) = Run(server, git, dir, new DriftOptions { IncludeUnmanaged = true });
        using (cluster)
        {
            Assert.Empty(host.Errors);
            var byName = results.ToDictionary(r => $"{r.Kind}/{r.Name}");
            Assert.Equal("InSync", byName["ConfigMap/settings"].Status);
            Assert.Equal("InSync", byName["Namespace/shop"].Status); // status and server fields are not drift
            Assert.Equal("Missing", byName["ConfigMap/missing"].Status);
            var web = byName["Deployment/web"];
            Assert.Equal("Changed", web.Status);
            // Only the hand-made change: quantities (500m = 0.5, 1Gi = 1073741824) and defaulted fields are not drift.
            var diff = Assert.Single(web.Differences);
            Assert.Equal(("spec.replicas", "3", "5"), (diff.Field, diff.Git, diff.Live));
            var secret = byName["Secret/db"];
            Assert.Equal("Changed", secret.Status);
            Assert.Equal("data.password", Assert.Single(secret.Differences).Field);
            Assert.DoesNotContain(secret.Differences, d => (d.Git + d.Live).Contains("hunter2", StringComparison.Ordinal) || (d.Git + d.Live).Contains("correct-horse", StringComparison.Ordinal));
            Assert.StartsWith("hmac:", secret.Differences[0].Git);
            Assert.Equal("Unmanaged", byName["ConfigMap/hotfix"].Status);
            Assert.Null(byName["ConfigMap/hotfix"].ManagedBy);
            Assert.Equal("ArgoCD", byName["ConfigMap/argo-owned"].ManagedBy);
            Assert.False(byName.ContainsKey("ReplicaSet/web-7d9f")); // owned by a controller
            // Bounded requests: discovery (/api, /apis, 2 group versions) + one LIST per kind and namespace.
            Assert.Equal(4 + 4, cluster.Requests);
        }
    }

    [Fact]
    public async Task Large_collections_are_read_page_by_page()
    {
        await using var server = await Server();
        for (int i = 0; i < 1200; i++)
        {
            server.Add(Obj($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}","namespace":"big"},"data":{"i":"{{{i}}}"}}"""));
        }
        var dir = new TempDir();
        dir.Write("m/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-1199, namespace: big}\ndata: {i: \"1199\"}\n");
        var (results, host, cluster) = Run(server, Scan.Load(Path.Combine(dir.Path, "m")).Objects, dir, new DriftOptions { IncludeUnmanaged = true });
        using (cluster)
        {
            Assert.Empty(host.Errors);
            Assert.Equal("InSync", results.Single(r => r.Name == "cm-1199").Status);
            Assert.Equal(1199, results.Count(r => r.Status == "Unmanaged"));
            Assert.Equal(4 + 3, cluster.Requests); // 1,200 objects in pages of 500
        }
    }

    [Fact]
    public async Task Forbidden_timeouts_bad_tokens_and_untrusted_servers_are_errors_and_the_rest_goes_on()
    {
        await using var server = await Server();
        Seed(server);
        server.Forbidden.Add("/namespaces/shop/secrets");
        server.Slow.Add("/namespaces/slow/");
        var dir = new TempDir();
        dir.Write("m/manifests.yaml", GitYaml + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: slow}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\n");
        var git = Scan.Load(Path.Combine(dir.Path, "m")).Objects;
        var (results, host, cluster) = Run(server, git, dir, timeout: TimeSpan.FromSeconds(1));
        cluster.Dispose();
        Assert.Equal(new[] { "GitOpsSec.Cluster.Forbidden", "GitOpsSec.Cluster.KindNotServed", "GitOpsSec.Cluster.Timeout" }, host.Errors.Select(e => e.ErrorId).Order());
        Assert.Contains(results, r => r.Name == "settings" && r.Status == "InSync");
        Assert.DoesNotContain(results, r => r.Kind == "Secret");

        var (none, denied, c2) = Run(server, git, dir, kubeconfig: server.Kubeconfig(token: "expired"));
        c2.Dispose();
        Assert.Empty(none);
        Assert.Equal("GitOpsSec.Cluster.Unauthorized", Assert.Single(denied.Errors).ErrorId);

        string otherCa = (await FakeApiServer.StartAsync().ContinueWith(t => { var ca = t.Result.CaPem; t.Result.DisposeAsync().AsTask().Wait(); return ca; }));
        var (_, untrusted, c3) = Run(server, git, dir, kubeconfig: server.Kubeconfig(caPem: otherCa));
        c3.Dispose();
        Assert.Equal("GitOpsSec.Cluster.Unreachable", Assert.Single(untrusted.Errors).ErrorId);
    }

    [Fact]
    public async Task Fields_other_managers_own_are_not_drift_and_Flux_inventory_marks_its_objects()
    {
        await using var server = await Server();
        server.Serve("kustomize.toolkit.fluxcd.io/v1", "kustomizations", "Kustomization", true);
        // spec.replicas belongs to the HPA (kube-controller-manager), the image to the GitOps applier.
        server.Add(Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"shop","managedFields":[{"manager":"kustomize-controller","operation":"Apply","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"api\"}":{"f:image":{}}}}}}}},{"manager":"kube-controller-manager","operation":"Update","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},"spec":{"replicas":7,"template":{"spec":{"containers":[{"name":"api","image":"registry.example.com/api:2.0"}]}}}}"""));
        server.Add(Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flux-made","namespace":"shop"}}"""));
        server.Add(Obj("""{"apiVersion":"kustomize.toolkit.fluxcd.io/v1","kind":"Kustomization","metadata":{"name":"shop","namespace":"flux-system"},"spec":{},"status":{"inventory":{"entries":[{"id":"shop_flux-made__ConfigMap","v":"v1"}]}}}"""));
        var dir = new TempDir();
        dir.Write("m/api.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: api, image: registry.example.com/api:1.0}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: declared, namespace: shop}\n");
        var (results, host, cluster) = Run(server, Scan.Load(Path.Combine(dir.Path, "m")).Objects, dir, new DriftOptions { IncludeUnmanaged = true });
        cluster.Dispose();
        Assert.Empty(host.Errors);
        var api = results.Single(r => r.Name == "api");
        var diff = Assert.Single(api.Differences); // replicas (HPA-owned) is not drift; the image (applier-owned) is
        Assert.Equal("spec.template.spec.containers[api].image", diff.Field);
        Assert.Equal("Flux", results.Single(r => r.Name == "flux-made").ManagedBy);
    }

    [Fact]
    public async Task An_exec_credential_plugin_in_the_kubeconfig_is_honoured()
    {
        await using var server = await Server();
        Seed(server);
        var dir = new TempDir();
        string plugin = dir.Write("token-plugin.sh", "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" + FakeApiServer.Token + "\"}}'\n");
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string kubeconfig = server.Kubeconfig().Replace($"    token: {FakeApiServer.Token}",
            $"    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {plugin}\n      interactiveMode: Never", StringComparison.Ordinal);
        Assert.DoesNotContain(FakeApiServer.Token, kubeconfig, StringComparison.Ordinal);
        dir.Write("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {LOG_LEVEL: info}\n");
        var (results, host, cluster) = Run(server, Scan.Load(Path.Combine(dir.Path, "m")).Objects, dir, kubeconfig: kubeconfig);
        cluster.Dispose();
        Assert.Empty(host.Errors);
        Assert.Equal("InSync", Assert.Single(results).Status);
    }

    [Fact]
    public async Task A_client_certificate_in_the_kubeconfig_authenticates()
    {
        await using var server = await Server();
        Seed(server);
        var dir = new TempDir();
        string kubeconfig = server.KubeconfigWithClientCertificate();
        Assert.DoesNotContain(FakeApiServer.Token, kubeconfig, StringComparison.Ordinal);
        dir.Write("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {LOG_LEVEL: info}\n");
        var (results, host, cluster) = Run(server, Scan.Load(Path.Combine(dir.Path, "m")).Objects, dir, kubeconfig: kubeconfig);
        cluster.Dispose();
        Assert.Empty(host.Errors);
        Assert.Equal("InSync", Assert.Single(results).Status);
    }
}
