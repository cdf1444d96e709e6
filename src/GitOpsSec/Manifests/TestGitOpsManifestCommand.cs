using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Kyverno;
using GitOpsSec.Manifests;
using GitOpsSec.Rules;

namespace GitOpsSec.Commands.Manifests;

/// <summary>
/// Test-GitOpsManifest: runs the rule catalog (Pod Security Standards and more) over manifests read
/// from paths or piped in from Get-GitOpsManifest, and emits one Finding per violation.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "GitOpsManifest", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Finding))]
public sealed class TestGitOpsManifestCommand : RuleSelectionCmdlet
{
    private const string InputObjectSet = "InputObject";
    private ManifestAnalyzer? _analyzer;
    private List<KyvernoPolicy>? _policies;

    /// <summary>Objects from Get-GitOpsManifest.</summary>
    [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
    public ManifestObject[]? InputObject { get; set; }

    /// <summary>Only findings at or above this severity (Info, Low, Medium, High, Critical).</summary>
    /// <remarks>A string, not the engine's Severity enum: see the remarks on GitOpsCmdlet.</remarks>
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical", IgnoreCase = true)]
    public string MinimumSeverity { get; set; } = "Info";

    /// <summary>Kyverno ClusterPolicy / Policy files or folders to evaluate offline besides the rule catalog; failures become Findings with the rule id kyverno/&lt;policy&gt;/&lt;rule&gt;.</summary>
    [Parameter]
    public string[]? Policy { get; set; }

    protected override void BeginProcessing()
    {
        _analyzer = CreateAnalyzer();
        if (Policy is { Length: > 0 })
        {
            _policies = KyvernoPolicies.Load(Policy.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)), ScanHost);
            if (_policies.Count == 0)
            {
                ThrowTerminatingError(ToErrorRecord(new ScanError("GitOpsSec.Kyverno.NoPolicy", ScanErrorCategory.ObjectNotFound,
                    "No Kyverno ClusterPolicy or Policy was found in the -Policy paths.", string.Join(", ", Policy))));
            }
        }
    }

    protected override void ProcessRecord()
    {
        RunCancellable(() =>
        {
            IEnumerable<ManifestObject> objects = ParameterSetName == InputObjectSet
                ? InputObject ?? Array.Empty<ManifestObject>()
                : ReadManifests();
            foreach (ManifestObject obj in objects)
            {
                Emit(_analyzer!.Analyze(obj));
                Emit(KyvernoFindings(obj));
            }
        });
    }

    /// <summary>Rules that look at all objects together (e.g. a binding and its role) run once at the end.</summary>
    protected override void EndProcessing() => RunCancellable(() => Emit(_analyzer!.AnalyzeRepository()));

    private IEnumerable<Finding> KyvernoFindings(ManifestObject obj)
    {
        if (_policies is null || KyvernoPolicy.IsPolicy(obj))
        {
            yield break;
        }
        foreach (KyvernoPolicy policy in _policies)
        {
            foreach (KyvernoRuleResult result in KyvernoEvaluator.Evaluate(policy, obj))
            {
                if (result.Result is KyvernoResult.Fail or KyvernoResult.Error)
                {
                    yield return _analyzer!.ToFinding(result, policy, obj);
                }
            }
        }
    }

    private void Emit(IEnumerable<Finding> findings)
    {
        var minimum = Enum.Parse<Severity>(MinimumSeverity, ignoreCase: true);
        foreach (Finding finding in findings)
        {
            if (finding.Severity >= minimum)
            {
                WriteObject(finding);
            }
        }
    }
}
