using System.Management.Automation;
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
        var subjects = Subject?.Select(s => new WildcardPattern(s, WildcardOptions.IgnoreCase)).ToList();
        var capabilities = Capability?.Select(s => new WildcardPattern(s, WildcardOptions.IgnoreCase)).ToList();
        foreach (RbacExposure exposure in analyzer.Analyze())
        {
            bool subjectOk = subjects is null || subjects.Any(p => p.IsMatch(exposure.Subject.ToString()) || p.IsMatch(exposure.Subject.Name) ||
                                                                 p.IsMatch(exposure.Subject.UserName) ||
                                                                 p.IsMatch($"{exposure.Subject.Namespace}/{exposure.Subject.Name}"));
            if (subjectOk && (capabilities is null || capabilities.Any(p => p.IsMatch(exposure.Capability))))
            {
                WriteObject(exposure);
            }
        }
    }
}
