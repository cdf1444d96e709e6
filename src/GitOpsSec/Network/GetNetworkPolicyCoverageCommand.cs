using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Network;

namespace GitOpsSec.Commands.Network;

/// <summary>
/// Get-NetworkPolicyCoverage: per workload, which NetworkPolicies select it and whether its ingress and
/// egress are restricted; with -ByNamespace, per namespace, whether default-deny policies exist.
/// </summary>
[Cmdlet(VerbsCommon.Get, "NetworkPolicyCoverage", DefaultParameterSetName = PathSet)]
[OutputType(typeof(WorkloadNetworkCoverage), typeof(NamespaceNetworkCoverage))]
public sealed class GetNetworkPolicyCoverageCommand : ManifestCollectingCmdlet
{
    /// <summary>One object per namespace instead of one per workload.</summary>
    [Parameter]
    public SwitchParameter ByNamespace { get; set; }

    protected override void EndProcessing()
    {
        var analyzer = new NetworkPolicyAnalyzer(Objects);
        if (ByNamespace)
        {
            WriteObject(analyzer.Namespaces(), enumerateCollection: true);
        }
        else
        {
            WriteObject(analyzer.Workloads(), enumerateCollection: true);
        }
    }
}
