using System.Management.Automation;
using GitOpsSec.Rules;

namespace GitOpsSec.Commands.Common;

/// <summary>Cmdlets that run the rule catalog: -Level, -Rule and -ExcludeRule, and the analyzer they configure.</summary>
public abstract class RuleSelectionCmdlet : ManifestInputCmdlet
{
    /// <summary>Pod Security Standards profile: Baseline, or Restricted (which includes Baseline; the default).</summary>
    [Parameter]
    [ValidateSet("Baseline", "Restricted")]
    public string Level { get; set; } = "Restricted";

    /// <summary>Run only these rules (ids or names, wildcards allowed).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(RuleCompleter))]
    public string[]? Rule { get; set; }

    /// <summary>Do not run these rules (ids or names, wildcards allowed).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(RuleCompleter))]
    public string[]? ExcludeRule { get; set; }

    internal ManifestAnalyzer CreateAnalyzer() => new(new RuleSelection
    {
        Level = Enum.Parse<PodSecurityLevel>(Level, ignoreCase: true),
        Include = Rule,
        Exclude = ExcludeRule ?? Array.Empty<string>(),
    }, ScanHost);
}
