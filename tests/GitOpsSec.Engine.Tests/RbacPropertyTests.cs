using System.Diagnostics;
using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rbac;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// Seeded property-based tests of the RBAC model and authorizer: random roles, bindings and requests
/// (with wildcards, subresources, resourceNames, non-resource URLs, garbage field types) must never
/// throw, must report malformed input with the documented ids, and must keep the authorizer's laws:
/// a grant never shrinks access (monotonic), a RoleBinding never reaches outside its namespace, and a
/// decision is explained by the grants it lists.
/// </summary>
public class RbacPropertyTests
{
    private static readonly string[] Verbs = { "get", "list", "watch", "create", "update", "patch", "delete", "escalate", "bind", "impersonate", "*" };
    private static readonly string[] Groups = { "", "apps", "batch", "rbac.authorization.k8s.io", "*" };
    private static readonly string[] Resources = { "pods", "pods/exec", "pods/log", "secrets", "deployments", "deployments/scale", "*/scale", "roles", "*", "configmaps" };
    private static readonly string[] Names = { "a", "b", "db" };
    private static readonly string[] Namespaces = { "team-a", "team-b", "prod" };

    private static string Pick(Random r, string[] from) => from[r.Next(from.Length)];

    private static string List(Random r, string[] from, int max) =>
        "[" + string.Join(", ", Enumerable.Range(0, r.Next(1, max + 1)).Select(_ => "\"" + Pick(r, from) + "\"").Distinct()) + "]";

