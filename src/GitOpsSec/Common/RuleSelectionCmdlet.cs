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

    /// <summary>Registries images may come from (GOS6003), e.g. registry.example.com, ghcr.io/my-org, *.azurecr.io. Default: allowedRegistries of .gitopssec.yaml.</summary>
    [Parameter]
    public string[]? AllowedRegistry { get; set; }

    /// <summary>The analyzer for the parameters; a repository config fills in what the parameters leave unset.</summary>
    internal ManifestAnalyzer CreateAnalyzer(GitOpsSec.Reports.GitOpsConfig? config = null) => new(new RuleSelection
    {
        Level = MyInvocation.BoundParameters.ContainsKey(nameof(Level)) || config is null
            ? Enum.Parse<PodSecurityLevel>(Level, ignoreCase: true)
            : config.Level,
        Include = Rule ?? (config?.EnabledRules is { Count: > 0 } enabled ? enabled.ToArray() : null),
        Exclude = (ExcludeRule ?? Array.Empty<string>()).Concat(config?.DisabledRules ?? Array.Empty<string>()).ToArray(),
        AllowedRegistries = AllowedRegistry ?? (IReadOnlyList<string>?)config?.AllowedRegistries ?? Array.Empty<string>(),
        RequireSignedCommits = config?.TrustedKeys is not null,
    }, ScanHost);
}
