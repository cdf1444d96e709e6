namespace GitOpsSec.Rbac;

/// <summary>A dangerous power a rule can grant: the requests that exercise it.</summary>
public sealed record RbacCapability(string Name, Severity Severity, string Description, IReadOnlyList<AccessRequest> Requests)
{
    /// <summary>
    /// More powers the same subject must hold in the same scope (from any of its bindings) for the capability to be
    /// real: each group is one power, any of whose requests will do (CSR approval also needs approve on signers).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<AccessRequest>> Requires { get; init; } = Array.Empty<IReadOnlyList<AccessRequest>>();

    /// <summary>The resources are cluster-scoped: a RoleBinding (namespace scope) cannot grant it.</summary>
    public bool ClusterOnly { get; init; }

    /// <summary>Only in these namespaces (or cluster-wide): ModifyAwsAuth is about kube-system.</summary>
    public IReadOnlyList<string>? Namespaces { get; init; }

    /// <summary>The one object the power is about (aws-auth): a rule limited to other names does not grant it.</summary>
    public string? ResourceName { get; init; }

    /// <summary>
    /// How bad it is depends on the ServiceAccounts of the namespace it reaches: full severity cluster-wide and in a
    /// privileged namespace, Medium in a namespace whose ServiceAccounts hold nothing dangerous.
    /// </summary>
    public bool NamespaceDependent { get; init; }

    /// <summary>Holding it lets the subject act as the namespace's ServiceAccounts (their powers are inherited, with the path).</summary>
    public bool ReachesServiceAccounts { get; init; }

    /// <summary>Whether the rule grants any of the requests; the names it is limited to, if any.</summary>
    public bool GrantedBy(PolicyRule rule, out IReadOnlyList<string> limitedToNames) => Grants(Requests, rule, ResourceName, out limitedToNames);

    /// <summary>Whether <paramref name="rule"/> allows any of <paramref name="requests"/>, and the names it is limited to.</summary>
    internal static bool Grants(IReadOnlyList<AccessRequest> requests, PolicyRule rule, string? resourceName, out IReadOnlyList<string> limitedToNames)
    {
        limitedToNames = Array.Empty<string>();
        foreach (AccessRequest request in requests)
        {
            // Ask without a name: a rule with resourceNames still grants the power over those names.
            var probe = request with { Name = resourceName ?? (rule.ResourceNames.Count > 0 ? rule.ResourceNames[0] : null) };
            if (RbacMatching.RuleAllows(rule, probe))
            {
                limitedToNames = rule.ResourceNames;
                return true;
            }
        }
        return false;
    }
}

/// <summary>The catalog of dangerous RBAC capabilities (what rbac-police and KubiScan look for).</summary>
public static class RbacCapabilities
{
    private static AccessRequest R(string verb, string group, string resource, string sub = "") => new(verb, group, resource, sub);

    private static IReadOnlyList<AccessRequest> Each(string[] verbs, string group, params string[] resources) =>
        verbs.SelectMany(v => resources.Select(r =>
        {
            string[] parts = r.Split('/');
            return R(v, group, parts[0], parts.Length > 1 ? parts[1] : string.Empty);
        })).ToArray();

    private static readonly string[] Write = { "create", "update", "patch" };
    private static readonly string[] Modify = { "update", "patch" };

    public static readonly RbacCapability ClusterAdmin = new("ClusterAdmin", Severity.Critical,
        "Every verb on every resource of every API group (cluster-admin equivalent).",
        new[] { R("*", "*", "*") });

