using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Rbac;

namespace GitOpsSec.Commands.Rbac;

/// <summary>
/// Test-RbacAccess: an offline `kubectl auth can-i` over the repository's RBAC: Allowed, and every
/// binding → role → rule that allows it.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "RbacAccess", DefaultParameterSetName = PathSet)]
[OutputType(typeof(RbacAccessDecision))]
public sealed class TestRbacAccessCommand : RbacInputCmdlet
{
    /// <summary>"ServiceAccount:ns:name", "ns/name", "system:serviceaccount:ns:name", "User:alice", "Group:devs" or a user name.</summary>
    [Parameter(Mandatory = true)]
    public string? Subject { get; set; }

    /// <summary>get, list, watch, create, update, patch, delete, deletecollection, impersonate, bind, escalate, ...</summary>
    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(VerbCompleter))]
    public string[]? Verb { get; set; }

    /// <summary>As kubectl writes it: pods, pods/exec, deployments.apps, deployments.apps/scale.</summary>
    [Parameter]
    public string? Resource { get; set; }

    /// <summary>API group, when not given in -Resource ("" is the core group).</summary>
    [Parameter]
    public string? ApiGroup { get; set; }

    /// <summary>A subresource such as exec, log, status or token.</summary>
    [Parameter]
    public string? Subresource { get; set; }

    /// <summary>Namespace of the request; omitted: a cluster-wide request.</summary>
    [Parameter]
    public string? Namespace { get; set; }

    /// <summary>A resource name (resourceNames in the roles): can the subject act on this one object?</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>A non-resource URL such as /healthz or /metrics (instead of -Resource).</summary>
    [Parameter]
    public string? NonResourceUrl { get; set; }

    /// <summary>Groups the user belongs to besides those implied (system:authenticated, ServiceAccount groups).</summary>
    [Parameter]
    public string[]? Group { get; set; }

    protected override void EndProcessing()
    {
        if (Resource is null && NonResourceUrl is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give -Resource (e.g. pods, pods/exec, deployments.apps) or -NonResourceUrl."),
                "GitOpsSec.Rbac.RequestRequired", ErrorCategory.InvalidArgument, null));
        }
        var authorizer = new RbacAuthorizer(BuildModel());
        RbacSubject subject = RbacSubject.Parse(Subject!);
        foreach (string verb in Verb!)
        {
            WriteObject(authorizer.Check(subject, BuildRequest(verb), Group));
        }
    }

    private AccessRequest BuildRequest(string verb)
    {
        if (NonResourceUrl is not null)
        {
            return new AccessRequest(verb, string.Empty, string.Empty, NonResourceUrl: NonResourceUrl);
        }
        string resource = Resource!;
        string subresource = Subresource ?? string.Empty;
        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            subresource = resource[(slash + 1)..];
            resource = resource[..slash];
        }
        string group = ApiGroup ?? string.Empty;
        int dot = resource.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0 && ApiGroup is null)
        {
            group = resource[(dot + 1)..];
            resource = resource[..dot];
        }
        return new AccessRequest(verb, group, resource, subresource, Namespace, Name);
    }
}
