using GitOpsSec.Manifests;
using GitOpsSec.Rules.PodSecurity;

namespace GitOpsSec.Rules.Workloads;

internal static class Workload
{
    /// <summary>Long-running workloads (probes, replicas and disruption budgets apply to these, not to Jobs).</summary>
    public static bool IsLongRunning(ManifestObject o) => o.Kind is "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet";

    public static IEnumerable<ContainerRef> AppContainers(PodSpec pod) => pod.Containers.Where(c => c.ListName == "containers");

    /// <summary>Every env entry of every container: the container, the entry's index and node.</summary>
    public static IEnumerable<(ContainerRef Container, int Index, YMapping Entry)> Env(ManifestObject obj)
    {
        if (PodSpec.Of(obj) is not PodSpec pod)
        {
            yield break;
        }
        foreach (ContainerRef c in pod.Containers)
        {
            if (c.Node.Seq("env") is not YSequence env)
            {
                continue;
            }
            for (int i = 0; i < env.Items.Count; i++)
            {
                if (env.Items[i] is YMapping e)
                {
                    yield return (c, i, e);
                }
            }
        }
    }
}

/// <summary>GOS6101: a container without CPU and memory requests or without a memory limit.</summary>
internal sealed class ResourcesRule : IManifestRule
{
    public string Id => "GOS6101";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (PodSpec.Of(obj) is not PodSpec pod)
        {
            yield break;
        }
        foreach (ContainerRef c in pod.Containers.Where(c => c.ListName != "ephemeralContainers"))
        {
            YMapping? resources = c.Node.Map("resources");
            var missing = new List<string>();
            if (resources?.Map("requests")?.Text("cpu") is null) { missing.Add("requests.cpu"); }
            if (resources?.Map("requests")?.Text("memory") is null) { missing.Add("requests.memory"); }
            if (resources?.Map("limits")?.Text("memory") is null) { missing.Add("limits.memory"); }
            if (missing.Count > 0)
            {
                yield return new Violation(resources is null ? c.Path : c.Path.Key("resources"), c.Describe(), string.Join(", ", missing));
            }
        }
    }
}

/// <summary>GOS6102: a long-running workload's container without a readiness or a liveness probe.</summary>
internal sealed class ReadinessProbeRule : IManifestRule
{
    public string Id => "GOS6102";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (!Workload.IsLongRunning(obj) || PodSpec.Of(obj) is not PodSpec pod)
        {
            yield break;
        }
        foreach (ContainerRef c in Workload.AppContainers(pod))
        {
            var missing = new[] { "readinessProbe", "livenessProbe" }.Where(p => c.Node.Map(p) is null).ToList();
            if (missing.Count > 0)
            {
                yield return new Violation(c.Path, c.Describe(), "no " + string.Join(" and no ", missing));
            }
        }
    }
}

/// <summary>GOS6103: liveness probe identical to the readiness probe: a slow dependency restarts the pod instead of only taking it out of rotation.</summary>
internal sealed class IdenticalProbesRule : IManifestRule
{
    public string Id => "GOS6103";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (PodSpec.Of(obj) is not PodSpec pod)
        {
            yield break;
        }
        foreach (ContainerRef c in Workload.AppContainers(pod))
        {
            if (c.Node.Map("livenessProbe") is YMapping live && c.Node.Map("readinessProbe") is YMapping ready && Canonical(live) == Canonical(ready))
            {
                yield return new Violation(c.Path.Key("livenessProbe"), c.Describe(), "livenessProbe equals readinessProbe");
            }
        }
    }

    private static string Canonical(YNode node) => node switch
    {
        YScalar s => s.Value,
        YSequence seq => "[" + string.Join(",", seq.Items.Select(Canonical)) + "]",
        YMapping m => "{" + string.Join(",", m.Entries.OrderBy(e => e.Key.Value, StringComparer.Ordinal).Select(e => e.Key.Value + ":" + Canonical(e.Value))) + "}",
        _ => string.Empty,
    };
}

/// <summary>GOS6104: a container whose root filesystem is writable.</summary>
internal sealed class ReadOnlyRootFilesystemRule : IManifestRule
{
    public string Id => "GOS6104";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (PodSpec.Of(obj) is not PodSpec pod)
        {
            yield break;
        }
        foreach (ContainerRef c in pod.Containers.Where(c => c.ListName != "ephemeralContainers"))
        {
            if (!Field.IsTrue(c.SecurityContext?["readOnlyRootFilesystem"]))
            {
                yield return new Violation(c.SecurityContext is null ? c.Path : c.SecurityContextPath.Key("readOnlyRootFilesystem"), c.Describe(),
                    Field.Show(c.SecurityContext?["readOnlyRootFilesystem"]));
            }
        }
    }
}

