using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Rbac;

namespace GitOpsSec.Commands.Rbac;

/// <summary>
/// Get-RbacExposure: per subject, every dangerous capability (read secrets, exec, impersonate, bind,
/// cluster-admin, ...) with the scope and the chain or escalation path that grants it.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RbacExposure", DefaultParameterSetName = PathSet)]
[OutputType(typeof(RbacExposure))]
public sealed class GetRbacExposureCommand : RbacInputCmdlet
{
    /// <summary>Only these subjects: "ServiceAccount ns/name", "User alice", "Group devs", or a name (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Subject { get; set; }

    /// <summary>Only these capabilities (ReadSecrets, ExecIntoPods, ClusterAdmin, ...; wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CapabilityCompleter))]
    public string[]? Capability { get; set; }

    /// <summary>Include system: users and groups and the bootstrap bindings.</summary>
    [Parameter]
    public SwitchParameter IncludeSystem { get; set; }

    /// <summary>Namespaces of the GitOps controller (default argocd, flux-system).</summary>
    [Parameter]
    public string[] ControllerNamespace { get; set; } = { "argocd", "flux-system" };

    protected override void EndProcessing()
    {
        RbacModel model = BuildModel();
        var analyzer = new RbacExposureAnalyzer(model, new RbacExposureOptions { IncludeSystem = IncludeSystem, ControllerNamespaces = ControllerNamespace });
        var subjects = new WildcardFilter(Subject);
        var capabilities = new WildcardFilter(Capability);
        var known = RbacCapabilities.Named.Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (string capability in (Capability ?? Array.Empty<string>()).Where(c => !WildcardPattern.ContainsWildcardCharacters(c) && !known.Contains(c)))
        {
            ReportError(ToErrorRecord(new ScanError(ErrorIds.UnknownFilterValue, ScanErrorCategory.InvalidArgument,
                $"No RBAC capability is named '{capability}'. Capabilities: {string.Join(", ", known.Order(StringComparer.Ordinal))}.", capability)));
        }
        foreach (RbacExposure exposure in analyzer.Analyze())
        {
            RbacSubject s = exposure.Subject;
            if (subjects.Matches(s.ToString(), s.Name, s.UserName, $"{s.Namespace}/{s.Name}") && capabilities.Matches(exposure.Capability))
            {
                WriteObject(exposure);
            }
        }
    }
}
