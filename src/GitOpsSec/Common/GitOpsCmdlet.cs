using System.Management.Automation;
using GitOpsSec.Diagnostics;

namespace GitOpsSec.Commands.Common;

/// <summary>
/// Base of every GitOpsSec cmdlet: gives the engine an <see cref="IScanHost"/> (errors become
/// non-terminating ErrorRecords with the engine's stable ids, warnings, verbose, progress) and
/// turns Ctrl+C into cancellation of the engine.
/// </summary>
/// <remarks>
/// Cmdlet classes must not derive from, implement or hold value-type fields of engine types:
/// PowerShell loads them while scanning GitOpsSec.dll, before the module's load context is hooked
/// up, and a type that needs GitOpsSec.Engine at that moment is silently dropped from the module.
/// </remarks>
public abstract class GitOpsCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stop = new();
    private object? _host;
    private int _errors;

    /// <summary>Exit codes of -EnableExit (and of the gitopssec host): the documented contract for CI.</summary>
    public const int ExitPassed = 0, ExitErrors = 1, ExitUsage = 2, ExitPolicyFailed = 3;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>The engine's view of this cmdlet. Use only on the pipeline thread.</summary>
    internal IScanHost ScanHost => (IScanHost)(_host ??= new CmdletScanHost(this, _stop.Token));

    private sealed class CmdletScanHost : IScanHost
    {
        private readonly GitOpsCmdlet _cmdlet;

        public CmdletScanHost(GitOpsCmdlet cmdlet, CancellationToken cancellation)
        {
            _cmdlet = cmdlet;
            Cancellation = cancellation;
        }

        public CancellationToken Cancellation { get; }

        public void Error(ScanError error) => _cmdlet.ReportError(ToErrorRecord(error));

        public void Warning(string message) => _cmdlet.WriteWarning(message);

        public void Verbose(string message) => _cmdlet.WriteVerbose(message);

        public void Progress(string activity, string status, int percentComplete) =>
            _cmdlet.WriteProgress(new ProgressRecord(1, activity, status) { PercentComplete = percentComplete < 0 ? -1 : Math.Min(percentComplete, 100) });
    }

    internal static ErrorRecord ToErrorRecord(ScanError error)
    {
        var exception = new GitOpsSecException(error);
        var record = new ErrorRecord(exception, error.ErrorId, Map(error.Category), error.Target);
        return record;
    }

    private static ErrorCategory Map(ScanErrorCategory category) => category switch
    {
        ScanErrorCategory.InvalidData => ErrorCategory.InvalidData,
        ScanErrorCategory.ObjectNotFound => ErrorCategory.ObjectNotFound,
        ScanErrorCategory.ReadError => ErrorCategory.ReadError,
        ScanErrorCategory.LimitsExceeded => ErrorCategory.LimitsExceeded,
        ScanErrorCategory.InvalidArgument => ErrorCategory.InvalidArgument,
        ScanErrorCategory.NotInstalled => ErrorCategory.NotInstalled,
        ScanErrorCategory.PermissionDenied => ErrorCategory.PermissionDenied,
        ScanErrorCategory.SecurityError => ErrorCategory.SecurityError,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <summary>A non-terminating error that counts towards the exit code of -EnableExit.</summary>
    protected internal void ReportError(ErrorRecord record)
    {
        _errors++;
        WriteError(record);
    }

    /// <summary>
    /// Ends a checking cmdlet after every result was written: a failed policy is the non-terminating error
    /// GitOpsSec.Policy.Failed (so <c>$r = Test-GitOpsRepo -FailOn High</c> still holds every finding and <c>$?</c>
    /// is false), and with -EnableExit the hosting process then exits with 3 (policy failed), 1 (errors, the
    /// policy met) or 0, as PSScriptAnalyzer's -EnableExit and Pester's Run.Exit do.
    /// </summary>
    protected void CompletePolicy(bool failed, Func<string> message, object? target, bool enableExit)
    {
        if (failed)
        {
            WriteError(new ErrorRecord(new InvalidOperationException(message()), "GitOpsSec.Policy.Failed", ErrorCategory.SecurityError, target));
        }
        if (enableExit)
        {
            int code = failed ? ExitPolicyFailed : _errors > 0 ? ExitErrors : ExitPassed;
            WriteVerbose($"-EnableExit: the host exits with {code}");
            Host.SetShouldExit(code);
        }
    }

    /// <summary>Runs engine work, ending quietly when the user pressed Ctrl+C.</summary>
    protected void RunCancellable(Action work)
    {
        try
        {
            work();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // StopProcessing was called: PowerShell stops the pipeline itself.
        }
    }
}

/// <summary>The exception inside a GitOpsSec ErrorRecord; <see cref="Error"/> has the file and line.</summary>
public sealed class GitOpsSecException : Exception
{
    public GitOpsSecException(ScanError error) : base(error.ToString(), error.Exception)
    {
        Error = error;
    }

    public ScanError Error { get; }
}
