namespace GitOpsSec.Commands.Common;

/// <summary>
/// -Application: deployment unit ids (Application/argocd/guestbook, Kustomization/flux-system/apps@clusters/prod) or
/// bare unit names, wildcards, case-insensitive; "(none)" selects what no unit deploys. No patterns select everything.
/// </summary>
internal sealed class ApplicationFilter
{
    public const string None = "(none)";
    private readonly string[]? _patterns;

    public ApplicationFilter(string[]? patterns) => _patterns = patterns is { Length: > 0 } ? patterns : null;

    public bool Active => _patterns is not null;

    public IReadOnlyList<string> Patterns => _patterns ?? Array.Empty<string>();

    /// <summary>Whether something deployed by <paramref name="units"/> is selected.</summary>
    public bool Selects(IReadOnlyList<string> units) =>
        _patterns is null || _patterns.Any(pattern => units.Count == 0 ? pattern == None : units.Any(id => Matches(pattern, id)));

    public static bool Matches(string pattern, string id)
    {
        string bare = id.Split('@')[0];
        string name = bare[(bare.LastIndexOf('/') + 1)..];
        return GitOpsSec.Diagnostics.BoundedPattern.Wildcard(pattern, id, ignoreCase: true) ||
               GitOpsSec.Diagnostics.BoundedPattern.Wildcard(pattern, bare, ignoreCase: true) ||
               GitOpsSec.Diagnostics.BoundedPattern.Wildcard(pattern, name, ignoreCase: true);
    }

    /// <summary>An error for each pattern that names no unit of <paramref name="model"/>: a typo must not read as "nothing found".</summary>
    public IEnumerable<GitOpsSec.Diagnostics.ScanError> Unmatched(GitOpsSec.Applications.ApplicationModel model, string root) =>
        Patterns.Where(p => p != None && !model.Units.Any(u => Matches(p, u.Id)))
            .Select(p => new GitOpsSec.Diagnostics.ScanError(GitOpsSec.Diagnostics.ErrorIds.ApplicationNotFound, GitOpsSec.Diagnostics.ScanErrorCategory.ObjectNotFound,
                $"No deployment unit under {root} matches -Application '{p}'. Get-GitOpsApplication lists them.", p));
}
