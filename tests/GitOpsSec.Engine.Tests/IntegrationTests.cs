using System.Text.Json;
using GitOpsSec.Diagnostics;
using GitOpsSec.Reports;
using GitOpsSec.Rules.Images;
using GitOpsSec.Secrets;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>Vulnerability reports, the audit log and the secret inventory (issue 12's pieces).</summary>
public class IntegrationTests
{
    private static string Data(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "data", "vulnerabilities", name);

    private static IReadOnlyList<ImageInventoryItem> Hardened() => ImageInventory.Build(Scan.Load(Path.Combine(TestPaths.Examples, "hardened-repo")).Objects);

    [Fact]
    public void Trivy_and_Grype_reports_become_findings_on_the_workloads_that_run_the_image()
    {
        var trivy = VulnerabilityReports.Read(Data("trivy-web.json"));
        var grype = VulnerabilityReports.Read(Data("grype-postgres.json"));
        Assert.Equal(new[] { "CVE-2026-0001", "CVE-2026-0002" }, trivy.Select(v => v.Id));
        Assert.Equal((Severity.Critical, "16.5-1.pgdg120+1"), (grype[0].Severity, grype[0].FixedVersion));

        var findings = VulnerabilityReports.ToFindings(trivy.Concat(grype), Hardened()).ToList();
        var web = findings.Where(f => f.Resource!.Kind == "Deployment").ToList();
        Assert.Equal(new[] { Severity.High, Severity.Low }, web.Select(f => f.Severity));
        Assert.All(web, f => Assert.Equal(("GOS8001", "apps/web/base/deployment.yaml"), (f.RuleId, f.Path)));
        Assert.Contains("fixed in 3.0.15-1~deb12u1", web[0].Message, StringComparison.Ordinal);
        var db = Assert.Single(findings, f => f.Resource!.Kind == "StatefulSet");
        Assert.Equal(("data/postgres.yaml", Severity.Critical, "CVE-2026-0100"), (db.Path, db.Severity, db.Field));
        Assert.Equal(findings.Count, findings.Select(f => f.Fingerprint).Distinct().Count());
        // The same report against a repository that does not deploy the image: nothing.
        Assert.Empty(VulnerabilityReports.ToFindings(trivy, ImageInventory.Build(Scan.Load(Path.Combine(TestPaths.Examples, "insecure-repo")).Objects)));
    }

    [Fact]
    public void Each_workload_finding_points_at_that_workloads_own_reference()
    {
        using var dir = new TempDir();
        const string image = "registry.example.com/web/frontend:3.4.1";
        dir.Write("a.yaml", $"apiVersion: v1\nkind: Pod\nmetadata: {{name: twice, namespace: x}}\nspec:\n  initContainers: [{{name: i, image: {image}}}]\n  containers: [{{name: c, image: {image}}}]\n");
        dir.Write("b.yaml", $"apiVersion: v1\nkind: Pod\nmetadata: {{name: once, namespace: x}}\nspec:\n  containers: [{{name: c, image: {image}}}]\n");
        var findings = VulnerabilityReports.ToFindings(VulnerabilityReports.Read(Data("trivy-web.json")), ImageInventory.Build(Scan.Load(dir.Path).Objects))
            .Where(f => f.Field == "CVE-2026-0001").ToList();
        Assert.Equal(("a.yaml", 6), findings.Where(f => f.Resource!.Name == "twice").Select(f => (f.Path, f.Line)).Single());
        Assert.Equal(("b.yaml", 5), findings.Where(f => f.Resource!.Name == "once").Select(f => (f.Path, f.Line)).Single());
    }

    [Fact]
    public void A_filesystem_report_points_at_the_lockfile()
    {
        var f = Assert.Single(VulnerabilityReports.ToFindings(VulnerabilityReports.Read(Data("trivy-fs.json")), Hardened()));
        Assert.Equal(("tools/requirements.txt", Severity.Medium, "CVE-2026-0200"), (f.Path, f.Severity, f.Field));
        Assert.Null(f.Resource);
    }

    [Theory]
    [InlineData("trivy-schema-1.json", "GitOpsSec.Vulnerability.UnknownFormat")]
    [InlineData("not-a-report.json", "GitOpsSec.Vulnerability.UnknownFormat")]
    [InlineData("does-not-exist.json", "GitOpsSec.Vulnerability.ReadFailed")]
    public void Bad_reports_are_errors_with_stable_ids(string file, string errorId) =>
        Assert.Equal(errorId, Assert.Throws<GitOpsSecOperationException>(() => VulnerabilityReports.Read(Data(file))).ErrorId);

    [Fact]
    public void Audit_log_lines_are_ECS_documents()
    {
        var finding = VulnerabilityReports.ToFindings(VulnerabilityReports.Read(Data("grype-postgres.json")), Hardened()).First();
        using var doc = JsonDocument.Parse(AuditLogWriter.Line(finding, "0.1.0", DateTimeOffset.Parse("2026-11-24T00:00:00Z")));
        var root = doc.RootElement;
        Assert.Equal("2026-11-24T00:00:00.0000000+00:00", root.GetProperty("@timestamp").GetString());
        Assert.Equal("alert", root.GetProperty("event").GetProperty("kind").GetString());
        Assert.Equal("configuration", root.GetProperty("event").GetProperty("category")[0].GetString());
        Assert.Equal("GOS8001", root.GetProperty("rule").GetProperty("id").GetString());
        Assert.Equal("data", root.GetProperty("kubernetes").GetProperty("namespace").GetString());
        Assert.Equal("data/postgres.yaml", root.GetProperty("file").GetProperty("path").GetString());

        using var dir = new TempDir();
        dir.Write("ci.env", $"T={FakeTokens.GitHub(300)}\n");
        var secret = SecretSearch.ScanPaths(new[] { dir.Path }, new SecretScanOptions(), new CollectingHost(), new()).Single();
        string line = AuditLogWriter.Line(secret, "0.1.0");
        Assert.DoesNotContain(FakeTokens.GitHub(300), line, StringComparison.Ordinal);
        Assert.Contains("\"dataset\":\"gitopssec.finding\"", line, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => AuditLogWriter.Line("not a record", "0.1.0"));
    }

    [Fact]
    public void The_secret_inventory_names_the_source_of_every_secret()
    {
        using var dir = new TempDir();
        dir.Write("app.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: shop}
            spec:
              template:
                metadata:
                  annotations:
                    vault.hashicorp.com/agent-inject: "true"
                    vault.hashicorp.com/agent-inject-secret-db: database/creds/api
                spec:
                  imagePullSecrets: [{name: regcred}]
                  containers:
                    - name: api
                      image: registry.example.com/api:1.0
                      env:
                        - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
                        - {name: STRIPE_TOKEN, valueFrom: {secretKeyRef: {name: stripe, key: token}}}
                        - {name: LEGACY_API_KEY, value: "k3y-in-the-manifest"}
                      envFrom: [{secretRef: {name: plain}}]
                  volumes:
                    - name: certs
                      csi: {driver: secrets-store.csi.k8s.io, readOnly: true, volumeAttributes: {secretProviderClass: azure-kv}}
            ---
            apiVersion: bitnami.com/v1alpha1
            kind: SealedSecret
            metadata: {name: db, namespace: shop}
            spec: {encryptedData: {password: AgBy3i4OJSWK}}
            ---
            apiVersion: external-secrets.io/v1beta1
            kind: ExternalSecret
            metadata: {name: stripe-es, namespace: shop}
            spec: {secretStoreRef: {kind: ClusterSecretStore, name: vault}, target: {name: stripe}}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: plain, namespace: shop}
            stringData: {X: y}
            """);
        var refs = SecretInventory.Build(Scan.Load(dir.Path).Objects);
        var bySecret = refs.ToDictionary(r => r.Secret, r => (r.Via, r.Source));
        Assert.Equal(("env", "SealedSecret"), bySecret["db"]);
        Assert.Equal(("env", "ExternalSecret"), bySecret["stripe"]);
        Assert.Equal(("literal", "Literal"), bySecret["LEGACY_API_KEY"]);
        Assert.Equal(("envFrom", "Secret"), bySecret["plain"]);
        Assert.Equal(("imagePullSecret", "NotInRepository"), bySecret["regcred"]);
        Assert.Equal(("csi", "SecretsStoreCsi"), bySecret["azure-kv"]);
        Assert.Equal(("vault-agent", "VaultAgent"), bySecret["database/creds/api"]);
        Assert.DoesNotContain(refs, r => r.ToString().Contains("k3y-in-the-manifest", StringComparison.Ordinal));
    }
}
