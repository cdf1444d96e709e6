namespace GitOpsSec.Diagnostics;

/// <summary>
/// How the engine talks to whoever runs it (a cmdlet, a test, the CLI): errors, warnings, verbose
/// messages and progress. The engine never writes to a console or throws for one bad input.
/// </summary>
public interface IScanHost
{
    void Error(ScanError error);
    void Warning(string message);
    void Verbose(string message);
    void Progress(string activity, string status, int percentComplete);
    CancellationToken Cancellation { get; }
}

/// <summary>A host that collects everything; used by tests and by callers that only want results.</summary>
public sealed class CollectingHost : IScanHost
{
    public List<ScanError> Errors { get; } = new();
    public List<string> Warnings { get; } = new();
    public List<string> VerboseMessages { get; } = new();
    public CancellationToken Cancellation { get; init; }
    public void Error(ScanError error) { lock (Errors) { Errors.Add(error); } }
    public void Warning(string message) { lock (Warnings) { Warnings.Add(message); } }
    public void Verbose(string message) { lock (VerboseMessages) { VerboseMessages.Add(message); } }
    public void Progress(string activity, string status, int percentComplete) { }
}
