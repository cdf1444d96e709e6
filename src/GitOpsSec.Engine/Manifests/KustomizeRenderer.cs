namespace GitOpsSec.Manifests;

/// <summary>
/// Renders a kustomization folder with <c>kubectl kustomize</c> (or a standalone <c>kustomize build</c>).
/// GitOpsSec shells out here because kustomize has no .NET implementation; when neither tool is
/// installed the loader says so and reads the raw files instead.
/// </summary>
public sealed class KustomizeRenderer
{
    private readonly string _executable;
    private readonly string[] _prefixArgs;

    private KustomizeRenderer(string executable, string[] prefixArgs)
    {
        _executable = executable;
        _prefixArgs = prefixArgs;
    }

    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>The tool found on PATH, or null when neither kubectl nor kustomize is installed.</summary>
    public static KustomizeRenderer? Discover()
    {
        string? kubectl = ExternalTool.Find("kubectl");
        if (kubectl is not null)
        {
            return new KustomizeRenderer(kubectl, new[] { "kustomize" });
        }
        string? kustomize = ExternalTool.Find("kustomize");
        return kustomize is null ? null : new KustomizeRenderer(kustomize, new[] { "build" });
    }

    public string Description => $"{Path.GetFileName(_executable)} {string.Join(' ', _prefixArgs)}";

    /// <summary>Renders kept for one later use: the application model renders a folder before the loader reads it.</summary>
    private readonly Dictionary<string, (string? Output, string? Error)> _kept = new(StringComparer.Ordinal);

    /// <summary>
    /// Renders <paramref name="directory"/>; the YAML stream, or the tool's error message. With <paramref name="keep"/>,
    /// the result is also kept for the next call for the same folder, so it is rendered once.
    /// </summary>
    public (string? Output, string? Error) Render(string directory, CancellationToken cancellation, bool keep = false)
    {
        lock (_kept)
        {
            if (_kept.Remove(directory, out var earlier))
            {
                return earlier;
            }
        }
        var rendered = RenderNow(directory, cancellation);
        if (keep)
        {
            lock (_kept)
            {
                _kept[directory] = rendered;
            }
        }
        return rendered;
    }

    private (string? Output, string? Error) RenderNow(string directory, CancellationToken cancellation)
    {
        var result = ExternalTool.Run(_executable, _prefixArgs.Append(directory), Timeout, cancellation);
        if (result.TimedOut)
        {
            return (null, $"{Description} did not finish within {Timeout.TotalSeconds:N0} s.");
        }
        if (result.ExitCode != 0)
        {
            return (null, result.StandardError.Trim());
        }
        return (result.StandardOutput, null);
    }
}
