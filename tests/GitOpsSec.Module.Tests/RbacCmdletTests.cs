using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

public class RbacCmdletTests
{
    [Fact]
    public void Get_RbacExposure_reports_subjects_capabilities_and_paths_on_the_pipeline()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Get-RbacExposure ./examples/insecure-repo | Where-Object Severity -eq 'Critical' | ForEach-Object { \"$($_.Subject)|$($_.Capability)|$($_.Scope)|$($_.Via)\" }");
        result.AssertNoErrors();
        var rows = result.Output.Select(o => (string)o.BaseObject).ToList();
        Assert.Contains("User release-bot@example.com|Impersonate|cluster|Direct", rows);
        Assert.Contains("ServiceAccount argocd/deployer|TamperWithGitOpsController|cluster|Direct", rows);
        Assert.Contains("ServiceAccount payments-prod/default|Impersonate|payments-prod|Direct", rows);

        var filtered = session.Run("Get-RbacExposure ./examples/insecure-repo -Subject 'ServiceAccount argocd/*' -Capability Read*");
        filtered.AssertNoErrors();
        Assert.All(filtered.Output, o => Assert.Equal("ReadSecrets", (string)o.Properties["Capability"].Value));
        Assert.Equal(new[] { "Direct", "PodCreation" }, filtered.Output.Select(o => (string)o.Properties["Via"].Value).OrderBy(v => v));

        var hardened = session.Run("Get-RbacExposure ./examples/hardened-repo");
        hardened.AssertNoErrors();
        Assert.Empty(hardened.Output);
    }

    [Fact]
    public void Test_RbacAccess_answers_can_i_with_the_granting_chain()
    {
        using var session = new PowerShellSession();
        var yes = session.Run("Test-RbacAccess ./examples/insecure-repo -Subject Group:payments-developers -Verb create, delete -Resource pods/exec -Namespace payments-prod");
        yes.AssertNoErrors();
        Assert.Equal(new[] { true, false }, yes.Output.Select(o => (bool)o.Properties["Allowed"].Value));
        Assert.Contains("RoleBinding payments-prod/payments-developers -> Role payments-prod/debugger", (string)yes.Output[0].Properties["Reason"].Value, StringComparison.Ordinal);

        var piped = session.Run("Get-GitOpsManifest ./examples/insecure-repo | Test-RbacAccess -Subject system:serviceaccount:argocd:deployer -Verb patch -Resource deployments.apps -Namespace anywhere");
        piped.AssertNoErrors();
        Assert.True((bool)piped.Single().Allowed);

        var missing = session.Run("try { Test-RbacAccess ./examples/insecure-repo -Subject User:x -Verb get } catch { $_.FullyQualifiedErrorId }");
        Assert.StartsWith("GitOpsSec.Rbac.RequestRequired", (string)missing.SingleValue(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_binding_to_a_missing_role_is_a_non_terminating_error_and_analysis_goes_on()
    {
        using var dir = new TempDir();
        dir.Write("rbac.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: lost, namespace: ns}\nroleRef: {kind: Role, name: gone}\nsubjects: [{kind: User, name: bob}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ok, namespace: ns}\nroleRef: {kind: ClusterRole, name: edit}\nsubjects: [{kind: User, name: bob}]\n");
        using var session = new PowerShellSession();
        var result = session.Run("Get-RbacExposure $args[0] -Subject bob -Capability ReadSecrets", dir.Path);
        Assert.Equal(new[] { "GitOpsSec.Rbac.RoleNotFound" }, result.ErrorIds);
        Assert.Equal("ns", (string)result.Single().Scope);
    }
}

public class NetworkCmdletTests
{
    [Fact]
    public void Coverage_per_namespace_and_per_workload_on_the_examples()
    {
        using var session = new PowerShellSession();
        var hardened = session.Run("Get-NetworkPolicyCoverage ./examples/hardened-repo -ByNamespace | ForEach-Object { \"$($_.Namespace)|$($_.DefaultDenyIngress)|$($_.DefaultDenyEgress)|$($_.Workloads)|$($_.IngressRestricted)\" }");
        hardened.AssertNoErrors();
        Assert.Equal(new[] { "data|True|True|1|1", "web-prod|True|True|2|2" }, hardened.Output.Select(o => (string)o.BaseObject));

        var web = session.Run("Get-NetworkPolicyCoverage ./examples/hardened-repo | Where-Object Name -eq 'web'");
        Assert.Equal(new[] { "default-deny", "web-from-ingress" }, ((string[])web.Single().Policies).OrderBy(p => p));

        var insecure = session.Run("Get-NetworkPolicyCoverage ./examples/insecure-repo | Where-Object { -not $_.IngressRestricted } | ForEach-Object Name");
        Assert.Contains("prod-payments-api", insecure.Output.Select(o => (string)o.BaseObject));
        // One GOS5001 finding per namespace with workloads and no default deny; the message names the namespace.
        var namespaces = session.Run("Test-GitOpsManifest ./examples/insecure-repo -Rule GOS5001 | ForEach-Object { $_.Message.Split(' ')[1] }");
        namespaces.AssertNoErrors();
        Assert.Equal(new[] { "default", "logging", "monitoring", "payments-prod" }, namespaces.Output.Select(o => (string)o.BaseObject).OrderBy(x => x));
    }
}
