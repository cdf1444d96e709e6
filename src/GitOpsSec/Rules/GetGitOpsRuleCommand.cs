using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Rules;

namespace GitOpsSec.Commands.Rules;

/// <summary>Get-GitOpsRule: the rule catalog, filtered by id or name, level, category or severity.</summary>
[Cmdlet(VerbsCommon.Get, "GitOpsRule")]
[OutputType(typeof(RuleInfo))]
public sealed class GetGitOpsRuleCommand : GitOpsCmdlet
{
    /// <summary>Rule ids or names (wildcards allowed).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "RuleId")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RuleCompleter))]
    public string[]? Id { get; set; }

    /// <summary>Only rules of this Pod Security Standards level (None for rules outside the standard).</summary>
    [Parameter]
    public PodSecurityLevel[]? Level { get; set; }

    /// <summary>Only rules of these categories (PodSecurity, Secrets, RBAC, Network, Images, GitOps, Provenance, ...); an unknown category is an error.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CategoryCompleter))]
    public string[]? Category { get; set; }

    /// <summary>Only rules of these severities.</summary>
    [Parameter]
    public Severity[]? Severity { get; set; }

    /// <summary>Only rules that apply at this Kubernetes version (v1.N, 1.N or latest): a Pod Security control registered for a newer version is left out.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    protected override void ProcessRecord()
    {
        GitOpsSec.Rules.PodSecurity.PodSecurityVersion? version = null;
        try
        {
            version = KubernetesVersion is null ? null : GitOpsSec.Rules.PodSecurity.PodSecurityVersion.Parse(KubernetesVersion, "-KubernetesVersion");
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
        }
        var categories = new WildcardFilter(Category);
        var known = RuleCatalog.Rules.Select(r => r.Category).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (string category in (Category ?? Array.Empty<string>()).Where(c => !WildcardPattern.ContainsWildcardCharacters(c) && !known.Contains(c)))
        {
            ReportError(ToErrorRecord(new ScanError(ErrorIds.UnknownFilterValue, ScanErrorCategory.InvalidArgument,
                $"No rule has the category '{category}'. Categories: {string.Join(", ", known.Order(StringComparer.Ordinal))}.", category)));
        }
        foreach (string pattern in Id is { Length: > 0 } ? Id : new[] { "*" })
        {
            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
            var matches = RuleCatalog.Rules
                .Where(r => wildcard.IsMatch(r.Id) || wildcard.IsMatch(r.Name))
                .Where(r => Level is null || Level.Contains(r.Level))
                .Where(r => categories.Matches(r.Category))
                .Where(r => Severity is null || Severity.Contains(r.Severity))
                .Where(r => version is not { } v || GitOpsSec.Rules.PodSecurity.PodSecurityHistory.For(r.Id) is not { } control || v.AtLeast(control.Since))
                .ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(ToErrorRecord(new ScanError(ErrorIds.RuleNotFound, ScanErrorCategory.ObjectNotFound,
                    $"No rule has the id or name '{pattern}'.", pattern)));
                continue;
            }
            WriteObject(matches, enumerateCollection: true);
        }
    }
}