    public static IReadOnlyList<RbacCapability> All { get; } = new[]
    {
        ClusterAdmin,
        new RbacCapability("ReadSecrets", Severity.High, "Read Secrets (get, list or watch): every credential in scope.",
            Each(new[] { "get", "list", "watch" }, "", "secrets")),
        new RbacCapability("CreateWorkloads", Severity.High,
            "Create pods or pod controllers: run any image as any ServiceAccount of the namespace, mounting its token and Secrets.",
            Each(new[] { "create" }, "", "pods").Concat(Each(Write, "", "replicationcontrollers"))
                .Concat(Each(Write, "apps", "deployments", "daemonsets", "statefulsets", "replicasets"))
                .Concat(Each(Write, "batch", "jobs", "cronjobs")).ToArray()) { ReachesServiceAccounts = true },
        new RbacCapability("ExecIntoPods", Severity.High, "Run commands in running containers (pods/exec): code execution as their ServiceAccounts.",
            Each(new[] { "create", "get" }, "", "pods/exec")) { NamespaceDependent = true, ReachesServiceAccounts = true },
        new RbacCapability("AttachToPods", Severity.High, "Attach to running containers (pods/attach).",
            Each(new[] { "create", "get" }, "", "pods/attach")) { NamespaceDependent = true },
        new RbacCapability("PortForward", Severity.Medium, "Open tunnels into pods (pods/portforward), past network policy.",
            Each(new[] { "create", "get" }, "", "pods/portforward")),
        new RbacCapability("NodeProxy", Severity.Critical, "Reach the kubelet API through nodes/proxy: exec in any pod of the node, unaudited.",
            Each(new[] { "get", "create" }, "", "nodes/proxy")),
        new RbacCapability("EscalateRoles", Severity.Critical, "Write Roles with permissions it does not hold (escalate).",
            Each(new[] { "escalate" }, "rbac.authorization.k8s.io", "roles", "clusterroles")),
        new RbacCapability("BindRoles", Severity.Critical, "Bind any Role or ClusterRole, including cluster-admin (bind).",
            Each(new[] { "bind" }, "rbac.authorization.k8s.io", "roles", "clusterroles")),
        new RbacCapability("Impersonate", Severity.Critical, "Act as other users, groups or ServiceAccounts (impersonate).",
            Each(new[] { "impersonate" }, "", "users", "groups", "serviceaccounts")
                .Concat(Each(new[] { "impersonate" }, "authentication.k8s.io", "userextras", "uids")).ToArray()),
        new RbacCapability("CreateServiceAccountTokens", Severity.High, "Mint tokens for ServiceAccounts (serviceaccounts/token).",
            Each(new[] { "create" }, "", "serviceaccounts/token")) { NamespaceDependent = true, ReachesServiceAccounts = true },
        new RbacCapability("ModifyRoleBindings", Severity.High, "Create or change RoleBindings and ClusterRoleBindings.",
            Each(Write, "rbac.authorization.k8s.io", "rolebindings", "clusterrolebindings")),
        new RbacCapability("ApproveCertificates", Severity.High,
            "Approve CertificateSigningRequests: update or patch certificatesigningrequests/approval and approve on the signer (client certificates for any identity the signer issues).",
            Each(Modify, "certificates.k8s.io", "certificatesigningrequests/approval"))
        {
            ClusterOnly = true,
            Requires = new[] { Each(new[] { "approve" }, "certificates.k8s.io", "signers") },
        },
        new RbacCapability("SignCertificates", Severity.High,
            "Sign CertificateSigningRequests: update or patch certificatesigningrequests/status and sign on the signer.",
            Each(Modify, "certificates.k8s.io", "certificatesigningrequests/status"))
        {
            ClusterOnly = true,
            Requires = new[] { Each(new[] { "sign" }, "certificates.k8s.io", "signers") },
        },
        new RbacCapability("EphemeralContainers", Severity.High,
            "Add ephemeral containers to running pods (pods/ephemeralcontainers): code execution as the pod's ServiceAccount, and a node breakout with a privileged one.",
            Each(Modify, "", "pods/ephemeralcontainers")) { NamespaceDependent = true, ReachesServiceAccounts = true },
        new RbacCapability("ModifyPods", Severity.High,
            "Update or patch running pods: swap a container's image and run code as the pod's ServiceAccount.",
            Each(Modify, "", "pods")) { NamespaceDependent = true, ReachesServiceAccounts = true },
        new RbacCapability("ModifyPodStatus", Severity.Low,
            "Update pods/status: make a pod's labels match a Service's selector and intercept its traffic.",
            Each(Modify, "", "pods/status")),
        new RbacCapability("ModifyServiceStatus", Severity.Medium,
            "Update services/status: set status.loadBalancer.ingress to a chosen IP and intercept the cluster's traffic to it (CVE-2020-8554).",
            Each(Modify, "", "services/status")),
        new RbacCapability("ModifyNodes", Severity.Medium,
            "Update or patch nodes or nodes/status: relabel or taint nodes to steer pods (nodeSelector, affinity, tolerations) onto chosen nodes.",
            Each(Modify, "", "nodes", "nodes/status")) { ClusterOnly = true },
        new RbacCapability("StealPods", Severity.High,
            "Delete or evict pods, and make the other nodes unschedulable (patch, update or delete nodes): move powerful pods onto a compromised node.",
            Each(new[] { "delete" }, "", "pods").Concat(Each(new[] { "create" }, "", "pods/eviction")).ToArray())
        {
            NamespaceDependent = true,
            Requires = new[] { Each(new[] { "update", "patch", "delete" }, "", "nodes").Concat(Each(Modify, "", "nodes/status")).ToArray() },
        },
        new RbacCapability("IssueTokenSecrets", Severity.Critical,
            "Create or update Secrets in a namespace: a kubernetes.io/service-account-token Secret for any of its ServiceAccounts is filled with a token for it.",
            Each(Write, "", "secrets")) { NamespaceDependent = true, ReachesServiceAccounts = true },
        new RbacCapability("ModifyAwsAuth", Severity.Critical,
            "Update or patch ConfigMaps in kube-system (aws-auth by name, or any): on EKS, aws-auth maps IAM identities to Kubernetes groups, system:masters included.",
            Each(Modify, "", "configmaps")) { Namespaces = new[] { "kube-system" }, ResourceName = "aws-auth" },
        new RbacCapability("ModifyAdmissionWebhooks", Severity.Critical,
            "Create or change admission webhooks and policies: see or rewrite every object the API server admits.",
            Each(new[] { "create", "update", "patch", "delete" }, "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings")),
    };

