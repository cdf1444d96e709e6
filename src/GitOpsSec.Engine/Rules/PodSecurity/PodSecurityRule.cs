using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// A Pod Security Standards control, evaluated on the pod spec of any pod-bearing object at a level and a
/// Kubernetes version (from the selection), the way pod-security-admission registers it: not before the
/// version it appeared in (<see cref="PodSecurityHistory"/>), Windows pods and pods in a user namespace exempt
/// from the versions that exempt them, and a baseline control replaced at the restricted level by the
/// restricted control that overrides it.
/// </summary>
internal abstract class PodSecurityRule : IManifestRule, IConfigurableRule
{
    public abstract string Id { get; }

    /// <summary>The Kubernetes version whose checks apply. A <see cref="Check"/> that reads it says so in <see cref="ChecksByVersion"/>.</summary>
    protected PodSecurityVersion Version { get; private set; } = PodSecurityVersion.Latest;

    /// <summary>
    /// Whether <see cref="Check"/> reads <see cref="Version"/> (the safe sysctls, SELinux types or seccomp fields of a
    /// version). Every other control's version history is in <see cref="Applies"/>, so its check says the same at
    /// every version and is made once per pod (<see cref="Evaluate(PodSpec, Dictionary{ValueTuple{string, PodSecurityVersion}, Violation[]})"/>).
    /// </summary>
    protected virtual bool ChecksByVersion => false;

    /// <summary>The level being evaluated: it decides overrides (a restricted control replacing a baseline one) in <see cref="Applies"/>; no check reads it.</summary>
    private PodSecurityLevel Level { get; set; } = PodSecurityLevel.Restricted;

    public IRule Configure(RuleSelection selection) => At(selection.Level, selection.KubernetesVersion);

    /// <summary>A copy of the rule evaluating <paramref name="level"/> at <paramref name="version"/>.</summary>
    public PodSecurityRule At(PodSecurityLevel level, PodSecurityVersion version)
    {
        var copy = (PodSecurityRule)MemberwiseClone();
        copy.Level = level;
        copy.Version = version;
        return copy;
    }

    public IEnumerable<Violation> Evaluate(ManifestObject obj) => PodSpec.Of(obj) is PodSpec pod ? Evaluate(pod) : Enumerable.Empty<Violation>();

    /// <summary>The violations of a pod spec already found (several controls and versions check one pod).</summary>
    internal IEnumerable<Violation> Evaluate(PodSpec pod) => Applies(pod) ? Check(pod) : Enumerable.Empty<Violation>();

    /// <summary>
    /// <see cref="Evaluate(PodSpec)"/> with the checks already made for this pod: a check does not read the level, and
    /// reads the version only where <see cref="ChecksByVersion"/> says so, so the configurations of a control at
    /// each level and version share its answers. Empty answers are <see cref="Array.Empty{T}"/>.
    /// </summary>
    internal Violation[] Evaluate(PodSpec pod, Dictionary<(string Id, PodSecurityVersion Version), Violation[]> checks)
    {
        if (!Applies(pod))
        {
            return Array.Empty<Violation>();
        }
        var key = (Id, ChecksByVersion ? Version : PodSecurityVersion.Latest);
        if (!checks.TryGetValue(key, out Violation[]? found))
        {
            found = Check(pod).ToArray();
            found = found.Length == 0 ? Array.Empty<Violation>() : found;
            checks[key] = found;
        }
        return found;
    }

    /// <summary>Whether the control applies to this pod at the configured level and version.</summary>
    private bool Applies(PodSpec pod)
    {
        if (PodSecurityHistory.For(Id) is not PodSecurityHistory.Control control)
        {
            return true;
        }
        if (!Version.AtLeast(control.Since))
        {
            return false;
        }
        if (Level == PodSecurityLevel.Restricted && control.OverriddenAtRestrictedBy is var (_, from) && Version.AtLeast(from))
        {
            return false;
        }
        if (control.WindowsExemptFrom is int windows && Version.AtLeast(windows) && pod.IsWindows)
        {
            return false;
        }
        if (control.UserNamespaceRelaxedFrom is int userns && Version.AtLeast(userns) && pod.HostUsersFalse &&
            (!control.RelaxedOnlyAtBaseline || Level == PodSecurityLevel.Baseline))
        {
            return false;
        }
        return true;
    }

    protected abstract IEnumerable<Violation> Check(PodSpec pod);

    protected const string PodTarget = "The pod";
}
