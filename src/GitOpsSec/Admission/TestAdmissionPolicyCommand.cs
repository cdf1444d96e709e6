using System.Management.Automation;
using GitOpsSec.Admission;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Admission;

/// <summary>
/// Test-AdmissionPolicy: evaluates admission policies written in CEL (ValidatingAdmissionPolicy with its bindings
/// and params, Kyverno ValidatingPolicy, Gatekeeper ConstraintTemplates with K8sNativeValidation and their
/// constraints) against manifests offline, as the API server would for a CREATE by the sync identity.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "AdmissionPolicy", DefaultParameterSetName = PathSet)]
[OutputType(typeof(AdmissionPolicyResult))]
public sealed class TestAdmissionPolicyCommand : ManifestCollectingCmdlet
{
    /// <summary>
    /// Files or folders with the policies, bindings, constraints and param objects. Without it, the policies among
    /// the manifests themselves are used (what Test-GitOpsRepo does).
    /// </summary>
    [Parameter]
    public string[]? Policy { get; set; }

    /// <summary>Also output Pass results (every policy that applied and held).</summary>
    [Parameter]
    public SwitchParameter IncludePass { get; set; }

    /// <summary>request.userInfo.username of the offline CREATE: the identity that syncs the repository.</summary>
    [Parameter]
    public string SyncIdentity { get; set; } = "system:serviceaccount:argocd:argocd-application-controller";

    protected override void EndProcessing()
    {
        var policyObjects = new List<ManifestObject>();
        if (Policy is not null)
        {
            var loader = new ManifestLoader(new ManifestLoadOptions { RenderKustomize = false, ResolveApplications = false }, ScanHost);
            foreach (string path in Policy.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)))
            {
                using IManifestTree? tree = ManifestSource.Open(path, null, ScanHost);
                if (tree is not null)
                {
                    policyObjects.AddRange(loader.Load(tree));
                }
            }
        }
        var context = Objects.Concat(policyObjects).ToList();
        var set = new AdmissionPolicySet(context, ScanHost, SyncIdentity);
        if (set.IsEmpty)
        {
            WriteError(ToErrorRecord(new ScanError("GitOpsSec.Admission.NoPolicy", ScanErrorCategory.ObjectNotFound,
                "No ValidatingAdmissionPolicy, Kyverno ValidatingPolicy or Gatekeeper ConstraintTemplate was found" +
                (Policy is null ? " among the manifests; give them with -Policy." : " in the -Policy paths or the manifests."),
                string.Join(", ", Policy ?? Array.Empty<string>()))));
            return;
        }
        foreach (AdmissionPolicyResult result in set.Evaluate(Objects, context))
        {
            if (result.Result != AdmissionResult.Pass || IncludePass)
            {
                WriteObject(result);
            }
        }
    }
}