    /// <summary>A ServiceAccount annotated with a cloud IAM identity: its token is also a cloud credential (rbac-police's providerIAM).</summary>
    public static readonly RbacCapability CloudIdentity = new("CloudIdentity", Severity.Low,
        "The ServiceAccount is mapped to a cloud IAM identity (EKS IRSA, GKE Workload Identity, Azure Workload Identity): whoever runs as it reaches that cloud role.",
        Array.Empty<AccessRequest>());

    /// <summary>Every capability an exposure can name: the rule-granted ones, the GitOps controller's and the cloud identity.</summary>
    public static IReadOnlyList<RbacCapability> Named => _named ??= All.Append(TamperWithGitOpsController).Append(CloudIdentity).ToArray();

    private static IReadOnlyList<RbacCapability>? _named;

    /// <summary>The annotations that map a ServiceAccount to a cloud identity.</summary>
    public static readonly IReadOnlyList<string> CloudIdentityAnnotations = new[]
    {
        "eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id",
    };

    /// <summary>
    /// Changing or deleting what the GitOps controller runs on (its Deployments, Secrets, ConfigMaps and
    /// its Applications/Kustomizations) in the controller's namespace: the deployment pipeline itself.
    /// </summary>
    public static readonly RbacCapability TamperWithGitOpsController = new("TamperWithGitOpsController", Severity.Critical,
        "Patch or delete the GitOps controller's own objects in its namespace.",
        Each(new[] { "patch", "update", "delete" }, "apps", "deployments", "statefulsets")
            .Concat(Each(new[] { "patch", "update", "delete" }, "", "secrets", "configmaps"))
            .Concat(Each(new[] { "patch", "update", "delete" }, "argoproj.io", "applications", "appprojects"))
            .Concat(Each(new[] { "patch", "update", "delete" }, "kustomize.toolkit.fluxcd.io", "kustomizations"))
            .Concat(Each(new[] { "patch", "update", "delete" }, "source.toolkit.fluxcd.io", "gitrepositories", "ocirepositories")).ToArray());
}
