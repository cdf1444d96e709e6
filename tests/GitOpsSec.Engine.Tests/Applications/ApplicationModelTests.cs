using GitOpsSec.Applications;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Applications;

/// <summary>
/// The application model over real git repositories with a remote, in the structures real GitOps repositories use:
/// app-of-apps, ApplicationSet generators, Flux multi-tenancy, postBuild substitution, kustomize namespaces.
/// Namespaces set by kustomize (and Flux's targetNamespace, which kustomize-controller applies as a kustomization
/// namespace) are checked against kubectl kustomize itself.
/// </summary>
public sealed class ApplicationModelTests
{
    private const string Url = "https://github.com/example/fleet.git";

    private static GitRepo NewRepo()
    {
        var repo = new GitRepo();
        repo.Git("remote", "add", "origin", "git@github.com:example/fleet"); // scp form; units use https
        return repo;
    }

    private static (List<ManifestObject> Objects, ApplicationModel Model, CollectingHost Host) Load(string path, bool render = true)
    {
        var host = new CollectingHost();
        using IManifestTree tree = ManifestSource.Open(path, null, host)!;
        var loader = new ManifestLoader(new ManifestLoadOptions { RenderKustomize = render }, host);
        var objects = loader.Load(tree).ToList();
        return (objects, loader.Models.Single(), host);
    }

    private static ManifestObject One(List<ManifestObject> objects, string kind, string name) =>
        Assert.Single(objects, o => o.Kind == kind && o.Name == name);

