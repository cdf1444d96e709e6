namespace GitOpsSec.Applications;

/// <summary>
/// Whether a kind is cluster-scoped: the built-in kinds from the API server's discovery (kubectl api-resources
/// --namespaced=false), the cluster-scoped kinds of common controllers, and every CustomResourceDefinition of the
/// scan whose spec.scope is Cluster. Anything else is treated as namespaced, as most custom resources are.
/// </summary>
public sealed class KubernetesScope
{
    private static readonly HashSet<string> BuiltIn = new(StringComparer.Ordinal)
    {
        // core and built-in API groups
        "Namespace", "Node", "PersistentVolume", "ComponentStatus", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
        "CustomResourceDefinition", "APIService", "TokenReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview",
        "SelfSubjectReview", "CertificateSigningRequest", "ClusterTrustBundle", "FlowSchema", "PriorityLevelConfiguration", "IngressClass",
        "IPAddress", "ServiceCIDR", "RuntimeClass", "PodSecurityPolicy", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "CSIDriver",
        "CSINode", "StorageClass", "VolumeAttachment", "VolumeAttributesClass", "DeviceClass", "ResourceSlice", "StorageVersion",
        "StorageVersionMigration", "VolumeSnapshotClass", "VolumeSnapshotContent", "GatewayClass",
        // controllers whose cluster-scoped kinds do not start with Cluster
        "ImagePolicy", "Provider",
    };

    private readonly Dictionary<string, bool> _crds = new(StringComparer.Ordinal);

    /// <summary>Learns the scope of a CustomResourceDefinition's kind.</summary>
    public void Learn(Manifests.ManifestObject crd)
    {
        if (crd.Kind != "CustomResourceDefinition" || crd.Node.Map("spec") is not Manifests.YMapping spec)
        {
            return;
        }
        if (spec.Map("names")?.Text("kind") is string kind && spec.Text("scope") is string scope)
        {
            _crds[kind] = scope == "Cluster";
        }
    }

    public bool IsClusterScoped(string apiVersion, string kind)
    {
        if (_crds.TryGetValue(kind, out bool cluster))
        {
            return cluster;
        }
        if (BuiltIn.Contains(kind))
        {
            // ImagePolicy and Provider are cluster-scoped only in their own groups (policy.sigstore.dev, pkg.crossplane.io).
            return kind switch
            {
                "ImagePolicy" => apiVersion.StartsWith("config.openshift.io/", StringComparison.Ordinal),
                "Provider" => apiVersion.StartsWith("pkg.crossplane.io/", StringComparison.Ordinal),
                _ => true,
            };
        }
        // ClusterIssuer, ClusterPolicy, ClusterSecretStore, ClusterImagePolicy, ClusterExternalSecret, ...:
        // the convention of the ecosystem; ClusterServiceVersion (OLM) is the known exception.
        return kind.StartsWith("Cluster", StringComparison.Ordinal) && kind != "ClusterServiceVersion" && kind.Length > "Cluster".Length &&
               char.IsUpper(kind["Cluster".Length]);
    }
}
