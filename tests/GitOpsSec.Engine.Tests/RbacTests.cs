using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rbac;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

public class RbacTests
{
    private static string Data(string file) => Path.Combine(TestPaths.RepoRoot, "tests", "data", "rbac", file);

    private static (RbacModel Model, CollectingHost Host) Model(string path, bool bootstrap = true)
    {
        var (objects, loadHost) = Scan.Load(path);
        Assert.Empty(loadHost.Errors);
        var host = new CollectingHost();
        return (RbacModel.Build(objects, host, bootstrap), host);
    }

    private static readonly Lazy<RbacAuthorizer> Docs = new(() => new RbacAuthorizer(Model(Data("docs-examples.yaml")).Model));
    private static readonly Lazy<RbacAuthorizer> Bootstrap = new(() => new RbacAuthorizer(RbacModel.Build(Array.Empty<ManifestObject>(), new CollectingHost())));

    /// <summary>
    /// can-i cases derived from the Kubernetes RBAC documentation: subject, verb, resource (kubectl
    /// form), namespace ("-" for cluster-wide), name ("-" for none), expected.
    /// </summary>
    [Theory]
    // Role + RoleBinding (namespaced grant)
    [InlineData("User:jane", "get", "pods", "default", "-", true)]
    [InlineData("User:jane", "list", "pods", "default", "-", true)]
    [InlineData("User:jane", "watch", "pods", "default", "-", true)]
    [InlineData("User:jane", "delete", "pods", "default", "-", false)]
    [InlineData("User:jane", "get", "pods", "kube-system", "-", false)]
    [InlineData("User:jane", "get", "pods", "-", "-", false)]
    [InlineData("User:jane", "get", "pods/log", "default", "-", false)]
    [InlineData("User:jane", "get", "secrets", "default", "-", false)]
    [InlineData("User:jane", "get", "pods.apps", "default", "-", false)]
    [InlineData("User:janet", "get", "pods", "default", "-", false)]
    // RoleBinding to a ClusterRole: only in the binding's namespace
    [InlineData("User:dave", "get", "secrets", "development", "-", true)]
    [InlineData("User:dave", "list", "secrets", "development", "-", true)]
    [InlineData("User:dave", "get", "secrets", "default", "-", false)]
    [InlineData("User:dave", "get", "secrets", "-", "-", false)]
    [InlineData("User:dave", "create", "secrets", "development", "-", false)]
    // ClusterRoleBinding: every namespace and cluster-wide lists
    [InlineData("Group:manager", "get", "secrets", "default", "-", true)]
    [InlineData("Group:manager", "list", "secrets", "-", "-", true)]
    [InlineData("Group:manager", "watch", "secrets", "kube-system", "-", true)]
    [InlineData("Group:manager", "delete", "secrets", "default", "-", false)]
    [InlineData("Group:managers", "get", "secrets", "default", "-", false)]
    // Subresources
    [InlineData("User:logan", "get", "pods/log", "default", "-", true)]
    [InlineData("User:logan", "get", "pods", "default", "-", true)]
    [InlineData("User:logan", "get", "pods/exec", "default", "-", false)]
    [InlineData("User:logan", "create", "pods/log", "default", "-", false)]
    // resourceNames
    [InlineData("User:carol", "get", "configmaps", "default", "my-configmap", true)]
    [InlineData("User:carol", "update", "configmaps", "default", "my-configmap", true)]
    [InlineData("User:carol", "get", "configmaps", "default", "other", false)]
    [InlineData("User:carol", "list", "configmaps", "default", "-", false)]
    [InlineData("User:carol", "delete", "configmaps", "default", "my-configmap", false)]
    // Aggregated ClusterRole (labels select the rules)
    [InlineData("ServiceAccount:monitoring:prometheus", "list", "pods", "-", "-", true)]
    [InlineData("ServiceAccount:monitoring:prometheus", "watch", "services", "default", "-", true)]
    [InlineData("ServiceAccount:monitoring:prometheus", "list", "endpointslices.discovery.k8s.io", "-", "-", true)]
    [InlineData("ServiceAccount:monitoring:prometheus", "list", "endpointslices", "-", "-", false)]
    [InlineData("ServiceAccount:monitoring:prometheus", "get", "secrets", "default", "-", false)]
    [InlineData("system:serviceaccount:monitoring:prometheus", "get", "pods", "default", "-", true)]
    [InlineData("ServiceAccount:other:prometheus", "get", "pods", "default", "-", false)]
    // "*/scale" subresource wildcard
    [InlineData("ServiceAccount:staging:autoscaler", "update", "deployments.apps/scale", "staging", "-", true)]
    [InlineData("ServiceAccount:staging:autoscaler", "patch", "statefulsets.apps/scale", "staging", "-", true)]
    [InlineData("User:scott", "update", "deployments.apps/scale", "staging", "-", true)]
    [InlineData("User:scott", "update", "replicasets.apps/scale", "staging", "-", true)]
    [InlineData("User:scott", "update", "deployments.apps", "staging", "-", false)]
    [InlineData("User:scott", "get", "deployments.apps", "staging", "-", true)]
    [InlineData("User:scott", "update", "deployments.apps/scale", "default", "-", false)]
    [InlineData("User:scott", "update", "deployments.apps/status", "staging", "-", false)]
    [InlineData("User:scott", "update", "deployments.extensions/scale", "staging", "-", false)]
    // ...while the ServiceAccount is also in system:serviceaccounts:staging, which holds apps-admin there
    [InlineData("ServiceAccount:staging:autoscaler", "update", "deployments.apps", "staging", "-", true)]
    // Wildcards on resources and verbs, group membership of service accounts
    [InlineData("Group:release-managers", "delete", "deployments.apps", "staging", "-", true)]
    [InlineData("Group:release-managers", "create", "jobs.batch", "staging", "-", true)]
    [InlineData("Group:release-managers", "escalate", "deployments.apps", "staging", "-", true)]
    [InlineData("Group:release-managers", "create", "pods", "staging", "-", false)]
    [InlineData("Group:release-managers", "create", "deployments.apps", "production", "-", false)]
    [InlineData("ServiceAccount:staging:builder", "create", "deployments.apps", "staging", "-", true)]
    [InlineData("ServiceAccount:staging:builder", "update", "deployments.apps/scale", "staging", "-", true)]
    [InlineData("ServiceAccount:qa:builder", "create", "deployments.apps", "staging", "-", false)]
    [InlineData("ServiceAccount:qa:builder", "list", "namespaces", "-", "-", true)]
    [InlineData("User:jane", "list", "namespaces", "-", "-", false)]
    // Defaulted subject namespace: a ServiceAccount subject without namespace takes the RoleBinding's
    [InlineData("ServiceAccount:default:autoscaler", "update", "deployments.apps/scale", "staging", "-", false)]
    public void Test_RbacAccess_agrees_with_the_documented_authorizer(string subject, string verb, string resource, string ns, string name, bool expected)
    {
        var decision = Docs.Value.Check(RbacSubject.Parse(subject), Request(verb, resource, ns, name));
        Assert.Equal(expected, decision.Allowed);
        Assert.Equal(expected, decision.Grants.Count > 0);
    }

