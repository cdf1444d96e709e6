using GitOpsSec.Manifests;
using GitOpsSec.Rbac;

namespace GitOpsSec.Rules.Rbac;

/// <summary>
/// GOS3100: every dangerous capability a subject holds (what Get-RbacExposure lists), as findings on the
/// binding that grants it, with the capability's own severity, so Test-GitOpsRepo and reports carry them.
/// </summary>
internal sealed class DangerousCapabilityRule : IRepositoryRule
{
    public string Id => "GOS3100";
    public RepositoryModels Reads => RepositoryModels.Rbac;

    public IEnumerable<(ManifestObject, Violation)> Evaluate(RepositoryContext repository)
    {
        RbacModel model = repository.Rbac;
        foreach (RbacExposure e in new RbacExposureAnalyzer(model).Analyze())
        {
            if (e.BindingObject?.Source is not ManifestObject binding || binding.Node.Seq("subjects") is not YSequence subjects)
            {
                continue;
            }
            RbacSubject holder = e.Subject; // derived exposures start at the holder's own binding
            int index = Enumerable.Range(0, subjects.Items.Count).FirstOrDefault(i =>
                subjects.Items[i] is YMapping s && s.Text("name") == holder.Name && s.Text("kind") == holder.Kind);
            FieldPath path = FieldPath.Root.Key("subjects").Item(index, subjects.Items.ElementAtOrDefault(index)).Key($"{e.Capability}@{e.Scope}");
            string how = e.Via == "Direct" ? string.Empty : $" via {e.Via.ToLowerInvariant()} ({e.Path.Count} steps)";
            string limited = e.LimitedTo.Count > 0 ? $", limited to {string.Join(", ", e.LimitedTo)}" : string.Empty;
            yield return (binding, new Violation(path, e.Subject.ToString(),
                $"{e.Capability} {(e.Scope == "cluster" ? "cluster-wide" : "in namespace " + e.Scope)}{how}{limited}",
                string.Join(" => ", e.Path), e.Severity));
        }
    }
}
