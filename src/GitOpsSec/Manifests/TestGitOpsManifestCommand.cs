using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
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

    /// <summary>Objects from Get-GitOpsManifest.</summary>
    [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
    public ManifestObject[]? InputObject { get; set; }

    /// <summary>Only findings at or above this severity (Info, Low, Medium, High, Critical).</summary>
    /// <remarks>A string, not the engine's Severity enum: see the remarks on GitOpsCmdlet.</remarks>
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical", IgnoreCase = true)]
    public string MinimumSeverity { get; set; } = "Info";

    protected override void BeginProcessing()
    {
        try
        {
            _analyzer = CreateAnalyzer(); // an unknown -KubernetesVersion stops here: never silently latest
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
        }
        LoadPolicies();
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
                Emit(KyvernoFindings(_analyzer, obj));
            }
        });
    }

    /// <summary>Rules that look at all objects together (e.g. a binding and its role) run once at the end.</summary>
    protected override void EndProcessing() => RunCancellable(() =>
    {
        Emit(_analyzer!.AnalyzeRepository());
        Emit(DeferredKyvernoFindings(_analyzer));
    });

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