    [Theory]
    [InlineData("ServiceAccount:qa:tester", "/healthz", "get", true)]
    [InlineData("ServiceAccount:qa:tester", "/healthz/etcd", "get", true)]
    [InlineData("ServiceAccount:qa:tester", "/healthz", "post", true)]
    [InlineData("ServiceAccount:qa:tester", "/metrics", "get", false)]
    [InlineData("ServiceAccount:dev:tester", "/healthz/etcd", "post", false)]
    [InlineData("User:nancy", "/healthz", "post", false)] // non-resource rules never apply through a RoleBinding
    [InlineData("User:nancy", "/healthz", "get", true)] // ...but every authenticated user holds system:public-info-viewer
    [InlineData("User:system:anonymous", "/version", "get", true)]
    [InlineData("User:system:anonymous", "/api", "get", false)]
    public void Non_resource_urls_match_exactly_or_by_trailing_star_and_only_cluster_wide(string subject, string url, string verb, bool expected)
    {
        var decision = Docs.Value.Check(RbacSubject.Parse(subject), new AccessRequest(verb, "", "", NonResourceUrl: url));
        Assert.Equal(expected, decision.Allowed);
    }

    private static AccessRequest Request(string verb, string resource, string ns, string name)
    {
        string sub = string.Empty;
        if (resource.Contains('/'))
        {
            sub = resource[(resource.IndexOf('/') + 1)..];
            resource = resource[..resource.IndexOf('/')];
        }
        string group = resource.Contains('.') ? resource[(resource.IndexOf('.') + 1)..] : string.Empty;
        resource = resource.Contains('.') ? resource[..resource.IndexOf('.')] : resource;
        return new AccessRequest(verb, group, resource, sub, ns == "-" ? null : ns, name == "-" ? null : name);
    }

