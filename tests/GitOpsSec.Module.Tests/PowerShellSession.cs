using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>What a pipeline produced: output objects and every stream.</summary>
public sealed record PipelineResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<WarningRecord> Warnings,
    IReadOnlyList<VerboseRecord> Verbose)
{
    public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]);

    public dynamic Single() => Assert.Single(Output);

    public object SingleValue() => Assert.Single(Output).BaseObject;

    public void AssertNoErrors() =>
        Assert.True(Errors.Count == 0, "errors: " + string.Join(" | ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));

    /// <summary>
    /// Output objects read through their properties. The tests never cast to engine types: those live
    /// in the module's own load context, which is exactly what the isolation is for.
    /// </summary>
    public List<FindingView> Findings() => Output.Select(FindingView.From).ToList();

    public List<RuleView> Rules() => Output.Select(RuleView.From).ToList();
}

/// <summary>A GitOpsSec.Finding as seen from PowerShell.</summary>
public sealed record FindingView(string TypeName, string RuleId, string Severity, string? Path, int Line, bool Suppressed,
    string? SuppressionReason, string Fingerprint, string? Kind, string? Name, string? RuleName = null, string? Message = null, string? Namespace = null)
{
    public static FindingView From(PSObject o)
    {
        T P<T>(string name) => (T)o.Properties[name].Value;
        // Secret-scan findings are about a file, not an object: no Resource.
        PSObject? resource = o.Properties["Resource"].Value is object r ? PSObject.AsPSObject(r) : null;
        return new FindingView(o.TypeNames[0], P<string>("RuleId"), o.Properties["Severity"].Value.ToString()!, P<string?>("Path"),
            P<int>("Line"), P<bool>("Suppressed"), P<string?>("SuppressionReason"), P<string>("Fingerprint"),
            (string?)resource?.Properties["Kind"].Value, (string?)resource?.Properties["Name"].Value,
            o.Properties["RuleName"]?.Value as string, o.Properties["Message"]?.Value as string, (string?)resource?.Properties["Namespace"].Value);
    }
}

/// <summary>A GitOpsSec.RuleInfo as seen from PowerShell.</summary>
public sealed record RuleView(string Id, string Name, string Severity, string Level)
{
    public static RuleView From(PSObject o) => new((string)o.Properties["Id"].Value, (string)o.Properties["Name"].Value,
        o.Properties["Severity"].Value.ToString()!, o.Properties["Level"].Value.ToString()!);
}

/// <summary>
/// A real PowerShell runspace (the engine pwsh runs on, hosted in-process) with the built module
/// imported from out/GitOpsSec, exactly as a user would: Import-Module on the folder.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    private readonly Runspace _runspace;

    public PowerShellSession(string? location = null)
    {
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        _runspace.SessionStateProxy.Path.SetLocation(location ?? TestPaths.RepoRoot);
        PipelineResult import = Run("Import-Module $args[0] -ErrorAction Stop", TestPaths.Module);
        import.AssertNoErrors();
    }

    /// <summary>Runs a script; arguments are available as $args.</summary>
    public PipelineResult Run(string script, params object?[] args)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        foreach (object? a in args)
        {
            ps.AddArgument(a);
        }
        Collection<PSObject> output = ps.Invoke();
        return new PipelineResult(output.ToList(), ps.Streams.Error.ToList(), ps.Streams.Warning.ToList(), ps.Streams.Verbose.ToList());
    }

    /// <summary>A pipeline on this session's runspace, not started: for tests that stop it midway.</summary>
    public PowerShell CreatePipeline(string script, params object?[] args)
    {
        var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        foreach (object? a in args)
        {
            ps.AddArgument(a);
        }
        return ps;
    }

    /// <summary>Runs a script that must finish within <paramref name="limit"/>: on time-out the pipeline is stopped and the test fails.</summary>
    public PipelineResult RunBounded(TimeSpan limit, string script, params object?[] args)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        foreach (object? a in args)
        {
            ps.AddArgument(a);
        }
        IAsyncResult pending = ps.BeginInvoke();
        if (!pending.AsyncWaitHandle.WaitOne(limit))
        {
            ps.Stop();
            throw new Xunit.Sdk.XunitException($"'{script}' did not finish within {limit.TotalSeconds:0} s");
        }
        Collection<PSObject> output = new(ps.EndInvoke(pending).ToList());
        return new PipelineResult(output.ToList(), ps.Streams.Error.ToList(), ps.Streams.Warning.ToList(), ps.Streams.Verbose.ToList());
    }

    public void Dispose() => _runspace.Dispose();
}