/// <summary>GOS6105: a pod that runs as the namespace's default ServiceAccount with its token mounted.</summary>
internal sealed class DefaultServiceAccountTokenRule : IManifestRule
{
    public string Id => "GOS6105";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (PodSpec.Of(obj) is not PodSpec pod)
        {
            yield break;
        }
        string account = pod.Spec.Text("serviceAccountName") ?? pod.Spec.Text("serviceAccount") ?? "default";
        YNode? automount = pod.Spec["automountServiceAccountToken"];
        if (account == "default" && !(automount is YScalar s && s.AsBoolean() == false))
        {
            yield return new Violation(automount is null ? pod.SpecPath : pod.SpecPath.Key("automountServiceAccountToken"), "The pod",
                "the default ServiceAccount with its API token mounted");
        }
    }
}

/// <summary>GOS6106: spec.hostAliases rewrites name resolution inside the pod.</summary>
internal sealed class HostAliasesRule : IManifestRule
{
    public string Id => "GOS6106";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (PodSpec.Of(obj) is PodSpec pod && pod.Spec.Seq("hostAliases") is { Items.Count: > 0 } aliases)
        {
            yield return new Violation(pod.SpecPath.Key("hostAliases"), "The pod", $"{aliases.Items.Count} host alias(es)");
        }
    }
}

/// <summary>GOS6107: the same environment variable defined twice in a container: the last one silently wins.</summary>
internal sealed class DuplicateEnvRule : IManifestRule
{
    public string Id => "GOS6107";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        var seen = new HashSet<(ContainerRef, string)>();
        foreach (var (c, i, e) in Workload.Env(obj))
        {
            if (e.Text("name") is string name && !seen.Add((c, name)))
            {
                yield return new Violation(c.Path.Key("env").Item(i, null), c.Describe(), name); // by index: both items have this name
            }
        }
    }
}

/// <summary>GOS6108: a credential-named environment variable with a literal value (use secretKeyRef).</summary>
internal sealed class SecretInEnvRule : IManifestRule
{
    private static readonly string[] Words = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL" };

    public string Id => "GOS6108";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        foreach (var (c, i, e) in Workload.Env(obj))
        {
            if (e.Text("name") is string name && e.Text("value") is string value &&
                (Words.Any(w => name.ToUpperInvariant().Contains(w, StringComparison.Ordinal)) &&
                 !name.ToUpperInvariant().EndsWith("_FILE", StringComparison.Ordinal) && !GitOpsSec.Secrets.SecretText.IsPlaceholder(value) ||
                 HoldsCredential(value)))
            {
                // The value itself is never repeated: only its name.
                yield return new Violation(c.Path.Key("env").Item(i, e).Key("value"), c.Describe(), name);
            }
        }
    }

    /// <summary>Whatever the variable's name: a private key or a provider credential the secret detectors recognise (not the generic one).</summary>
    private static bool HoldsCredential(string value)
    {
        if (value.Length < 16)
        {
            return false;
        }
        try
        {
            return GitOpsSec.Secrets.SecretScanner.Default.Scan(value, "env-value.txt").Any(h => h.Confidence >= GitOpsSec.Secrets.SecretConfidence.Medium);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return true; // undecidable in bounded time: fail closed
        }
    }
}

/// <summary>GOS6109: a Service of type NodePort or LoadBalancer exposes pods outside the cluster.</summary>
internal sealed class ExposedServiceRule : IManifestRule
{
    public string Id => "GOS6109";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (obj.Kind == "Service" && obj.ApiVersion == "v1" && obj.Node.Map("spec")?.Text("type") is "NodePort" or "LoadBalancer")
        {
            yield return new Violation(FieldPath.Root.Keys("spec", "type"), $"Service '{obj.Name}'", obj.Node.Map("spec")!.Text("type")!);
        }
    }
}

/// <summary>GOS6110: an Ingress without TLS serves its hosts over plain HTTP.</summary>
internal sealed class IngressTlsRule : IManifestRule
{
    public string Id => "GOS6110";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (obj.Kind == "Ingress" && obj.Node.Map("spec") is YMapping spec && spec.Seq("tls") is not { Items.Count: > 0 })
        {
            yield return new Violation(FieldPath.Root.Key("spec"), $"Ingress '{obj.Name}'", "no spec.tls");
        }
    }
}

/// <summary>GOS6111: a Deployment or StatefulSet with one replica and no PodDisruptionBudget: every node drain is an outage.</summary>
internal sealed class SingleReplicaWithoutPdbRule : IRepositoryRule
{
    public string Id => "GOS6111";

    public IEnumerable<(ManifestObject Object, Violation Violation)> Evaluate(RepositoryContext repository)
    {
        var budgets = repository.Objects
            .Where(o => o.Kind == "PodDisruptionBudget" && o.Node.Map("spec")?.Map("selector") is not null)
            .ToLookup(o => o.Namespace ?? "default", o => GitOpsSec.Rbac.LabelSelector.FromNode(o.Node.Map("spec")!.Map("selector")!), StringComparer.Ordinal);
        foreach (ManifestObject obj in repository.Objects.Where(o => o.Kind is "Deployment" or "StatefulSet"))
        {
            YScalar? replicas = obj.Node.Map("spec")?.Scalar("replicas");
            if (replicas?.AsInteger() is long n && n != 1)
            {
                continue;
            }
            var labels = obj.Node.Map("spec")?.Map("template")?.Map("metadata")?.Map("labels").StringValues();
            string ns = obj.Namespace ?? "default";
            if (labels is not null && budgets[ns].Any(selector => selector.Matches(labels)))
            {
                continue;
            }
            yield return (obj, new Violation(replicas is null ? FieldPath.Root.Key("spec") : FieldPath.Root.Keys("spec", "replicas"),
                $"{obj.Kind} '{obj.Name}'", replicas is null ? "1 (default)" : "1"));
        }
    }
}