    private static readonly RbacSubject Alice = new(RbacSubject.User, "alice");

    /// <summary>The bootstrap roles plus one RoleBinding of <paramref name="clusterRole"/> to alice in <paramref name="ns"/>.</summary>
    private static RbacAuthorizer BootstrapWith(string clusterRole, string ns = "team")
    {
        using var dir = new TempDir();
        string file = dir.Write("b.yaml", $"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: {ns}}}\nroleRef: {{kind: ClusterRole, name: {clusterRole}}}\nsubjects: [{{kind: User, name: alice}}]\n");
        var (objects, _) = Scan.Load(file);
        return new RbacAuthorizer(RbacModel.Build(objects, new CollectingHost()));
    }

    [Fact]
    public void Bootstrap_roles_hold_the_well_known_facts()
    {
        RbacAuthorizer view = BootstrapWith("view"), edit = BootstrapWith("edit"), admin = BootstrapWith("admin"), clusterAdmin = BootstrapWith("cluster-admin");
        AccessRequest Req(string verb, string resource, string sub = "", string group = "") => new(verb, group, resource, sub, "team");

        // view cannot read secrets, exec or change anything; it reads pods and deployments.
        Assert.False(view.Check(Alice, Req("get", "secrets")).Allowed);
        Assert.False(view.Check(Alice, Req("create", "pods", "exec")).Allowed);
        Assert.False(view.Check(Alice, Req("create", "pods")).Allowed);
        Assert.True(view.Check(Alice, Req("list", "pods")).Allowed);
        Assert.True(view.Check(Alice, Req("get", "deployments", group: "apps")).Allowed);
        // edit can read secrets, create pods and workloads, exec, impersonate service accounts; not touch RBAC.
        Assert.True(edit.Check(Alice, Req("get", "secrets")).Allowed);
        Assert.True(edit.Check(Alice, Req("create", "pods")).Allowed);
        Assert.True(edit.Check(Alice, Req("create", "deployments", group: "apps")).Allowed);
        Assert.True(edit.Check(Alice, Req("create", "pods", "exec")).Allowed);
        Assert.True(edit.Check(Alice, Req("impersonate", "serviceaccounts")).Allowed);
        Assert.False(edit.Check(Alice, Req("create", "rolebindings", group: "rbac.authorization.k8s.io")).Allowed);
        // admin adds RBAC within the namespace.
        Assert.True(admin.Check(Alice, Req("create", "rolebindings", group: "rbac.authorization.k8s.io")).Allowed);
        Assert.True(admin.Check(Alice, Req("get", "secrets")).Allowed);
        Assert.False(admin.Check(Alice, new AccessRequest("list", "", "nodes")).Allowed);
        // cluster-admin (bound by RoleBinding: everything, but only in the namespace).
        Assert.True(clusterAdmin.Check(Alice, Req("escalate", "anything", group: "example.com")).Allowed);
        Assert.False(clusterAdmin.Check(Alice, Req("get", "secrets") with { Namespace = "other" }).Allowed);

        // Built-in bindings: system:masters hold everything, anonymous only public info.
        RbacAuthorizer b = Bootstrap.Value;
        var masters = new RbacSubject(RbacSubject.Group, "system:masters");
        Assert.True(b.Check(masters, new AccessRequest("delete", "", "nodes")).Allowed);
        Assert.True(b.Check(masters, new AccessRequest("get", "", "", NonResourceUrl: "/metrics")).Allowed);
        var anonymous = new RbacSubject(RbacSubject.User, "system:anonymous");
        Assert.True(b.Check(anonymous, new AccessRequest("get", "", "", NonResourceUrl: "/healthz")).Allowed);
        Assert.False(b.Check(anonymous, new AccessRequest("get", "", "", NonResourceUrl: "/apis")).Allowed);
        Assert.True(b.Check(Alice, new AccessRequest("get", "", "", NonResourceUrl: "/apis/apps")).Allowed);
        Assert.True(b.Check(Alice, new AccessRequest("create", "authorization.k8s.io", "selfsubjectaccessreviews")).Allowed);
        Assert.False(b.Check(Alice, new AccessRequest("list", "", "pods", Namespace: "default")).Allowed);
    }

