using GitOpsSec.Manifests;
using GitOpsSec.Rbac;

namespace GitOpsSec.Rules.Rbac;

/// <summary>
/// GOS3001: a ClusterRoleBinding whose ClusterRole only grants namespaced resources: a RoleBinding in
/// the namespaces that need it would do (least privilege). Reported only when every resource of the
/// role is known to be namespaced (a CRD of unknown scope is not guessed at).
/// </summary>
internal sealed class ClusterBindingForNamespacedRoleRule : IRepositoryRule
{
    private static readonly HashSet<string> Namespaced = new(StringComparer.Ordinal)
    {
        "pods", "services", "endpoints", "configmaps", "secrets", "serviceaccounts", "persistentvolumeclaims", "events",
        "limitranges", "resourcequotas", "replicationcontrollers", "podtemplates", "bindings",
        "deployments", "daemonsets", "statefulsets", "replicasets", "controllerrevisions", "jobs", "cronjobs",
        "horizontalpodautoscalers", "poddisruptionbudgets", "ingresses", "networkpolicies", "roles", "rolebindings",
        "leases", "endpointslices", "localsubjectaccessreviews",
        "applications", "rollouts", "kustomizations", "helmreleases", "gitrepositories", "ocirepositories",
        "helmrepositories", "helmcharts", "buckets", "sealedsecrets", "externalsecrets", "secretstores",
    };

    public string Id => "GOS3001";
    public RepositoryModels Reads => RepositoryModels.Rbac;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository)
    {
        RbacModel model = repository.Rbac;
        foreach (RbacBinding binding in model.Bindings.Where(b => b.IsClusterWide && b.Source is not null))
        {
            if (model.RoleOf(binding) is not RbacRole role || role.Rules.Count == 0)
            {
                continue;
            }
            bool onlyNamespaced = role.Rules.All(r => r.NonResourceUrls.Count == 0 &&
                                                      r.Resources.All(res => Namespaced.Contains(res.Split('/')[0])));
            if (onlyNamespaced)
            {
                var resources = role.Rules.SelectMany(r => r.Resources).Distinct().Take(6);
                yield return (binding.Source!, new Violation(FieldPath.Root.Key("roleRef"), $"ClusterRoleBinding {binding.Name}",
                    $"{role} ({string.Join(", ", resources)})"));
            }
        }
    }
}
