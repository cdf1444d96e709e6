using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>A Pod Security Standards control, evaluated on the pod spec of any pod-bearing object.</summary>
internal abstract class PodSecurityRule : IManifestRule
{
    public abstract string Id { get; }

    /// <summary>Restricted controls that the standard waives for pods with spec.os.name windows.</summary>
    protected virtual bool ExemptForWindows => false;

    public IEnumerable<Violation> Evaluate(ManifestObject obj)
    {
        PodSpec? pod = PodSpec.Of(obj);
        if (pod is null || (ExemptForWindows && pod.IsWindows))
        {
            return Enumerable.Empty<Violation>();
        }
        return Check(pod);
    }

    protected abstract IEnumerable<Violation> Check(PodSpec pod);

    protected const string PodTarget = "The pod";
}
