using System.Text;
using BenchmarkDotNet.Attributes;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Rbac;

/// <summary>
/// RBAC analysis at scale: 5,000 Roles/ClusterRoles and 20,000 bindings over 200 namespaces, loaded
/// from YAML, modelled, then every dangerous capability and escalation path found. As in real
/// clusters, most grants are namespaced: 1 in 20 roles is a ClusterRole, and 1 in 100 is bound
/// cluster-wide. (When thousands of subjects can create pods cluster-wide, each truly inherits every
/// ServiceAccount's power in every namespace and the answer itself has millions of rows.)
/// Run: dotnet run -c Release --project bench/GitOpsSec.Bench -- --filter '*Rbac*'
/// </summary>
[MemoryDiagnoser]
public class RbacBenchmarks
{
    private string _dir = null!;
    private List<ManifestObject> _objects = null!;

    internal List<ManifestObject> Objects => _objects;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "gitopssec-bench-rbac-v2");
        if (!Directory.Exists(_dir))
        {
            Directory.CreateDirectory(_dir);
            var random = new Random(42);
            string[] resources = { "pods", "secrets", "configmaps", "services", "pods/exec", "pods/log", "serviceaccounts/token", "events" };
            string[] verbs = { "get", "list", "watch", "create", "update", "patch", "delete" };
            for (int file = 0; file < 50; file++)
            {
                var sb = new StringBuilder();
                for (int r = 0; r < 100; r++)
                {
                    int id = file * 100 + r;
                    string ns = $"team-{id % 200}";
                    bool cluster = id % 20 == 0;
                    sb.Append($"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {(cluster ? "ClusterRole" : "Role")}\nmetadata:\n  name: role-{id}\n{(cluster ? "" : $"  namespace: {ns}\n")}rules:\n");
                    for (int i = 0; i < 4; i++)
                    {
                        sb.Append($"- apiGroups: [\"\", apps]\n  resources: [{resources[random.Next(resources.Length)]}, deployments]\n  verbs: [{verbs[random.Next(verbs.Length)]}, {verbs[random.Next(verbs.Length)]}]\n");
                    }
                    for (int b = 0; b < 4; b++)
                    {
                        int target = random.Next(200);
                        string bns = cluster ? $"team-{target}" : ns;
                        string kind = cluster && b == 0 && id % 100 == 0 ? "ClusterRoleBinding" : "RoleBinding";
                        sb.Append($"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: bind-{id}-{b}\n{(kind == "RoleBinding" ? $"  namespace: {bns}\n" : "")}roleRef: {{kind: {(cluster ? "ClusterRole" : "Role")}, name: role-{id}}}\nsubjects:\n- {{kind: ServiceAccount, name: sa-{random.Next(20)}, namespace: {bns}}}\n- {{kind: User, name: user-{random.Next(500)}}}\n");
                    }
                }
                File.WriteAllText(Path.Combine(_dir, $"rbac-{file}.yaml"), sb.ToString());
            }
        }
        var host = new CollectingHost();
        using IManifestTree tree = ManifestSource.Open(_dir, null, host)!;
        _objects = new ManifestLoader(new ManifestLoadOptions { RenderKustomize = false }, host).Load(tree).ToList();
        if (_objects.Count != 25_000)
        {
            throw new InvalidOperationException($"expected 25,000 objects, got {_objects.Count}");
        }
    }

    [Benchmark(Description = "Load 25,000 RBAC objects from YAML")]
    public int Load()
    {
        var host = new CollectingHost();
        using IManifestTree tree = ManifestSource.Open(_dir, null, host)!;
        return new ManifestLoader(new ManifestLoadOptions { RenderKustomize = false }, host).Load(tree).Count();
    }

    [Benchmark(Description = "Model + exposures (5,000 roles, 20,000 bindings)")]
    public int Exposures()
    {
        RbacModel model = RbacModel.Build(_objects, new CollectingHost());
        return new RbacExposureAnalyzer(model).Analyze().Count;
    }
}
