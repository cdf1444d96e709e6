using System.Management.Automation;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Test-AdmissionPolicy through PowerShell: typed output, -Policy paths, stable error ids.</summary>
public class AdmissionCmdletTests
{
    private static string P(PSObject o, string name) => o.Properties[name].Value switch
    {
        System.Collections.IEnumerable list and not string => string.Join(",", list.Cast<object>()),
        var v => v?.ToString() ?? string.Empty,
    };

    [Fact]
    public void The_example_repository_gives_its_documented_verdicts_as_typed_objects()
    {
        using var session = new PowerShellSession();
        var r = session.Run("Test-AdmissionPolicy ./examples/admission-policies");
        r.AssertNoErrors();
        var results = r.Output.OrderBy(o => P(o, "Resource"), StringComparer.Ordinal).ThenBy(o => P(o, "Policy"), StringComparer.Ordinal).ToList();
        Assert.All(results, o => Assert.Equal("GitOpsSec.Admission.AdmissionPolicyResult", o.TypeNames[0]));
        Assert.Equal(new[]
        {
            "Fail Deny Deployment/shop/checkout ValidatingAdmissionPolicy/replica-limit",
            "Fail Deny Deployment/shop/legacy-batch (its pods) ValidatingAdmissionPolicy/trusted-registry",
            "Fail Deny Deployment/shop/orders ValidatingPolicy/require-team-label",
            "Fail Warn Deployment/staging/checkout ValidatingAdmissionPolicy/replica-limit",
        }, results.Select(x => $"{P(x, "Result")} {P(x, "Actions")} {P(x, "Resource")} {P(x, "Policy")}"));
        Assert.Equal("at most 4 replicas in shop, not 8", P(results[0], "Message"));
        Assert.Equal("ConfigMap/platform-policy/replica-limit", P(results[0], "Param"));
        Assert.Equal("True", P(results[1], "FromTemplate"));

        // -IncludePass adds the objects that pass (catalog has a team label, 3 replicas and trusted images).
        var all = session.Run("Test-AdmissionPolicy ./examples/admission-policies -IncludePass | Where-Object Result -eq Pass | ForEach-Object Resource");
        Assert.Contains("Deployment/shop/catalog", all.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Policies_from_other_paths_apply_and_bad_policies_are_error_records_with_stable_ids()
    {
        using var dir = new TempDir();
        string manifests = dir.Write("repo/app.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: shop}
            data: {mode: debug}
            """);
        string policies = dir.Write("policies/p.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: no-debug}
            spec:
              matchConstraints:
                resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
              validations:
                - expression: "object.data.mode != 'debug'"
                  message: "debug mode is not allowed"
                - expression: "object.data.frobnicate()"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: no-debug}
            spec: {policyName: no-debug, validationActions: [Deny]}
            """);
        using var session = new PowerShellSession();
        var r = session.Run("Test-AdmissionPolicy -LiteralPath $args[0] -Policy $args[1]", Path.Combine(dir.Path, "repo"), Path.Combine(dir.Path, "policies"));
        Assert.Equal(new[] { "GitOpsSec.Admission.CompileError" }, r.ErrorIds);
        Assert.Contains("no-debug validations[1]", r.Errors[0].Exception.Message, StringComparison.Ordinal);
        PSObject result = Assert.Single(r.Output);
        // The compiled validation still runs; the broken one makes the result an Error, never a pass.
        Assert.Equal("Error", P(result, "Result"));
        Assert.Equal("True", P(result, "Denied"));

        var none = session.Run("Test-AdmissionPolicy -LiteralPath $args[0]", Path.Combine(dir.Path, "repo"));
        Assert.Equal(new[] { "GitOpsSec.Admission.NoPolicy" }, none.ErrorIds);
        Assert.Empty(none.Output);
    }
}