/// <summary>GOS6112: an API version the Kubernetes API server no longer serves (with the release that removed it).</summary>
internal sealed class DeprecatedApiRule : IManifestRule
{
    private static readonly Dictionary<(string ApiVersion, string Kind), (string Removed, string Replacement)> Removed = new()
    {
        [("extensions/v1beta1", "Deployment")] = ("1.16", "apps/v1"),
        [("extensions/v1beta1", "DaemonSet")] = ("1.16", "apps/v1"),
        [("extensions/v1beta1", "ReplicaSet")] = ("1.16", "apps/v1"),
        [("extensions/v1beta1", "NetworkPolicy")] = ("1.16", "networking.k8s.io/v1"),
        [("extensions/v1beta1", "PodSecurityPolicy")] = ("1.16", "policy/v1beta1 (itself removed in 1.25)"),
        [("extensions/v1beta1", "Ingress")] = ("1.22", "networking.k8s.io/v1"),
        [("apps/v1beta1", "Deployment")] = ("1.16", "apps/v1"),
        [("apps/v1beta1", "StatefulSet")] = ("1.16", "apps/v1"),
        [("apps/v1beta2", "Deployment")] = ("1.16", "apps/v1"),
        [("apps/v1beta2", "StatefulSet")] = ("1.16", "apps/v1"),
        [("apps/v1beta2", "DaemonSet")] = ("1.16", "apps/v1"),
        [("apps/v1beta2", "ReplicaSet")] = ("1.16", "apps/v1"),
        [("networking.k8s.io/v1beta1", "Ingress")] = ("1.22", "networking.k8s.io/v1"),
        [("networking.k8s.io/v1beta1", "IngressClass")] = ("1.22", "networking.k8s.io/v1"),
        [("rbac.authorization.k8s.io/v1beta1", "ClusterRole")] = ("1.22", "rbac.authorization.k8s.io/v1"),
        [("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding")] = ("1.22", "rbac.authorization.k8s.io/v1"),
        [("rbac.authorization.k8s.io/v1beta1", "Role")] = ("1.22", "rbac.authorization.k8s.io/v1"),
        [("rbac.authorization.k8s.io/v1beta1", "RoleBinding")] = ("1.22", "rbac.authorization.k8s.io/v1"),
        [("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration")] = ("1.22", "admissionregistration.k8s.io/v1"),
        [("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration")] = ("1.22", "admissionregistration.k8s.io/v1"),
        [("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition")] = ("1.22", "apiextensions.k8s.io/v1"),
        [("certificates.k8s.io/v1beta1", "CertificateSigningRequest")] = ("1.22", "certificates.k8s.io/v1"),
        [("scheduling.k8s.io/v1beta1", "PriorityClass")] = ("1.22", "scheduling.k8s.io/v1"),
        [("storage.k8s.io/v1beta1", "StorageClass")] = ("1.22", "storage.k8s.io/v1"),
        [("batch/v1beta1", "CronJob")] = ("1.25", "batch/v1"),
        [("policy/v1beta1", "PodDisruptionBudget")] = ("1.25", "policy/v1"),
        [("policy/v1beta1", "PodSecurityPolicy")] = ("1.25", "Pod Security Admission"),
        [("discovery.k8s.io/v1beta1", "EndpointSlice")] = ("1.25", "discovery.k8s.io/v1"),
        [("node.k8s.io/v1beta1", "RuntimeClass")] = ("1.25", "node.k8s.io/v1"),
        [("autoscaling/v2beta1", "HorizontalPodAutoscaler")] = ("1.25", "autoscaling/v2"),
        [("autoscaling/v2beta2", "HorizontalPodAutoscaler")] = ("1.26", "autoscaling/v2"),
        [("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")] = ("1.26", "flowcontrol.apiserver.k8s.io/v1"),
        [("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema")] = ("1.29", "flowcontrol.apiserver.k8s.io/v1"),
        [("storage.k8s.io/v1beta1", "CSIStorageCapacity")] = ("1.27", "storage.k8s.io/v1"),
    };

    public string Id => "GOS6112";

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        if (Removed.TryGetValue((obj.ApiVersion, obj.Kind), out var removal))
        {
            yield return new Violation(FieldPath.Root.Key("apiVersion"), $"{obj.Kind} '{obj.Name}'",
                $"{obj.ApiVersion}, removed in Kubernetes {removal.Removed} (use {removal.Replacement})");
        }
    }
}
