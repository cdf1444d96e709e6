using GitOpsSec.Admission;
using GitOpsSec.Diagnostics;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>ValidatingAdmissionPolicy semantics over real YAML, and what happens to bad policies.</summary>
public class AdmissionPolicyTests
{
    private static (List<AdmissionPolicyResult> Results, CollectingHost Host) Run(string yaml)
    {
        using var dir = new TempDir();
        dir.Write("all.yaml", yaml);
        var (objects, loadHost) = Scan.Load(dir.Path);
        Assert.True(loadHost.Errors.Count == 0, string.Join("\n", loadHost.Errors.Select(e => e.Message)) + "\n" + yaml);
        var host = new CollectingHost();
        var set = new AdmissionPolicySet(objects, host);
        return (set.Evaluate(objects).ToList(), host);
    }

    private const string Policy = """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: p}
        spec:
          matchConstraints:
            resourceRules:
              - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}
          validations:
            - expression: "object.data.size() < 3"
              message: "too many keys"
        ---

        """;

    private const string Cm = "\n" + """
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: big, namespace: team}
        data: {a: "1", b: "2", c: "3"}
        """;

    [Fact]
    public void An_object_no_binding_selects_gives_nothing()
    {
        var (results, _) = Run(Policy + Cm);
        Assert.Empty(results);
    }

    [Theory]
    [InlineData("[Deny]", AdmissionResult.Fail, true)]
    [InlineData("[Warn, Audit]", AdmissionResult.Fail, false)]
    public void Validation_actions_decide_whether_a_failure_denies(string actions, AdmissionResult expected, bool denied)
    {
        var (results, _) = Run(Policy + $"""
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {"{"}name: b{"}"}
            spec: {"{"}policyName: p, validationActions: {actions}{"}"}
            """ + Cm);
        AdmissionPolicyResult r = Assert.Single(results);
        Assert.Equal(expected, r.Result);
        Assert.Equal(denied, r.Denied);
        Assert.Equal("too many keys", r.Message);
        Assert.Equal("object.data.size() < 3", r.Expression);
    }

    [Fact]
    public void A_namespace_selector_for_a_namespace_the_repository_does_not_define_is_undecided_not_passed()
    {
        var (results, _) = Run(Policy + """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: b}
            spec:
              policyName: p
              validationActions: [Deny]
              matchResources:
                namespaceSelector: {matchLabels: {env: prod}}
            """ + Cm);
        AdmissionPolicyResult r = Assert.Single(results);
        Assert.Equal(AdmissionResult.Error, r.Result);
        Assert.True(r.Denied);
        Assert.Contains("namespace 'team'", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_that_does_not_compile_is_an_error_record_and_the_other_policies_still_run()
    {
        var (results, host) = Run("""
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: broken}
            spec:
              matchConstraints:
                resourceRules:
                  - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}
              validations:
                - expression: "object.data.size( < 3"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: broken}
            spec: {policyName: broken, validationActions: [Deny]}
            ---

            """ + Policy + """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: b}
            spec: {policyName: p, validationActions: [Deny]}
            """ + Cm);
        ScanError e = Assert.Single(host.Errors);
        Assert.Equal("GitOpsSec.Admission.CompileError", e.ErrorId);
        Assert.Contains("ValidatingAdmissionPolicy/broken validations[0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("at position 18", e.Message, StringComparison.Ordinal);
        Assert.Contains(results, r => r.Policy == "ValidatingAdmissionPolicy/p" && r.Result == AdmissionResult.Fail);
        // The broken expression is an error under failurePolicy Fail, never a pass.
        Assert.Contains(results, r => r.Policy == "ValidatingAdmissionPolicy/broken" && r.Result == AdmissionResult.Error && r.Denied);
    }

    [Fact]
    public void Params_by_selector_evaluate_once_per_param_and_a_missing_param_follows_parameterNotFoundAction()
    {
        string policy = """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: limit}
            spec:
              paramKind: {apiVersion: v1, kind: ConfigMap}
              matchConstraints:
                resourceRules:
                  - {apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["deployments"]}
              validations:
                - expression: "object.spec.replicas <= int(params.data.max)"
                  messageExpression: "'limit ' + params.metadata.name"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: by-label}
            spec:
              policyName: limit
              validationActions: [Deny]
              paramRef:
                selector: {matchLabels: {kind: limit}}
                parameterNotFoundAction: Deny
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: strict, namespace: shop, labels: {kind: limit}}
            data: {max: "2"}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: loose, namespace: shop, labels: {kind: limit}}
            data: {max: "10"}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec: {replicas: 5, template: {spec: {containers: [{name: a, image: a}]}}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: elsewhere}
            spec: {replicas: 1, template: {spec: {containers: [{name: a, image: a}]}}}
            """;
        var (results, _) = Run(policy);
        var shop = results.Where(r => r.Namespace == "shop").ToList();
        Assert.Equal(2, shop.Count);
        Assert.Contains(shop, r => r.Param == "ConfigMap/shop/strict" && r.Result == AdmissionResult.Fail && r.Message == "limit strict");
        Assert.Contains(shop, r => r.Param == "ConfigMap/shop/loose" && r.Result == AdmissionResult.Pass);
        // No ConfigMap in namespace elsewhere: Deny.
        AdmissionPolicyResult missing = Assert.Single(results, r => r.Namespace == "elsewhere");
        Assert.Equal(AdmissionResult.Fail, missing.Result);
        Assert.Contains("no params found", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gatekeeper_constraint_whose_namespace_selector_cannot_be_decided_is_an_error()
    {
        var (results, _) = Run("""
            apiVersion: templates.gatekeeper.sh/v1
            kind: ConstraintTemplate
            metadata: {name: maxkeys}
            spec:
              crd: {spec: {names: {kind: MaxKeys}}}
              targets:
                - target: admission.k8s.gatekeeper.sh
                  code:
                    - engine: K8sNativeValidation
                      source:
                        validations:
                          - expression: "object.data.size() <= variables.params.max"
            ---
            apiVersion: constraints.gatekeeper.sh/v1beta1
            kind: MaxKeys
            metadata: {name: two}
            spec:
              match:
                kinds: [{apiGroups: [""], kinds: ["ConfigMap"]}]
                namespaceSelector: {matchLabels: {env: prod}}
              parameters: {max: 2}
            """ + Cm);
        AdmissionPolicyResult r = Assert.Single(results);
        Assert.Equal(AdmissionResult.Error, r.Result);
        Assert.Contains("namespace 'team'", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gatekeeper_rego_templates_are_listed_as_not_evaluated()
    {
        var (results, _) = Run("""
            apiVersion: templates.gatekeeper.sh/v1
            kind: ConstraintTemplate
            metadata: {name: k8srequiredlabels}
            spec:
              crd: {spec: {names: {kind: K8sRequiredLabels}}}
              targets:
                - target: admission.k8s.gatekeeper.sh
                  rego: |
                    package k8srequiredlabels
                    violation[{"msg": "x"}] { true }
            ---
            apiVersion: constraints.gatekeeper.sh/v1beta1
            kind: K8sRequiredLabels
            metadata: {name: need-owner}
            spec:
              match: {kinds: [{apiGroups: [""], kinds: ["ConfigMap"]}]}
            """ + Cm);
        AdmissionPolicyResult r = Assert.Single(results);
        Assert.Equal(AdmissionResult.NotEvaluated, r.Result);
        Assert.False(r.Result == AdmissionResult.Pass);
    }
}
