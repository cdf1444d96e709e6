using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Vulnerability reports, the audit log and the secret inventory through PowerShell pipelines.</summary>
public class IntegrationCmdletTests
{
    [Fact]
    public void Vulnerability_reports_flow_into_Test_GitOpsRepo_reports_and_the_audit_log()
    {
        using var dir = new TempDir();
        using var session = new PowerShellSession();
        var imported = session.Run("Import-GitOpsVulnerabilityReport ./tests/data/vulnerabilities/trivy-web.json, ./tests/data/vulnerabilities/grype-postgres.json, ./tests/data/vulnerabilities/trivy-schema-1.json -RepositoryPath ./examples/hardened-repo -MinimumSeverity High | ForEach-Object { \"$($_.RuleId) $($_.Severity) $($_.Field)\" }");
        Assert.Equal(new[] { "GitOpsSec.Vulnerability.UnknownFormat" }, imported.ErrorIds);
        Assert.Equal(new object[] { "GOS8001 Critical CVE-2026-0100", "GOS8001 High CVE-2026-0001" }, imported.Output.Select(o => o.BaseObject).OrderBy(x => x));

        var summary = session.Run("Test-GitOpsRepo ./examples/hardened-repo -VulnerabilityReport ./tests/data/vulnerabilities/grype-postgres.json -FailOn High -Summary -ErrorVariable gosErr -ErrorAction SilentlyContinue; $gosErr[-1].FullyQualifiedErrorId");
        Assert.Equal(1, (int)summary.Output[0].Properties["Failing"].Value);
        Assert.StartsWith("GitOpsSec.Policy.Failed", (string)summary.Output[^1].BaseObject, StringComparison.Ordinal);

        string log = Path.Combine(dir.Path, "audit.jsonl");
        session.Run("Import-GitOpsVulnerabilityReport ./tests/data/vulnerabilities/trivy-web.json -RepositoryPath ./examples/hardened-repo | Export-GitOpsAuditLog $args[0]", log).AssertNoErrors();
        session.Run("Get-GitOpsChangeLog -Path . -MaxCount 3 | Export-GitOpsAuditLog $args[0]", log).AssertNoErrors();
        var lines = File.ReadAllLines(log);
        Assert.True(lines.Length >= 2);
        Assert.All(lines, l => Assert.StartsWith("{\"@timestamp\":", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"dataset\":\"gitopssec.finding\"", StringComparison.Ordinal));
    }

    [Fact]
    public void External_secret_patterns_are_not_leaks_and_the_inventory_shows_their_source()
    {
        using var dir = new TempDir();
        dir.Write("eso.yaml", "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: db-es, namespace: shop}\nspec:\n  refreshInterval: 1h\n  secretStoreRef: {kind: ClusterSecretStore, name: vault}\n  target: {name: db}\n  data: [{secretKey: password, remoteRef: {key: shop/db, property: password}}]\n---\napiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: kv, namespace: shop}\nspec: {provider: azure, parameters: {keyvaultName: shop-kv, objects: \"array: [objectName: db-password]\"}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    metadata: {annotations: {vault.hashicorp.com/agent-inject-secret-db: database/creds/api}}\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0\n          env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]\n");
        using var session = new PowerShellSession(dir.Path);
        Assert.Empty(session.Run("Find-GitOpsSecret").Output);
        Assert.Empty(session.Run("Test-GitOpsManifest -Rule GOS2001").Output);
        var inventory = session.Run("Get-GitOpsSecretReference | ForEach-Object { \"$($_.Secret) $($_.Source)\" }");
        inventory.AssertNoErrors();
        Assert.Equal(new object[] { "database/creds/api VaultAgent", "db ExternalSecret" }, inventory.Output.Select(o => o.BaseObject).OrderBy(x => x));
        Assert.Single(session.Run("Get-GitOpsSecretReference -Source VaultAgent").Output);
    }
}
