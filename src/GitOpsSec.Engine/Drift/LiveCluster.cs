using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitOpsSec.Diagnostics;
using k8s;

namespace GitOpsSec.Drift;

/// <summary>A resource type the API server serves (from discovery).</summary>
public sealed record ServedResource(string ApiVersion, string Kind, string Plural, bool Namespaced)
{
    /// <summary>The collection path, e.g. /apis/apps/v1/namespaces/ns/deployments or /api/v1/namespaces.</summary>
    public string Path(string? ns)
    {
        string root = ApiVersion.Contains('/') ? "/apis/" + ApiVersion : "/api/" + ApiVersion;
        return Namespaced && ns is not null ? $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}" : $"{root}/{Plural}";
    }
}

/// <summary>A failure talking to the cluster, with a stable error id (Unreachable, Unauthorized, Forbidden, Timeout, ...).</summary>
public sealed class ClusterException : Exception
{
    public ClusterException(string errorId, ScanErrorCategory category, string message, Exception? inner = null) : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
    }

    public string ErrorId { get; }
    public ScanErrorCategory Category { get; }
}

/// <summary>
/// A live cluster reached through KubernetesClient with the user's kubeconfig and context: its TLS
/// settings (CA, client certificates), credentials (token, exec plugins, client certs) and timeout.
/// Read-only: discovery and paged LIST requests, one per resource type and namespace.
/// </summary>
public sealed class LiveCluster : IDisposable
{
    public const int PageSize = 500;
    private readonly Kubernetes _client;
    private Dictionary<(string ApiVersion, string Kind), ServedResource>? _served;

    private readonly TimeSpan _timeout;

    private LiveCluster(Kubernetes client, string context, TimeSpan timeout)
    {
        _client = client;
        Context = context;
        _timeout = timeout;
    }

    public string Context { get; }

    public int Requests { get; private set; }

    public static LiveCluster Connect(string? kubeconfig, string? context, TimeSpan timeout)
    {
        KubernetesClientConfiguration config;
        try
        {
            config = kubeconfig is null
                ? KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: context)
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, context);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw new GitOpsSecOperationException("GitOpsSec.Cluster.InvalidKubeconfig", ScanErrorCategory.InvalidArgument,
                $"The kubeconfig{(kubeconfig is null ? string.Empty : " " + kubeconfig)} could not be used{(context is null ? string.Empty : $" with context '{context}'")}: {e.Message}", kubeconfig, e);
        }
        config.HttpClientTimeout = timeout;
        return new LiveCluster(new Kubernetes(config), config.CurrentContext ?? context ?? "(current)", timeout);
    }

    /// <summary>GET a path; JSON body or a ClusterException with a stable id.</summary>
    public async Task<JsonNode> GetAsync(string pathAndQuery, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_client.BaseUri, pathAndQuery.TrimStart('/')));
        request.Headers.Accept.ParseAdd("application/json");
        HttpResponseMessage response;
        // The request timeout is ours: raw requests do not go through the client's generated operations.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(_timeout);
        try
        {
            if (_client.Credentials is not null)
            {
                await _client.Credentials.ProcessHttpRequestAsync(request, timeout.Token).ConfigureAwait(false);
            }
            Requests++;
            response = await _client.HttpClient.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new ClusterException("GitOpsSec.Cluster.Timeout", ScanErrorCategory.ReadError, $"The API server did not answer {pathAndQuery} in time.", e);
        }
        catch (HttpRequestException e)
        {
            throw new ClusterException("GitOpsSec.Cluster.Unreachable", ScanErrorCategory.ReadError, $"The API server could not be reached: {e.Message}", e);
        }
        using (response)
        {
            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
            {
                throw new ClusterException("GitOpsSec.Cluster.Timeout", ScanErrorCategory.ReadError, $"The API server did not finish answering {pathAndQuery} in time.", e);
            }
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    return JsonNode.Parse(body) ?? throw new ClusterException("GitOpsSec.Cluster.InvalidResponse", ScanErrorCategory.InvalidData, $"{pathAndQuery} returned no JSON.");
                case HttpStatusCode.Unauthorized:
                    throw new ClusterException("GitOpsSec.Cluster.Unauthorized", ScanErrorCategory.PermissionDenied, "The API server rejected the credentials (expired or invalid token or certificate).");
                case HttpStatusCode.Forbidden:
                    throw new ClusterException("GitOpsSec.Cluster.Forbidden", ScanErrorCategory.PermissionDenied, $"Access to {pathAndQuery} is forbidden for these credentials.");
                case HttpStatusCode.NotFound:
                    throw new ClusterException("GitOpsSec.Cluster.NotFound", ScanErrorCategory.ObjectNotFound, $"{pathAndQuery} does not exist on this API server.");
                default:
                    throw new ClusterException("GitOpsSec.Cluster.RequestFailed", ScanErrorCategory.ReadError, $"{pathAndQuery} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
        }
    }

    /// <summary>Every resource type the server serves (core and every API group, CRDs included), from discovery.</summary>
    public async Task<IReadOnlyDictionary<(string ApiVersion, string Kind), ServedResource>> DiscoverAsync(CancellationToken cancellation)
    {
        if (_served is not null)
        {
            return _served;
        }
        var served = new Dictionary<(string, string), ServedResource>();
        var groupVersions = new List<string>();
        foreach (JsonNode? v in (await GetAsync("/api", cancellation).ConfigureAwait(false))["versions"]?.AsArray() ?? new JsonArray())
        {
            groupVersions.Add(v!.GetValue<string>());
        }
        foreach (JsonNode? g in (await GetAsync("/apis", cancellation).ConfigureAwait(false))["groups"]?.AsArray() ?? new JsonArray())
        {
            foreach (JsonNode? v in g?["versions"]?.AsArray() ?? new JsonArray())
            {
                groupVersions.Add(v!["groupVersion"]!.GetValue<string>());
            }
        }
        foreach (string gv in groupVersions)
        {
            JsonNode list = await GetAsync(gv.Contains('/') ? "/apis/" + gv : "/api/" + gv, cancellation).ConfigureAwait(false);
            foreach (JsonNode? r in list["resources"]?.AsArray() ?? new JsonArray())
            {
                string name = r!["name"]!.GetValue<string>();
                if (name.Contains('/'))
                {
                    continue; // subresources
                }
                var key = (gv, r["kind"]!.GetValue<string>());
                served.TryAdd(key, new ServedResource(gv, key.Item2, name, r["namespaced"]?.GetValue<bool>() ?? false));
            }
        }
        return _served = served;
    }

    /// <summary>Every object of a type (in one namespace, or everywhere), following continue tokens page by page.</summary>
    public async Task<List<JsonObject>> ListAsync(ServedResource resource, string? ns, CancellationToken cancellation)
    {
        var items = new List<JsonObject>();
        string? token = null;
        do
        {
            string path = resource.Path(ns) + $"?limit={PageSize}" + (token is null ? string.Empty : "&continue=" + Uri.EscapeDataString(token));
            JsonNode page = await GetAsync(path, cancellation).ConfigureAwait(false);
            items.AddRange(page["items"]?.AsArray().OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>());
            token = page["metadata"]?["continue"]?.GetValue<string>();
        }
        while (!string.IsNullOrEmpty(token));
        return items;
    }

    public void Dispose() => _client.Dispose();
}
