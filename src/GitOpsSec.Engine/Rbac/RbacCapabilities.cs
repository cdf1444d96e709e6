namespace GitOpsSec.Rbac;

/// <summary>A dangerous power a rule can grant: the requests that exercise it.</summary>
public sealed record RbacCapability(string Name, Severity Severity, string Description, IReadOnlyList<AccessRequest> Requests)
{
    /// <summary>Whether the rule grants any of the requests; the names it is limited to, if any.</summary>
    public bool GrantedBy(PolicyRule rule, out IReadOnlyList<string> limitedToNames)
    {
        limitedToNames = Array.Empty<string>();
        foreach (AccessRequest request in Requests)
        {
            // Ask without a name: a rule with resourceNames still grants the power over those names.
            var probe = request with { Name = rule.ResourceNames.Count > 0 ? rule.ResourceNames[0] : null };
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
                .Concat(Each(Write, "batch", "jobs", "cronjobs")).ToArray()),
        new RbacCapability("ExecIntoPods", Severity.High, "Run commands in running containers (pods/exec).",
            Each(new[] { "create", "get" }, "", "pods/exec")),
        new RbacCapability("AttachToPods", Severity.High, "Attach to running containers (pods/attach).",
            Each(new[] { "create", "get" }, "", "pods/attach")),
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
            Each(new[] { "create" }, "", "serviceaccounts/token")),
        new RbacCapability("ModifyRoleBindings", Severity.High, "Create or change RoleBindings and ClusterRoleBindings.",
            Each(Write, "rbac.authorization.k8s.io", "rolebindings", "clusterrolebindings")),
        new RbacCapability("ApproveCertificates", Severity.High, "Approve CertificateSigningRequests (client certificates for any identity).",
            Each(new[] { "update", "patch" }, "certificates.k8s.io", "certificatesigningrequests/approval")
                .Concat(Each(new[] { "approve" }, "certificates.k8s.io", "signers")).ToArray()),
        new RbacCapability("SignCertificates", Severity.High, "Sign CertificateSigningRequests.",
            Each(new[] { "update", "patch" }, "certificates.k8s.io", "certificatesigningrequests/status")
                .Concat(Each(new[] { "sign" }, "certificates.k8s.io", "signers")).ToArray()),
        new RbacCapability("ModifyAdmissionWebhooks", Severity.Critical,
            "Create or change admission webhooks and policies: see or rewrite every object the API server admits.",
            Each(new[] { "create", "update", "patch", "delete" }, "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings")),
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
