using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Kyverno;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Kyverno;

/// <summary>
/// Test-KyvernoPolicy: evaluates Kyverno validate rules (pattern, anyPattern, anchors, match/exclude)
/// against the repository's manifests offline, without a cluster or the kyverno CLI.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "KyvernoPolicy", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KyvernoRuleResult))]
public sealed class TestKyvernoPolicyCommand : ManifestCollectingCmdlet
{
    /// <summary>Files or folders with ClusterPolicy / Policy documents.</summary>
    [Parameter(Mandatory = true)]
    public string[]? Policy { get; set; }

    /// <summary>Also output Skip results (rules that matched a resource whose conditions did not apply).</summary>
    [Parameter]
    public SwitchParameter IncludeSkipped { get; set; }

    protected override void EndProcessing()
    {
        var policies = KyvernoPolicies.Load(Policy!.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)), ScanHost);
        if (policies.Count == 0)
        {
            WriteError(ToErrorRecord(KyvernoPolicies.NoPolicy(Policy!)));
            return;
        }
        // Namespace objects among the input answer namespaceSelector (a cluster would; offline nothing else can).
        var namespaces = KyvernoPolicies.NamespaceLabels(Objects);
        foreach (ManifestObject resource in Objects.Where(o => !KyvernoPolicy.IsPolicy(o)))
        {
            foreach (KyvernoPolicy policy in policies)
            {
                foreach (KyvernoRuleResult result in KyvernoEvaluator.Evaluate(policy, resource, ns => namespaces.GetValueOrDefault(ns)))
                {
                    if (result.Result != KyvernoResult.Skip || IncludeSkipped)
                    {
                        WriteObject(result);
                    }
                }
            }
        }
    }
}