    [Fact]
    public void Aggregation_fills_admin_edit_and_view_from_the_labelled_roles()
    {
        var model = RbacModel.Build(Array.Empty<ManifestObject>(), new CollectingHost());
        int view = model.Role("ClusterRole/view")!.Rules.Count;
        int edit = model.Role("ClusterRole/edit")!.Rules.Count;
        int admin = model.Role("ClusterRole/admin")!.Rules.Count;
        Assert.Equal(model.Role("ClusterRole/system:aggregate-to-view")!.Rules.Count, view);
        Assert.Equal(view + model.Role("ClusterRole/system:aggregate-to-edit")!.Rules.Count, edit);
        Assert.Equal(edit + model.Role("ClusterRole/system:aggregate-to-admin")!.Rules.Count, admin);
    }

    [Fact]
    public void Bad_rbac_input_is_reported_and_the_rest_still_modelled()
    {
        using var dir = new TempDir();
        dir.Write("bad.yaml", """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: odd, namespace: ns}
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get, yeet]
            - apiGroups: [""]
              resources: [pods]
            - resources: [secrets]
              verbs: [get]
            - nonResourceURLs: [/metrics]
              verbs: [get]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: to-missing, namespace: ns}
            roleRef: {kind: Role, name: does-not-exist}
            subjects: [{kind: User, name: bob}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: ok, namespace: ns}
            roleRef: {kind: Role, name: odd}
            subjects: [{kind: User, name: bob}, {kind: Robot, name: r2}]
            """);
        var (model, host) = Model(dir.Path);
        var ids = host.Errors.Select(e => e.ErrorId).ToList();
        Assert.Contains(ErrorIds.UnknownVerb, ids);
        Assert.Equal(3, ids.Count(i => i == ErrorIds.MalformedRule));
        Assert.Contains(ErrorIds.RoleNotFound, ids);
        Assert.Contains(ErrorIds.MalformedBinding, ids);
        Assert.All(host.Errors, e => Assert.Equal("bad.yaml", e.Target));
        var authorizer = new RbacAuthorizer(model);
        var bob = new RbacSubject(RbacSubject.User, "bob");
        Assert.True(authorizer.Check(bob, new AccessRequest("get", "", "pods", Namespace: "ns")).Allowed);
        Assert.True(authorizer.Check(bob, new AccessRequest("yeet", "", "pods", Namespace: "ns")).Allowed);
        Assert.False(authorizer.Check(bob, new AccessRequest("get", "", "secrets", Namespace: "ns")).Allowed);
    }

