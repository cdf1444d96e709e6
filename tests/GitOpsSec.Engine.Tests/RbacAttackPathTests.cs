using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Rbac;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// The attack paths of rbac-police's policies (read for their facts; fixtures written for this suite): per path a
/// minimal grant and near misses (wrong subresource, verb, group, resourceNames, a namespace scope for a cluster-only
/// resource, one half of a two-part path), and the property that removing any one verb of a grant removes the path.
/// </summary>
public sealed class RbacAttackPathTests
{
    private static readonly string Root = Path.Combine(TestPaths.RepoRoot, "tests", "data", "rbac-paths");

    public static TheoryData<string, string> Fixtures()
    {
        var data = new TheoryData<string, string>();
        foreach (string dir in Directory.GetDirectories(Root).Order(StringComparer.Ordinal))
        {
            foreach (string file in Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(dir), Path.GetFileName(file));
            }
        }
        return data;
    }

    private static List<RbacExposure> Exposures(string yaml, bool bootstrap = false)
    {
        using var dir = new TempDir();
        dir.Write("rbac.yaml", yaml);
        var (objects, host) = Scan.Load(dir.Path);
        Assert.Empty(host.Errors);
        return new RbacExposureAnalyzer(RbacModel.Build(objects, new CollectingHost(), bootstrap)).Analyze();
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Each_path_is_found_with_its_chain_and_near_misses_are_not(string capability, string file)
    {
        var exposures = Exposures(File.ReadAllText(Path.Combine(Root, capability, file)));
        var found = exposures.Where(e => e.Capability == capability).ToList();
        if (file.StartsWith("grant", StringComparison.Ordinal))
        {
            var direct = found.Where(x => x.Via is "Direct" or "Annotation").ToList();
            Assert.NotEmpty(direct);
            Assert.All(direct, e =>
            {
                Assert.NotEmpty(e.Path);
                Assert.Equal(capability == "CloudIdentity" ? RbacSubject.ServiceAccount : RbacSubject.User, e.Subject.Kind);
            });
        }
        else
        {
            Assert.Empty(found);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Removing_any_one_verb_of_a_grant_removes_the_path(string capability, string file)
    {
        if (!file.StartsWith("grant", StringComparison.Ordinal) || capability == "CloudIdentity")
        {
            return; // near misses grant nothing to remove; a cloud identity is an annotation, not a verb
        }
        string yaml = File.ReadAllText(Path.Combine(Root, capability, file));
        var verbs = Regex.Matches(yaml, @"verbs: \[([^\]]*)\]");
        Assert.NotEmpty(verbs);
        foreach (Match list in verbs)
        {
            string[] items = list.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (string verb in items)
            {
                string without = yaml[..list.Index] + $"verbs: [{string.Join(", ", items.Where(v => v != verb))}]" + yaml[(list.Index + list.Length)..];
                Assert.DoesNotContain(Exposures(without), e => e.Capability == capability && e.Subject.Name is "mallory");
            }
        }
    }

    [Fact]
    public void CSR_approval_needs_both_halves_and_the_signers_limit_it()
    {
        // Kubernetes' own kube-apiserver-client-approver role grants only the signer half: alone it approves nothing.
        string approval = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: csr-approval}\nrules:\n" +
                          "  - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n";
        string bind(string role) => $"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: m-{role.Replace(':', '-')}}}\n" +
                                    $"subjects: [{{kind: User, name: mallory, apiGroup: rbac.authorization.k8s.io}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"{role}\"}}\n";
        Assert.DoesNotContain(Exposures(bind("system:certificates.k8s.io:kube-apiserver-client-approver"), bootstrap: true), e => e.Capability == "ApproveCertificates");
        Assert.DoesNotContain(Exposures(approval + bind("csr-approval"), bootstrap: true), e => e.Capability == "ApproveCertificates");

        RbacExposure both = Assert.Single(Exposures(approval + bind("csr-approval") + bind("system:certificates.k8s.io:kube-apiserver-client-approver"), bootstrap: true),
            e => e.Capability == "ApproveCertificates");
        Assert.Equal(new[] { "kubernetes.io/kube-apiserver-client" }, both.LimitedTo);
        Assert.Equal(2, both.Path.Count); // the approval rule and the signer rule
        Assert.Contains("kube-apiserver-client-approver", both.Path[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_grant_in_a_privileged_namespace_is_worse_and_the_path_names_the_reachable_service_account()
    {
        string grant(string ns) => $"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: secrets-writer, namespace: {ns}}}\n" +
                                   "rules: [{apiGroups: [\"\"], resources: [secrets], verbs: [create]}]\n---\n" +
                                   $"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: mallory, namespace: {ns}}}\n" +
                                   "subjects: [{kind: User, name: mallory, apiGroup: rbac.authorization.k8s.io}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secrets-writer}\n";
        string powerful = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder, namespace: team}\n---\n" +
                          "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: builder-admin}\n" +
                          "subjects: [{kind: ServiceAccount, name: builder, namespace: team}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n";

        Assert.Equal(Severity.Critical, Assert.Single(Exposures(grant("kube-system")), e => e.Capability == "IssueTokenSecrets").Severity);
        Assert.Equal(Severity.Medium, Assert.Single(Exposures(grant("team")), e => e.Capability == "IssueTokenSecrets").Severity);

        // The same grant where a ServiceAccount of the namespace is cluster-admin: Critical, and the path reaches it.
        var exposures = Exposures(grant("team") + powerful, bootstrap: true);
        Assert.Equal(Severity.Critical, Assert.Single(exposures, e => e.Capability == "IssueTokenSecrets" && e.Subject.Name == "mallory").Severity);
        RbacExposure admin = Assert.Single(exposures, e => e.Capability == "ClusterAdmin" && e.Subject.Name == "mallory");
        Assert.Equal("IssueTokenSecrets", admin.Via);
        Assert.Contains(admin.Path, step => step.Contains("ServiceAccount team/builder", StringComparison.Ordinal));
    }

    [Theory]
    // Kubernetes' bootstrap policy (bootstrap-policy.yaml, from bootstrappolicy/policy.go): edit aggregates
    // create/delete/patch/update on pods, create on pods/eviction and create/update/patch on secrets; view only reads;
    // neither names pods/ephemeralcontainers, pods/status or services/status with a write verb, nor nodes.
    [InlineData("view", "")]
    [InlineData("edit", "IssueTokenSecrets,ModifyPods")]
    [InlineData("admin", "IssueTokenSecrets,ModifyPods")]
    public void The_aggregated_roles_hold_the_new_paths_kubernetes_policy_gives_them(string role, string expected)
    {
        string binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: team}\n" +
                         $"subjects: [{{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\n";
        string[] added = { "EphemeralContainers", "ModifyPods", "ModifyPodStatus", "ModifyServiceStatus", "ModifyNodes", "StealPods", "IssueTokenSecrets", "ModifyAwsAuth", "CloudIdentity" };
        var held = Exposures(binding, bootstrap: true).Where(e => e.Via == "Direct" && added.Contains(e.Capability)).Select(e => e.Capability).Order(StringComparer.Ordinal);
        Assert.Equal(expected, string.Join(",", held));
    }

    [Fact]
    public void A_cloud_identity_is_inherited_by_whoever_can_run_pods_as_the_account()
    {
        string yaml = File.ReadAllText(Path.Combine(Root, "CloudIdentity", "grant.yaml")) +
                      "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: deployer, namespace: media}\n" +
                      "rules: [{apiGroups: [apps], resources: [deployments], verbs: [create]}]\n---\n" +
                      "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ci, namespace: media}\n" +
                      "subjects: [{kind: User, name: ci-bot, apiGroup: rbac.authorization.k8s.io}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}\n";
        var exposures = Exposures(yaml);
        RbacExposure own = Assert.Single(exposures, e => e.Capability == "CloudIdentity" && e.Subject.Name == "uploader");
        Assert.Equal(new[] { "arn:aws:iam::111122223333:role/s3-uploader" }, own.LimitedTo);
        Assert.Contains(exposures, e => e.Capability == "CloudIdentity" && e.Subject.Name == "ci-bot" && e.Via == "PodCreation");
    }
}
