namespace GitOpsSec.Diagnostics;

/// <summary>
/// A failure of one operation on one input (a certificate, a key, a manifest), with a stable error id
/// the cmdlets turn into an ErrorRecord. Messages never contain secret values.
/// </summary>
public sealed class GitOpsSecOperationException : Exception
{
    public GitOpsSecOperationException(string errorId, ScanErrorCategory category, string message, string? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public string ErrorId { get; }
    public ScanErrorCategory Category { get; }
    public string? Target { get; }

    public ScanError ToScanError() => new(ErrorId, Category, Message, Target, Exception: InnerException);
}