    [Fact]
    public void Exposures_name_the_capability_scope_and_chain_and_follow_escalation_paths()
    {
        var (model, host) = Model(Path.Combine(TestPaths.Examples, "insecure-repo"));
        Assert.Empty(host.Errors);
        var exposures = new RbacExposureAnalyzer(model).Analyze();

        RbacExposure exec = exposures.Single(e => e.Subject.Name == "payments-developers" && e.Capability == "ExecIntoPods");
        Assert.Equal(("payments-prod", "Direct", "RoleBinding payments-prod/payments-developers", "Role payments-prod/debugger"), (exec.Scope, exec.Via, exec.Binding, exec.Role));
        Assert.Equal("infrastructure/rbac/team-access.yaml", exec.SourcePath);
        Assert.DoesNotContain(exposures, e => e.Subject.Name == "payments-developers" && e.Capability == "ReadSecrets" && e.Via == "Direct");
        // Exec into a pod of the namespace reaches the ServiceAccount it runs as (rbac-police's pods_exec): named in the path.
        RbacExposure viaExec = exposures.Single(e => e.Subject.Name == "payments-developers" && e.Capability == "ReadSecrets");
        Assert.Equal("ExecIntoPods", viaExec.Via);
        Assert.Contains(viaExec.Path, p => p.Contains("runs as ServiceAccount payments-prod/default", StringComparison.Ordinal));

        // The default ServiceAccount holds edit in payments-prod: secrets, workloads, exec, impersonating ServiceAccounts.
        var defaultSa = exposures.Where(e => e.Subject == new RbacSubject(RbacSubject.ServiceAccount, "default", "payments-prod")).Select(e => e.Capability).ToHashSet();
        Assert.Superset(new HashSet<string> { "ReadSecrets", "CreateWorkloads", "ExecIntoPods", "Impersonate", "CreateServiceAccountTokens" }, defaultSa);
        Assert.DoesNotContain("ModifyRoleBindings", defaultSa);

        // The GitOps operator creates workloads cluster-wide, so it can run as payments-prod/default and inherits its powers.
        RbacExposure viaPod = exposures.Single(e => e.Subject.Name == "deployer" && e.Capability == "ExecIntoPods");
        Assert.Equal("PodCreation", viaPod.Via);
        Assert.Contains(viaPod.Path, p => p.Contains("may run as ServiceAccount payments-prod/default", StringComparison.Ordinal));
        Assert.Contains(exposures, e => e.Subject.Name == "deployer" && e.Capability == "TamperWithGitOpsController" && e.Scope == "cluster");

        // The release bot impersonates anyone and so holds what they hold.
        Assert.Contains(exposures, e => e.Subject.Name == "release-bot@example.com" && e.Capability == "Impersonate" && e.Via == "Direct");
        Assert.Contains(exposures, e => e.Subject.Name == "release-bot@example.com" && e.Capability == "ReadSecrets" && e.Via == "Impersonation");

        // view bound to everybody grants nothing dangerous; system subjects and bootstrap bindings are left out by default.
        Assert.DoesNotContain(exposures, e => e.Subject.Name == "system:authenticated");
        Assert.DoesNotContain(exposures, e => e.Subject.Name == "system:masters");
        Assert.Contains(new RbacExposureAnalyzer(model, new RbacExposureOptions { IncludeSystem = true }).Analyze(),
            e => e.Subject.Name == "system:masters" && e.Capability == "ClusterAdmin");
    }

    [Fact]
    public void Bind_or_escalate_is_reported_as_a_path_to_cluster_admin()
    {
        using var dir = new TempDir();
        dir.Write("rbac.yaml", """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: binder}
            rules:
            - apiGroups: [rbac.authorization.k8s.io]
              resources: [clusterroles]
              verbs: [bind]
            - apiGroups: [rbac.authorization.k8s.io]
              resources: [clusterrolebindings]
              verbs: [create]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: binder}
            roleRef: {kind: ClusterRole, name: binder}
            subjects: [{kind: ServiceAccount, name: ci, namespace: build}]
            """);
        var (model, _) = Model(dir.Path);
        var exposures = new RbacExposureAnalyzer(model).Analyze();
        RbacExposure admin = exposures.Single(e => e.Capability == "ClusterAdmin");
        Assert.Equal(("Escalation", "cluster", Severity.Critical), (admin.Via, admin.Scope, admin.Severity));
        Assert.Contains(exposures, e => e.Capability == "BindRoles" && e.Via == "Direct");
        Assert.Contains(exposures, e => e.Capability == "ModifyRoleBindings");
    }
}
