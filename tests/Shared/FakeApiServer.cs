using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace GitOpsSec.Tests.Shared;

/// <summary>
/// A Kubernetes API server stand-in on 127.0.0.1: TLS with a certificate from its own CA, bearer-token
/// authentication, discovery documents and paged LIST responses shaped like the real API server's
/// (kind/apiVersion/metadata.continue/items). Forbidden and slow resources can be declared.
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";
    private readonly WebApplication _app;
    private readonly Dictionary<string, List<JsonObject>> _collections = new(StringComparer.Ordinal);
    private readonly List<(string GroupVersion, string Plural, string Kind, bool Namespaced)> _resources = new();

    public HashSet<string> Forbidden { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Slow { get; } = new(StringComparer.Ordinal);
    public int Requests;
    public string CaPem { get; }
    public int Port { get; private set; }

    private FakeApiServer(WebApplication app, string caPem, int port)
    {
        _app = app;
        CaPem = caPem;
        Port = port;
    }

    /// <summary>A client certificate (PEM) and key (PEM) issued by the server's CA, accepted instead of the token.</summary>
    public (string CertificatePem, string KeyPem) ClientCertificate { get; private set; }


    public static async Task<FakeApiServer> StartAsync()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=fake-kubernetes-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using X509Certificate2 signed = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), new byte[] { 1, 2, 3, 4 });
        var serverCert = X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(serverKey).Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serverCert,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true, // checked against the CA in the handler
        })));
        using var clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest("CN=drift-tester,O=system:masters", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        using X509Certificate2 client = clientRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), new byte[] { 5, 6, 7, 8 });
        WebApplication app = builder.Build();
        var server = new FakeApiServer(app, ca.ExportCertificatePem(), 0)
        {
            ClientCertificate = (client.ExportCertificatePem(), clientKey.ExportRSAPrivateKeyPem()),
            _caThumbprint = ca.Thumbprint,
            _caPublicKey = ca.GetRSAPublicKey()!.ExportSubjectPublicKeyInfo(),
        };
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Port = new Uri(app.Urls.First()).Port;
        return server;
    }

    public void Serve(string groupVersion, string plural, string kind, bool namespaced) => _resources.Add((groupVersion, plural, kind, namespaced));

    public void Add(JsonObject obj)
    {
        string apiVersion = obj["apiVersion"]!.GetValue<string>();
        string kind = obj["kind"]!.GetValue<string>();
        var resource = _resources.Single(r => r.GroupVersion == apiVersion && r.Kind == kind);
        string? ns = obj["metadata"]?["namespace"]?.GetValue<string>();
        string key = Collection(apiVersion, resource.Plural, resource.Namespaced ? ns ?? "default" : null);
        if (!_collections.TryGetValue(key, out var list))
        {
            _collections[key] = list = new List<JsonObject>();
        }
        list.Add(obj);
    }

    public int RequestCount => Requests;

    private static string Collection(string gv, string plural, string? ns) =>
        (gv.Contains('/') ? "/apis/" + gv : "/api/" + gv) + (ns is null ? string.Empty : "/namespaces/" + ns) + "/" + plural;

    /// <summary>A kubeconfig that authenticates with the client certificate instead of a token.</summary>
    public string KubeconfigWithClientCertificate() => Kubeconfig().Replace($"    token: {Token}",
        $"    client-certificate-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(ClientCertificate.CertificatePem))}\n" +
        $"    client-key-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(ClientCertificate.KeyPem))}", StringComparison.Ordinal);

    public string Kubeconfig(string token = Token, string? caPem = null) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: https://127.0.0.1:{Port}
            certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(caPem ?? CaPem))}
        users:
        - name: tester
          user:
            token: {token}
        contexts:
        - name: fake-context
          context: {"{"}cluster: fake, user: tester{"}"}
        current-context: fake-context
        """;

    private string? _caThumbprint;
    private byte[]? _caPublicKey;

    /// <summary>A client certificate signed by this server's CA.</summary>
    private bool TrustedClient(X509Certificate2? certificate)
    {
        if (certificate is null || _caPublicKey is null)
        {
            return false;
        }
        using var caKey = RSA.Create();
        caKey.ImportSubjectPublicKeyInfo(_caPublicKey, out _);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var ca = X509CertificateLoader.LoadCertificate(System.Text.Encoding.ASCII.GetBytes(CaPem));
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.Thumbprint == _caThumbprint;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref Requests);
        if (ctx.Request.Headers.Authorization.ToString() != "Bearer " + Token && !TrustedClient(ctx.Connection.ClientCertificate))
        {
            await Status(ctx, 401, "Unauthorized");
            return;
        }
        string path = ctx.Request.Path.Value ?? "/";
        if (path == "/api")
        {
            await Json(ctx, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") });
            return;
        }
        if (path == "/apis")
        {
            var groups = new JsonArray();
            foreach (var g in _resources.Select(r => r.GroupVersion).Where(gv => gv.Contains('/')).Distinct())
            {
                groups.Add(new JsonObject
                {
                    ["name"] = g.Split('/')[0],
                    ["versions"] = new JsonArray(new JsonObject { ["groupVersion"] = g, ["version"] = g.Split('/')[1] }),
                    ["preferredVersion"] = new JsonObject { ["groupVersion"] = g, ["version"] = g.Split('/')[1] },
                });
            }
            await Json(ctx, new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups });
            return;
        }
        foreach (string gv in _resources.Select(r => r.GroupVersion).Distinct())
        {
            if (path == (gv.Contains('/') ? "/apis/" + gv : "/api/" + gv))
            {
                var list = new JsonArray();
                foreach (var r in _resources.Where(r => r.GroupVersion == gv))
                {
                    list.Add(new JsonObject { ["name"] = r.Plural, ["singularName"] = "", ["namespaced"] = r.Namespaced, ["kind"] = r.Kind, ["verbs"] = new JsonArray("get", "list", "watch") });
                    list.Add(new JsonObject { ["name"] = r.Plural + "/status", ["singularName"] = "", ["namespaced"] = r.Namespaced, ["kind"] = r.Kind, ["verbs"] = new JsonArray("get") });
                }
                await Json(ctx, new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = gv, ["resources"] = list });
                return;
            }
        }
        if (Forbidden.Any(f => path.EndsWith(f, StringComparison.Ordinal)))
        {
            await Status(ctx, 403, "Forbidden");
            return;
        }
        if (Slow.Any(s => path.Contains(s, StringComparison.Ordinal)))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        var resource = _resources.FirstOrDefault(r => path.EndsWith("/" + r.Plural, StringComparison.Ordinal));
        if (resource.Plural is null)
        {
            await Status(ctx, 404, "NotFound");
            return;
        }
        string root = resource.GroupVersion.Contains('/') ? "/apis/" + resource.GroupVersion : "/api/" + resource.GroupVersion;
        // A namespaced resource listed without a namespace: every namespace's objects, as the API server does.
        var items = _collections.TryGetValue(path, out var found) ? found
            : resource.Namespaced && path == root + "/" + resource.Plural
                ? _collections.Where(c => c.Key.StartsWith(root + "/namespaces/", StringComparison.Ordinal) && c.Key.EndsWith("/" + resource.Plural, StringComparison.Ordinal)).SelectMany(c => c.Value).ToList()
                : new List<JsonObject>();
        int limit = int.TryParse(ctx.Request.Query["limit"], out int l) && l > 0 ? l : int.MaxValue;
        int offset = int.TryParse(ctx.Request.Query["continue"], out int c) ? c : 0;
        var page = items.Skip(offset).Take(limit).Select(i => (JsonNode)i.DeepClone()).ToArray();
        string? next = offset + page.Length < items.Count ? (offset + page.Length).ToString() : null;
        var metadata = new JsonObject { ["resourceVersion"] = "12345" };
        if (next is not null)
        {
            metadata["continue"] = next;
        }
        await Json(ctx, new JsonObject { ["kind"] = resource.Kind + "List", ["apiVersion"] = resource.GroupVersion, ["metadata"] = metadata, ["items"] = new JsonArray(page) });
    }

    private static Task Json(HttpContext ctx, JsonNode body)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static Task Status(HttpContext ctx, int code, string reason)
    {
        ctx.Response.StatusCode = code;
        return Json(ctx, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = reason, ["code"] = code });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