    private static string Rule(Random r)
    {
        if (r.Next(8) == 0)
        {
            return $"  - verbs: {List(r, new[] { "get", "post", "*" }, 2)}\n    nonResourceURLs: {List(r, new[] { "/healthz", "/metrics", "/api/*", "*" }, 2)}\n";
        }
        string names = r.Next(4) == 0 ? $"\n    resourceNames: {List(r, Names, 2)}" : string.Empty;
        return $"  - apiGroups: {List(r, Groups, 2)}\n    resources: {List(r, Resources, 3)}\n    verbs: {List(r, Verbs, 3)}{names}\n";
    }

    /// <summary>A random model: cluster roles, namespaced roles, and bindings of three service accounts and a group.</summary>
    private static string Model(Random r, int roles)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < roles; i++)
        {
            bool cluster = r.Next(2) == 0;
            string ns = Pick(r, Namespaces);
            sb.Append($"apiVersion: rbac.authorization.k8s.io/v1\nkind: {(cluster ? "ClusterRole" : "Role")}\nmetadata: {{name: role-{i}{(cluster ? string.Empty : $", namespace: {ns}")}}}\nrules:\n");
            for (int k = r.Next(1, 4); k > 0; k--)
            {
                sb.Append(Rule(r));
            }
            sb.Append("---\n");
            string subject = r.Next(4) == 0 ? "{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}"
                : $"{{kind: ServiceAccount, name: sa-{r.Next(3)}, namespace: {Pick(r, Namespaces)}}}";
            bool clusterBinding = cluster && r.Next(2) == 0;
            sb.Append(clusterBinding
                ? $"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: bind-{i}}}\n"
                : $"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: bind-{i}, namespace: {ns}}}\n");
            sb.Append($"subjects: [{subject}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {(cluster ? "ClusterRole" : "Role")}, name: role-{i}}}\n---\n");
        }
        return sb.ToString();
    }

    private static List<ManifestObject> Load(string yaml, CollectingHost host) =>
        YamlDocumentReader.Read(yaml, "rbac.yaml", LoadLimits.Default, host.Error)
            .Where(d => d.Root is YMapping m && m.Text("kind") is not null && m.Text("apiVersion") is not null)
            .Select(d => new ManifestObject((YMapping)d.Root, "rbac.yaml", d.Root.Line, d.Index))
            .ToList();

    private static AccessRequest Request(Random r)
    {
        if (r.Next(8) == 0)
        {
            return new AccessRequest(Pick(r, new[] { "get", "post" }), string.Empty, string.Empty, NonResourceUrl: Pick(r, new[] { "/healthz", "/metrics", "/api/v1", "/apis" }));
        }
        string resource = Pick(r, new[] { "pods", "secrets", "deployments", "roles", "configmaps" });
        string sub = r.Next(4) == 0 ? Pick(r, new[] { "exec", "log", "scale" }) : string.Empty;
        return new AccessRequest(Pick(r, Verbs.Where(v => v != "*").ToArray()), Pick(r, Groups.Where(g => g != "*").ToArray()), resource, sub,
            Pick(r, Namespaces), r.Next(3) == 0 ? Pick(r, Names) : null);
    }

    private static readonly RbacSubject[] Subjects =
    {
        new(RbacSubject.ServiceAccount, "sa-0", "team-a"), new(RbacSubject.ServiceAccount, "sa-1", "team-b"),
        new(RbacSubject.ServiceAccount, "sa-2", "prod"), new(RbacSubject.Group, "devs"),
    };

    [Fact]
    public void Adding_a_rule_never_takes_access_away_and_every_allow_is_explained_by_its_grants()
    {
        var random = new Random(314159);
        var watch = Stopwatch.StartNew();
        int allowed = 0, checkedRequests = 0;
        for (int round = 0; round < 150; round++)
        {
            string yaml = Model(random, random.Next(1, 8));
            var host = new CollectingHost();
            var before = new RbacAuthorizer(RbacModel.Build(Load(yaml, host), host, includeBootstrap: false));
            // The same model with one more rule appended to a new role bound to everyone considered.
            string extraRule = Rule(random);
            string extended = yaml + "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: extra}\nrules:\n" + extraRule +
                              "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: extra}\n" +
                              "subjects: [{kind: ServiceAccount, name: sa-0, namespace: team-a}, {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]\n" +
                              "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: extra}\n";
            var after = new RbacAuthorizer(RbacModel.Build(Load(extended, host), host, includeBootstrap: false));
            Assert.All(host.Errors, e => Assert.StartsWith("GitOpsSec.", e.ErrorId, StringComparison.Ordinal));
            for (int q = 0; q < 30; q++)
            {
                AccessRequest request = Request(random);
                RbacSubject subject = Subjects[random.Next(Subjects.Length)];
                RbacAccessDecision b = before.Check(subject, request), a = after.Check(subject, request);
                checkedRequests++;
                if (b.Allowed)
                {
                    allowed++;
                    Assert.True(a.Allowed, $"adding a rule removed access: {subject} {request}\n{extended}");
                    // An allow is explained: some listed grant's rule allows the request, in the request's scope.
                    Assert.Contains(b.Grants, g => RbacMatching.RuleAllows(g.Rule, request) &&
                                                   (g.Binding.IsClusterWide || g.Binding.Namespace == request.Namespace));
                }
                else
                {
                    Assert.Empty(b.Grants);
                }
            }
        }
        Assert.True(allowed > 50 && allowed < checkedRequests - 50, $"{allowed} of {checkedRequests} allowed: the generator no longer explores both outcomes");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_RoleBinding_never_grants_outside_its_namespace()
    {
        var random = new Random(2718);
        for (int round = 0; round < 200; round++)
        {
            // Only RoleBindings: whatever the roles say (ClusterRoles included), access stays in the binding's namespace.
            string yaml = Model(random, random.Next(1, 6)).Replace("kind: ClusterRoleBinding\nmetadata: {name: bind-", "kind: RoleBinding\nmetadata: {namespace: team-a, name: bind-", StringComparison.Ordinal);
            var host = new CollectingHost();
            var authorizer = new RbacAuthorizer(RbacModel.Build(Load(yaml, host), host, includeBootstrap: false));
            var boundNamespaces = Load(yaml, host).Where(o => o.Kind == "RoleBinding").Select(o => o.Namespace).ToHashSet();
            for (int q = 0; q < 20; q++)
            {
                AccessRequest request = Request(random);
                if (request.IsNonResource)
                {
                    Assert.False(authorizer.Check(Subjects[random.Next(Subjects.Length)], request).Allowed, "a RoleBinding granted a non-resource URL");
                    continue;
                }
                RbacAccessDecision d = authorizer.Check(Subjects[random.Next(Subjects.Length)], request);
                if (d.Allowed)
                {
                    Assert.Contains(request.Namespace, boundNamespaces);
                }
            }
        }
    }

    [Fact]
    public void Random_and_garbage_rbac_documents_are_reported_never_thrown()
    {
        var random = new Random(1618);
        string[] junk = { "verbs: get", "verbs: [1, {a: b}]", "resources: {x: y}", "apiGroups: null", "rules: 5", "rules: [[]]", "roleRef: []",
                          "roleRef: {kind: Role}", "subjects: {kind: User}", "subjects: [{kind: Alien, name: x}]", "subjects: [{}]", "metadata: []", "rules: [{verbs: [\"*\"]}]" };
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 2000; i++)
        {
            var sb = new StringBuilder();
            string kind = Pick(random, new[] { "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding" });
            sb.Append($"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: x{i}, namespace: team-a}}\n");
            foreach (string line in Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(random, junk)).Distinct())
            {
                sb.Append(line).Append('\n');
            }
            var host = new CollectingHost();
            var objects = Load(sb.ToString() + "---\n" + Model(random, 1), host);
            RbacModel model = RbacModel.Build(objects, host, includeBootstrap: false);
            new RbacAuthorizer(model).Check(Subjects[random.Next(Subjects.Length)], Request(random));
            new RbacExposureAnalyzer(model).Analyze();
            Assert.All(host.Errors, e => Assert.StartsWith("GitOpsSec.", e.ErrorId, StringComparison.Ordinal));
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }
}
