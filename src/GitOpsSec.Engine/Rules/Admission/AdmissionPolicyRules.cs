using GitOpsSec.Admission;
using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.Admission;

/// <summary>The verdicts of the repository's CEL admission policies that the two rules below report.</summary>
internal static class AdmissionFindings
{
    public static IEnumerable<(ManifestObject, Violation)> Where(RepositoryContext repository, Func<AdmissionPolicyResult, Severity?> pick)
    {
        foreach (AdmissionPolicyResult r in repository.AdmissionResults)
        {
            if (r.Object is not ManifestObject obj || pick(r) is not Severity severity)
            {
                continue;
            }
            string target = $"{obj.Kind} {(obj.Namespace is null ? string.Empty : obj.Namespace + "/")}{obj.Name}{(r.FromTemplate ? " (the pods it creates)" : string.Empty)}";
            string by = r.Policy + (r.Binding is null ? string.Empty : $" (binding {r.Binding}{(r.Param is null ? string.Empty : ", param " + r.Param)})");
            string verdict = r.Result == AdmissionResult.Error ? "undecided, so not passed" : r.Denied ? "denied" : $"{string.Join(" and ", r.Actions)} only";
            FieldPath path = r.FromTemplate
                ? (obj.Kind == "CronJob" ? FieldPath.Root.Keys("spec", "jobTemplate", "spec", "template") : FieldPath.Root.Keys("spec", "template"))
                : FieldPath.Root.Key("metadata");
            yield return (obj, new Violation(path, target, $"{verdict} by {by}: {r.Message}",
                Evidence: r.Expression is null ? r.Message : $"{r.Expression} -> {r.Message}", Severity: severity));
        }
    }
}

/// <summary>GOS1301: a ValidatingAdmissionPolicy (or Kyverno ValidatingPolicy, or Gatekeeper CEL constraint) will reject the object.</summary>
internal sealed class AdmissionPolicyRejectedRule : IRepositoryRule
{
    public string Id => "GOS1301";

    // Critical when the synced object itself is refused (the sync fails); High for the pods of a workload (it never
    // becomes ready) and for what cannot be decided offline (never a pass).
    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        AdmissionFindings.Where(repository, r => !r.Denied ? null
            : r.Result == AdmissionResult.Error || r.FromTemplate ? Severity.High : Severity.Critical);
}

/// <summary>GOS1302: a failed validation whose binding only warns or audits.</summary>
internal sealed class AdmissionPolicyWarningRule : IRepositoryRule
{
    public string Id => "GOS1302";

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository) =>
        AdmissionFindings.Where(repository, r => r.Result == AdmissionResult.Fail && !r.Denied ? Severity.Medium : null);
}
