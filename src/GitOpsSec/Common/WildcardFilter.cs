using System.Management.Automation;

namespace GitOpsSec.Commands.Common;

/// <summary>A -Kind/-Subject/-Capability style filter: no patterns match everything; wildcards, case-insensitive.</summary>
internal sealed class WildcardFilter
{
    private readonly List<WildcardPattern>? _patterns;

    public WildcardFilter(string[]? patterns) =>
        _patterns = patterns?.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToList();

    /// <summary>True when no pattern was given, or any pattern matches any of the values.</summary>
    public bool Matches(params string?[] values) =>
        _patterns is null || _patterns.Any(p => values.Any(v => v is not null && p.IsMatch(v)));
}
