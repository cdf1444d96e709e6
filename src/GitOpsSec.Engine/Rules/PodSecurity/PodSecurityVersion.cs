using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>
/// A Kubernetes minor version as Pod Security admission reads it (k8s.io/pod-security-admission api/helpers.go
/// ParseVersion): "latest" or v1.N. Checks registered for a newer minor than the cluster's do not apply; the
/// newest registration GitOpsSec knows is <see cref="NewestKnown"/>, and "latest" (or any newer v1.N) applies
/// every check as of that version.
/// </summary>
public readonly record struct PodSecurityVersion(int Minor, bool IsLatest)
{
    /// <summary>The newest minor with a check registration in pod-security-admission's policy/check_*.go.</summary>
    public const int NewestKnown = 37;

    public static PodSecurityVersion Latest { get; } = new(NewestKnown, true);

    /// <summary>Whether checks registered at v1.<paramref name="minor"/> apply.</summary>
    public bool AtLeast(int minor) => IsLatest || Minor >= minor;

    public override string ToString() => IsLatest ? "latest" : $"v1.{Minor}";

    private static readonly Regex Pattern = new(@"^v?1\.(0|[1-9][0-9]{0,3})$", RegexOptions.CultureInvariant);
    private static readonly Regex LabelPattern = new(@"^v1\.(0|[1-9][0-9]{0,3})$", RegexOptions.CultureInvariant);

    /// <summary>Parses v1.N, 1.N or latest (a parameter or setting); null when it is none of them.</summary>
    public static PodSecurityVersion? TryParse(string? text) => TryParse(text, Pattern);

    /// <summary>Parses a pod-security.kubernetes.io/*-version label value: v1.N or latest, as the API server accepts them.</summary>
    public static PodSecurityVersion? TryParseLabel(string? text) => TryParse(text, LabelPattern);

    private static PodSecurityVersion? TryParse(string? text, Regex pattern)
    {
        if (text == "latest")
        {
            return Latest;
        }
        Match m = text is null ? Match.Empty : pattern.Match(text);
        return m.Success ? new PodSecurityVersion(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), false) : null;
    }

    /// <summary>Parses a user's version; GitOpsSec.PodSecurity.InvalidVersion for anything else (never silently latest).</summary>
    public static PodSecurityVersion Parse(string text, string source) =>
        TryParse(text) ?? throw new GitOpsSecOperationException(InvalidVersionId, ScanErrorCategory.InvalidArgument,
            $"{source}: '{text}' is not a Kubernetes version Pod Security understands; write v1.N, 1.N or latest (e.g. v1.30).", text);

    public const string InvalidVersionId = "GitOpsSec.PodSecurity.InvalidVersion";
}