    private static string Deployment(string name, string? ns = null) =>
        $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{(ns is null ? "" : $"  namespace: {ns}\n")}spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: app, image: app:1}}]\n";

    private static string ArgoApp(string name, string path, string? destination, string repoUrl = Url, string extra = "") =>
        $"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {repoUrl}\n    path: {path}\n    targetRevision: HEAD\n{extra}  destination:\n    server: https://kubernetes.default.svc\n{(destination is null ? "" : $"    namespace: {destination}\n")}";

    [Fact]
    public void App_of_apps_is_followed_and_objects_land_in_the_destination_unless_they_name_a_namespace()
    {
        using var repo = NewRepo();
        repo.Write("argocd/root.yaml", ArgoApp("root", "argocd/apps", "argocd", extra: "  syncPolicy:\n    automated:\n      prune: true\n"));
        repo.Write("argocd/apps/shop.yaml", ArgoApp("shop", "apps/shop", "shop", repoUrl: "ssh://git@github.com/example/fleet"));
        repo.Write("argocd/apps/other.yaml", ArgoApp("other", "apps/x", "x", repoUrl: "https://github.com/example/other"));
        repo.Write("apps/shop/web.yaml", Deployment("web"));
        repo.Write("apps/shop/db.yaml", Deployment("db", "data"));
        repo.Write("apps/shop/nested/job.yaml", Deployment("not-recursed"));
        repo.Write("apps/dead/old.yaml", Deployment("old"));
        repo.Commit("fleet");

        var (objects, model, host) = Load(repo.Path);

        Assert.Empty(host.Errors);
        DeploymentUnit root = Assert.Single(model.Units, u => u.Name == "root");
        DeploymentUnit shop = Assert.Single(model.Units, u => u.Name == "shop");
        DeploymentUnit other = Assert.Single(model.Units, u => u.Name == "other");
        Assert.Equal(("Automated", true, false), (root.SyncPolicy, root.Prune, root.SelfHeal));
        Assert.Equal(new[] { "Application/argocd/root" }, shop.Parents);
        Assert.Equal(UnitStatus.Resolved, shop.Status);
        Assert.Equal(UnitStatus.External, other.Status);

        ManifestObject web = One(objects, "Deployment", "web");
        Assert.Equal(("shop", NamespaceOrigin.Destination), (web.Namespace, web.NamespaceOrigin));
        Assert.Equal(new[] { "Application/argocd/shop" }, web.Applications);
        ManifestObject db = One(objects, "Deployment", "db");
        Assert.Equal(("data", NamespaceOrigin.Manifest), (db.Namespace, db.NamespaceOrigin));

        // Argo CD reads a directory source without recursing unless directory.recurse is set.
        Assert.Empty(One(objects, "Deployment", "not-recursed").Applications);
        ManifestObject old = One(objects, "Deployment", "old");
        Assert.Empty(old.Applications);
        Assert.Equal(("default", NamespaceOrigin.Default), (old.Namespace, old.NamespaceOrigin));
        Assert.Equal(2, shop.ObjectCount);
    }

    [Fact]
    public void ApplicationSet_git_directory_files_and_list_generators_are_evaluated_and_others_are_not_guessed()
    {
        using var repo = NewRepo();
        repo.Write("appsets/dirs.yaml", $$$"""
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: addons, namespace: argocd}
            spec:
              goTemplate: true
              generators:
                - git:
                    repoURL: {{{Url}}}
                    revision: HEAD
                    directories:
                      - path: addons/*
                      - path: addons/skipped
                        exclude: true
              template:
                metadata: {name: 'addon-{{ .path.basename }}'}
                spec:
                  project: addons
                  source: {repoURL: '{{{Url}}}', targetRevision: HEAD, path: '{{ .path.path }}'}
                  destination: {server: https://kubernetes.default.svc, namespace: '{{ index .path.segments 1 }}'}
            """);
        repo.Write("appsets/files.yaml", $$$"""
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: teams, namespace: argocd}
            spec:
              generators:
                - git:
                    repoURL: {{{Url}}}
                    revision: HEAD
                    files:
                      - path: "teams/**/config.json"
                - list:
                    elements:
                      - {team: listed, dir: teams/listed}
                - clusters: {}
              template:
                metadata: {name: 'team-{{team}}'}
                spec:
                  project: teams
                  source: {repoURL: '{{{Url}}}', targetRevision: HEAD, path: '{{dir}}'}
                  destination: {server: https://kubernetes.default.svc, namespace: '{{team}}-ns'}
            """);
        repo.Write("addons/metrics/agent.yaml", Deployment("agent"));
        repo.Write("addons/skipped/x.yaml", Deployment("skipped"));
        repo.Write("teams/blue/config.json", "{\"team\": \"blue\", \"dir\": \"teams/blue/deploy\"}");
        repo.Write("teams/blue/deploy/app.yaml", Deployment("blue-app"));
        repo.Write("teams/listed/app.yaml", Deployment("listed-app"));
        repo.Commit("sets");

        var (objects, model, host) = Load(repo.Path);

        var names = model.Units.Select(u => u.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("addon-metrics", names);
        Assert.DoesNotContain("addon-skipped", names);
        Assert.Contains("team-blue", names);
        Assert.Contains("team-listed", names);
        Assert.Equal("ApplicationSet/argocd/addons", Assert.Single(model.Units, u => u.Name == "addon-metrics").GeneratedBy);
        Assert.Equal(("metrics", NamespaceOrigin.Destination), (One(objects, "Deployment", "agent").Namespace, One(objects, "Deployment", "agent").NamespaceOrigin));
        Assert.Equal("blue-ns", One(objects, "Deployment", "blue-app").Namespace);
        Assert.Equal("listed-ns", One(objects, "Deployment", "listed-app").Namespace);
        Assert.Empty(One(objects, "Deployment", "skipped").Applications);

        // The clusters generator needs a cluster: one unresolved unit and an error with a stable id, nothing invented.
        ScanError unresolved = Assert.Single(host.Errors, e => e.ErrorId == ErrorIds.GeneratorUnresolved);
        Assert.Contains("clusters", unresolved.Message, StringComparison.Ordinal);
        Assert.Single(model.Units, u => u.Status == UnitStatus.Unresolved && u.GeneratedBy == "ApplicationSet/argocd/teams");
    }

    [Fact]
    public void Flux_tenants_run_as_their_service_account_and_targetNamespace_overrides_as_kustomize_would()
    {
        using var repo = NewRepo();
        repo.Write("clusters/prod/flux-system/gotk-components.yaml", "# flux bootstrap writes the controllers here\n");
        repo.Write("clusters/prod/tenants.yaml", """
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: team-a, namespace: team-a}
            spec:
              path: ./tenants/team-a
              serviceAccountName: team-a-reconciler
              targetNamespace: team-a
              prune: true
              sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
            ---
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata: {name: team-b, namespace: team-b}
            spec:
              url: https://github.com/example/team-b
              ref: {branch: main}
            ---
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: team-b, namespace: team-b}
            spec:
              path: ./deploy
              prune: true
              sourceRef: {kind: GitRepository, name: team-b}
            """);
        repo.Write("tenants/team-a/app.yaml", Deployment("api", "somewhere-else") + "---\n" + Deployment("worker"));
        repo.Commit("tenants");

        var (objects, model, host) = Load(repo.Path);

        Assert.Empty(host.Errors);
        DeploymentUnit bootstrap = Assert.Single(model.Units, u => u.Name == "flux-system");
        Assert.Equal("clusters/prod", bootstrap.Sources.Single().Path);
        DeploymentUnit teamA = Assert.Single(model.Units, u => u.Name == "team-a");
        Assert.Equal(("team-a-reconciler", "team-a", UnitStatus.Resolved), (teamA.ServiceAccount, teamA.Project, teamA.Status));
        Assert.Contains(bootstrap.Id, teamA.Parents);
        DeploymentUnit teamB = Assert.Single(model.Units, u => u.Name == "team-b");
        Assert.Equal(UnitStatus.External, teamB.Status);

        // kustomize-controller applies targetNamespace as the namespace of a generated kustomization: ask kustomize.
        using var copy = new TempDir();
        File.Copy(Path.Combine(repo.Path, "tenants/team-a/app.yaml"), Path.Combine(copy.Path, "app.yaml"));
        copy.Write("kustomization.yaml", "resources: [app.yaml]\nnamespace: team-a\n");
        var kustomize = ExternalTool.Run("kubectl", new[] { "kustomize", copy.Path }, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(0, kustomize.ExitCode);
        int expected = kustomize.StandardOutput.Split('\n').Count(l => l == "  namespace: team-a");
        var teamObjects = objects.Where(o => o.Applications.Contains(teamA.Id)).ToList();
        Assert.Equal(expected, teamObjects.Count);
        Assert.All(teamObjects, o => Assert.Equal(("team-a", NamespaceOrigin.TargetNamespace), (o.Namespace, o.NamespaceOrigin)));

        // The tenant Kustomization applying another repository with the controller's account is the serious case.
        var analyzer = new ManifestAnalyzer(new RuleSelection { Include = new[] { "flux-no-service-account" } }, host);
        var findings = objects.SelectMany(analyzer.Analyze).ToList();
        Assert.Equal(Severity.High, Assert.Single(findings, f => f.Resource!.Name == "team-b").Severity);
        Assert.DoesNotContain(findings, f => f.Resource!.Name == "team-a");
    }

    [Fact]
    public void Kustomize_namespaces_read_without_rendering_agree_with_kubectl_kustomize()
    {
        using var repo = NewRepo();
        repo.Write("apps/base/kustomization.yaml", "resources: [web.yaml, cm.yaml]\nnamespace: base-ns\n");
        repo.Write("apps/base/web.yaml", Deployment("web"));
        repo.Write("apps/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: written}\n");
        repo.Write("apps/prod/kustomization.yaml", "resources: [../base, role.yaml]\nnamespace: prod\n");
        repo.Write("apps/prod/role.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: []\n");
        repo.Write("argocd/prod.yaml", ArgoApp("prod", "apps/prod", "elsewhere"));
        repo.Commit("overlays");

        var kustomize = ExternalTool.Run("kubectl", new[] { "kustomize", Path.Combine(repo.Path, "apps/prod") }, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(0, kustomize.ExitCode);
        var rendered = YamlDocumentReader.Read(kustomize.StandardOutput, "kubectl", LoadLimits.Default, _ => { })
            .Select(d => (YMapping)d.Root!)
            .ToDictionary(m => $"{m.Text("kind")}/{m.Map("metadata")!.Text("name")}", m => m.Map("metadata")!.Text("namespace"));

        foreach (bool render in new[] { true, false })
        {
            var (objects, _, host) = Load(repo.Path, render);
            Assert.Empty(host.Errors);
            foreach (var (key, ns) in rendered)
            {
                ManifestObject obj = Assert.Single(objects, o => $"{o.Kind}/{o.Name}" == key && o.Applications.Length > 0);
                Assert.Equal(ns, obj.Namespace);
                Assert.Equal(ns is null ? NamespaceOrigin.ClusterScoped : NamespaceOrigin.Kustomize, obj.NamespaceOrigin);
                Assert.Equal("Application/argocd/prod", obj.Application);
            }
        }
    }

    [Fact]
    public void Argo_kustomize_namespace_overrides_what_kustomize_renders_as_kustomize_edit_set_namespace_would()
    {
        using var repo = NewRepo();
        repo.Write("apps/web/kustomization.yaml", "resources: [web.yaml]\nnamespace: from-kustomization\n");
        repo.Write("apps/web/web.yaml", Deployment("web", "written"));
        repo.Write("argocd/web.yaml", ArgoApp("web", "apps/web", "destination-ns", extra: "    kustomize:\n      namespace: overridden\n"));
        repo.Commit("override");
        // Argo CD runs `kustomize edit set namespace`, which writes namespace: into the kustomization: ask kustomize.
        using var copy = new TempDir();
        copy.Write("web.yaml", File.ReadAllText(Path.Combine(repo.Path, "apps/web/web.yaml")));
        copy.Write("kustomization.yaml", "resources: [web.yaml]\nnamespace: overridden\n");
        var kustomize = ExternalTool.Run("kubectl", new[] { "kustomize", copy.Path }, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Contains("  namespace: overridden", kustomize.StandardOutput, StringComparison.Ordinal);

        foreach (bool render in new[] { true, false })
        {
            var (objects, _, host) = Load(repo.Path, render);
            Assert.Empty(host.Errors);
            ManifestObject web = Assert.Single(objects, o => o.Kind == "Deployment");
            Assert.Equal(("overridden", NamespaceOrigin.Kustomize), (web.Namespace, web.NamespaceOrigin));
        }
    }

    [Fact]
    public void PostBuild_substitution_uses_the_repository_values_and_leaves_unknown_variables_as_references()
    {
        using var repo = NewRepo();
        repo.Write("clusters/prod/apps.yaml", """
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: apps, namespace: flux-system}
            spec:
              path: ./apps
              prune: true
              sourceRef: {kind: GitRepository, name: flux-system}
              postBuild:
                substitute: {cluster_env: prod}
                substituteFrom:
                  - {kind: ConfigMap, name: cluster-settings}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cluster-settings, namespace: flux-system}
            data: {app_namespace: shop-prod}
            """);
        repo.Write("apps/web.yaml", Deployment("web-${cluster_env}", "${app_namespace}") +
            "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop-prod}\nstringData:\n  password: ${DB_PASSWORD}\n  literal: $${not_a_variable}\n");
        repo.Write("clusters/prod/flux-system/gotk-sync.yaml", """
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata: {name: flux-system, namespace: flux-system}
            spec: {url: ssh://git@github.com/example/fleet.git, ref: {branch: main}}
            """);
        repo.Commit("substitution");

        var (objects, model, host) = Load(repo.Path);

        ManifestObject web = One(objects, "Deployment", "web-prod");
        Assert.Equal(("shop-prod", NamespaceOrigin.Manifest), (web.Namespace, web.NamespaceOrigin));
        DeploymentUnit apps = Assert.Single(model.Units, u => u.Name == "apps");
        Assert.Equal(new[] { "app_namespace", "cluster_env" }, apps.Substitutions);
        ScanError unknown = Assert.Single(host.Errors, e => e.ErrorId == ErrorIds.UnknownVariable);
        Assert.Contains("DB_PASSWORD", unknown.Message, StringComparison.Ordinal);

        // The unknown variable stays a reference and is never a plaintext secret; $${x} is Flux's escape for a literal ${x}.
        var secret = (System.Collections.IDictionary)((System.Collections.IDictionary)One(objects, "Secret", "db").Object)["stringData"]!;
        Assert.Equal("${DB_PASSWORD}", secret["password"]);
        Assert.Equal("${not_a_variable}", secret["literal"]);
        var analyzer = new ManifestAnalyzer(new RuleSelection { Include = new[] { "GOS2001" } }, host);
        Assert.Empty(objects.SelectMany(analyzer.Analyze));
    }

    [Fact]
    public void Cycles_missing_paths_and_paths_outside_the_repository_are_errors_and_the_scan_goes_on()
    {
        using var repo = NewRepo();
        repo.Write("a/app.yaml", ArgoApp("a", "b", "ns-a"));
        repo.Write("b/app.yaml", ArgoApp("b", "a", "ns-b"));
        repo.Write("c/app.yaml", ArgoApp("missing", "does/not/exist", "x") + "---\n" + ArgoApp("escape", "../../etc", "x"));
        repo.Write("b/web.yaml", Deployment("web"));
        repo.Commit("bad");

        var (objects, model, host) = Load(repo.Path);

        Assert.Contains(host.Errors, e => e.ErrorId == ErrorIds.ApplicationCycle);
        Assert.Contains(host.Errors, e => e.ErrorId == ErrorIds.ApplicationPathNotFound && e.Message.Contains("does/not/exist", StringComparison.Ordinal));
        Assert.Contains(host.Errors, e => e.ErrorId == ErrorIds.OutsideRoot && e.Message.Contains("../../etc", StringComparison.Ordinal));
        ManifestObject web = One(objects, "Deployment", "web");
        Assert.Equal("ns-a", web.Namespace);
        Assert.Equal(new[] { "Application/argocd/a" }, web.Applications);
        Assert.Equal(4, model.Units.Count);
    }

    [Fact]
    public void RBAC_and_network_coverage_use_the_namespace_the_unit_puts_objects_in()
    {
        using var repo = NewRepo();
        repo.Write("clusters/prod/team-a.yaml", """
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: team-a, namespace: flux-system}
            spec:
              path: ./tenants/team-a
              targetNamespace: team-a
              serviceAccountName: team-a
              prune: true
              sourceRef: {kind: GitRepository, name: flux-system}
            """);
        repo.Write("tenants/team-a/rbac.yaml", """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: deployer}
            rules: [{apiGroups: [apps], resources: [deployments], verbs: [get, update]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: deployer}
            subjects: [{kind: ServiceAccount, name: ci, namespace: team-a}]
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
            """);
        repo.Write("tenants/team-a/web.yaml", Deployment("web") + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n");
        repo.Commit("tenant");

        var (objects, _, host) = Load(repo.Path);

        // The RoleBinding lands in team-a, so it grants there (and only there), as the API server will see it.
        var authorizer = new GitOpsSec.Rbac.RbacAuthorizer(GitOpsSec.Rbac.RbacModel.Build(objects, host));
        var ci = new GitOpsSec.Rbac.RbacSubject("ServiceAccount", "ci", "team-a");
        Assert.True(authorizer.Check(ci, new GitOpsSec.Rbac.AccessRequest("update", "apps", "deployments", Namespace: "team-a")).Allowed);
        Assert.False(authorizer.Check(ci, new GitOpsSec.Rbac.AccessRequest("update", "apps", "deployments", Namespace: "default")).Allowed);

        // The default-deny policy and the workload meet in team-a: the workload is covered both ways.
        var coverage = Assert.Single(new GitOpsSec.Network.NetworkPolicyAnalyzer(objects).Workloads());
        Assert.Equal(("team-a", true, true), (coverage.Namespace, coverage.IngressRestricted, coverage.EgressRestricted));
    }

    [Fact]
    public void An_app_of_apps_helm_chart_is_rendered_with_its_values_to_find_the_applications()
    {
        using var repo = NewRepo();
        repo.Write("apps/Chart.yaml", "apiVersion: v2\nname: apps\nversion: 0.1.0\n");
        repo.Write("apps/values.yaml", $"source: {{repoURL: {Url}, targetRevision: main}}\napplications:\n  - name: shop\n  - name: billing\n    path: teams/billing\n    namespace: payments\n");
        repo.Write("apps/templates/applications.yaml", """
            {{- range .Values.applications }}
            {{- $src := $.Values.source }}
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata:
              name: {{ printf "app-%s" .name | quote }}
              namespace: argocd
            spec:
              project: default
              source:
                repoURL: {{ $src.repoURL }}
                targetRevision: {{ $src.targetRevision }}
                path: {{ .path | default .name | quote }}
              destination:
                server: https://kubernetes.default.svc
                namespace: {{ .namespace | default .name | quote }}
            ---
            {{ end -}}
            """);
        repo.Write("shop/web.yaml", Deployment("web"));
        repo.Write("teams/billing/api.yaml", Deployment("api"));
        repo.Commit("chart");

        var (objects, model, host) = Load(repo.Path);

        Assert.Empty(host.Errors);
        Assert.Equal(new[] { "app-billing", "app-shop" }, model.Units.Select(u => u.Name).Order(StringComparer.Ordinal));
        Assert.Equal("apps/templates/applications.yaml", model.Units[0].Path);
        Assert.Equal(("shop", "Application/argocd/app-shop"), (One(objects, "Deployment", "web").Namespace, One(objects, "Deployment", "web").Application));
        Assert.Equal(("payments", "Application/argocd/app-billing"), (One(objects, "Deployment", "api").Namespace, One(objects, "Deployment", "api").Application));
    }

    [Fact]
    public void Kyverno_namespaceSelector_matches_the_namespace_the_destination_puts_an_object_in()
    {
        using var repo = NewRepo();
        repo.Write("argocd/payments.yaml", ArgoApp("payments", "apps/payments", "payments"));
        repo.Write("platform/namespaces.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels: {tier: pci}\n");
        repo.Write("apps/payments/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: api}\nspec:\n  containers: [{name: api, image: api:1}]\n");
        repo.Commit("pci");
        using var policies = new TempDir();
        policies.Write("pci.yaml", """
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata: {name: pci-no-latest}
            spec:
              rules:
                - name: pinned
                  match:
                    any:
                      - resources:
                          kinds: [Pod]
                          namespaceSelector: {matchLabels: {tier: pci}}
                  validate:
                    message: images in PCI namespaces are pinned
                    pattern: {spec: {containers: [{image: "*@sha256:*"}]}}
            """);
        var policy = GitOpsSec.Kyverno.KyvernoPolicies.Load(new[] { Path.Combine(policies.Path, "pci.yaml") }, new CollectingHost()).Single();

        var (objects, _, _) = Load(repo.Path);
        var labels = GitOpsSec.Kyverno.KyvernoPolicies.NamespaceLabels(objects);
        ManifestObject pod = One(objects, "Pod", "api");

        // The pod names no namespace; its Application puts it in payments, which is a PCI namespace, so the rule applies.
        Assert.Equal("payments", pod.Namespace);
        var result = Assert.Single(GitOpsSec.Kyverno.KyvernoEvaluator.Evaluate(policy, pod, ns => labels.GetValueOrDefault(ns)));
        Assert.Equal(GitOpsSec.Kyverno.KyvernoResult.Fail, result.Result);
    }

    [Fact]
    public void Template_and_glob_inputs_from_the_repository_stay_bounded()
    {
        // A files-generator glob of many ** segments against a deep path: each (pattern, path) position is tried once.
        string pattern = string.Join('/', Enumerable.Repeat("**", 40)) + "/x.json";
        string path = string.Join('/', Enumerable.Repeat("d", 60)) + "/y.json";
        Assert.False(Templates.GlobMatches(pattern, path, doubleStar: true));
        Assert.True(Templates.GlobMatches("teams/**/config.json", "teams/a/b/config.json", doubleStar: true));
        Assert.True(Templates.GlobMatches("teams/**/config.json", "teams/config.json", doubleStar: true));
        Assert.False(Templates.GlobMatches("addons/*", "addons/a/b", doubleStar: false));

        // A template that uses a Go function is not evaluated (never guessed) and says which expression.
        Assert.Null(Templates.ExpandParameters("{{ .name | upper }}", new Dictionary<string, string> { ["name"] = "x" }, goTemplate: true, out string? missing));
        Assert.Equal(".name | upper", missing);
        Assert.Equal("a-b", Templates.ExpandParameters("{{x}}-{{ y }}", new Dictionary<string, string> { ["x"] = "a", ["y"] = "b" }, goTemplate: false, out _));
    }
}
