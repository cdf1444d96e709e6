namespace GitOpsSec.Manifests;

/// <summary>
/// The bounds that keep loading hostile input finite. Anything beyond them is an error for that file
/// or document, never a crash or a hang.
/// </summary>
public sealed record LoadLimits
{
    public static LoadLimits Default { get; } = new();

    /// <summary>Files larger than this are not parsed (GitOpsSec.Manifest.FileTooLarge).</summary>
    public long MaxFileBytes { get; init; } = 10L * 1024 * 1024;

    /// <summary>Deepest nesting of mappings and sequences in one document.</summary>
    public int MaxDepth { get; init; } = 128;

    /// <summary>Nodes in one document with aliases counted as expanded: stops "billion laughs".</summary>
    public long MaxNodesPerDocument { get; init; } = 1_000_000;

    /// <summary>Documents in one file.</summary>
    public int MaxDocumentsPerFile { get; init; } = 10_000;
}
