using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;

namespace GitOpsSec.Cli;

/// <summary>
/// gitopssec: hosts the PowerShell engine in-process with the GitOpsSec module imported and runs the
/// pipeline given on the command line, so machines without pwsh can run every cmdlet.
/// Exit codes: 0 success; 1 the pipeline wrote errors; 2 a terminating error or bad usage; 3 a -FailOn policy failed.
/// </summary>
public static class HostProgram
{
    public const string Usage = """
        usage: gitopssec [--format table|list|json|jsonl] [--json] [--module PATH] [-Command] '<pipeline>'
               gitopssec Test-GitOpsRepo -Path . -FailOn High
               gitopssec secrets [--staged | --history] [--json] [--fail-on SEVERITY] [PATH...]   (no PowerShell start; --help)
               gitopssec --check-syntax FILE...
               gitopssec --render-docs DOCS_FOLDER MODULE_XML_DOC [--check]   (regenerates docs' Syntax/Parameters/Outputs)
               gitopssec --help

        Runs a PowerShell pipeline with the GitOpsSec module imported, for example:
          gitopssec 'Test-GitOpsManifest -Path ./examples/insecure-repo'
          gitopssec --format json 'Get-GitOpsManifest ./examples/hardened-repo -Kind Deployment'
          gitopssec 'Test-GitOpsManifest ./examples/insecure-repo | Where-Object Severity -ge High'

        Objects are printed as a table (default), a list, a JSON array, or JSON lines (--json: one object per
        line, streamed); errors and warnings go to stderr. Words after the options form the pipeline, so
        quoting it is optional; -Command (or -c) may stand before it, as with pwsh.
        --check-syntax parses PowerShell files (.ps1, .psm1, .psd1) and reports syntax errors.
        Exit codes: 0 success, 1 the pipeline wrote errors, 2 a terminating error or bad usage, 3 Test-GitOpsRepo -FailOn failed.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && args[0] == "secrets")
        {
            return RunSecretScan(args[1..], stdout, stderr);
        }
        string format = "table";
        string? modulePath = Environment.GetEnvironmentVariable("GITOPSSEC_MODULE_PATH");
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help" or "-?":
                    await stdout.WriteLineAsync(Usage);
                    return 0;
                case "--format" when i + 1 < args.Length:
                    format = args[++i].ToLowerInvariant();
                    break;
                case "--json":
                    format = "jsonl";
                    break;
                case "-Command" or "-command" or "-c" or "--command" when rest.Count == 0:
                    break;
                case "--module" when i + 1 < args.Length:
                    modulePath = args[++i];
                    break;
                case "--check-syntax":
                    return SyntaxCheck.Run(args.Skip(i + 1).ToArray(), stdout, stderr);
                case "--render-docs" when i + 2 < args.Length:
                    // Developers: regenerate docs/*.md Syntax, Parameters and Outputs from the cmdlets (--check: only compare).
                    return HelpRenderer.Run(modulePath ?? FindModule() ?? "out/GitOpsSec", args[i + 1], args[i + 2], args.Skip(i + 3).Contains("--check"), stdout, stderr);
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        if (rest.Count == 0 || format is not ("table" or "list" or "json" or "jsonl"))
        {
            await stderr.WriteLineAsync(Usage);
            return 2;
        }
        modulePath ??= FindModule();
        if (modulePath is null)
        {
            await stderr.WriteLineAsync("gitopssec: the GitOpsSec module was not found; build it (dotnet build GitOpsSec.sln -c Release) or pass --module out/GitOpsSec.");
            return 2;
        }
        return Run(string.Join(' ', rest), Path.GetFullPath(modulePath), format, stdout, stderr);
    }

    /// <summary>
    /// `gitopssec secrets`: calls the module's SecretScanEntryPoint directly, without a PowerShell runspace.
    /// The module assembly is loaded from the module folder, so its own load context serves the engine.
    /// </summary>
    private static int RunSecretScan(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? module = Environment.GetEnvironmentVariable("GITOPSSEC_MODULE_PATH") ?? FindModule();
        if (module is null)
        {
            stderr.WriteLine("gitopssec: the GitOpsSec module was not found; build it (dotnet build GitOpsSec.sln -c Release).");
            return 2;
        }
        var assembly = System.Reflection.Assembly.LoadFrom(Path.Combine(Path.GetFullPath(module), "GitOpsSec.dll"));
        var run = assembly.GetType("GitOpsSec.Commands.Secrets.SecretScanEntryPoint", throwOnError: true)!.GetMethod("Run")!;
        try
        {
            return (int)run.Invoke(null, new object[] { args, stdout, stderr })!;
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>Modules/GitOpsSec beside the executable, else out/GitOpsSec in a parent folder (a source checkout).</summary>
    internal static string? FindModule()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "Modules", "GitOpsSec");
        if (File.Exists(Path.Combine(beside, "GitOpsSec.psd1")))
        {
            return beside;
        }
        for (DirectoryInfo? dir = new(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "out", "GitOpsSec");
            if (File.Exists(Path.Combine(candidate, "GitOpsSec.psd1")))
            {
                return candidate;
            }
        }
        return null;
    }

    private static int Run(string script, string modulePath, string format, TextWriter stdout, TextWriter stderr)
    {
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        Runspace.DefaultRunspace = runspace; // script properties of output objects are read on this thread
        runspace.SessionStateProxy.Path.SetLocation(Directory.GetCurrentDirectory());
        using (var import = PowerShell.Create())
        {
            import.Runspace = runspace;
            import.AddCommand("Import-Module").AddParameter("Name", modulePath).AddParameter("ErrorAction", "Stop");
            try
            {
                import.Invoke();
            }
            catch (RuntimeException e)
            {
                stderr.WriteLine("gitopssec: importing the module failed: " + FormatError(e.ErrorRecord));
                return 2;
            }
        }
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);

        var printer = new ObjectPrinter(stdout, format)
        {
            FormatRenderer = formatted =>
            {
                using var render = PowerShell.Create();
                render.Runspace = runspace;
                render.AddCommand("Out-String").AddParameter("Stream").AddParameter("Width", 200);
                return render.Invoke(formatted).Select(line => line.ToString()).ToList();
            },
        };
        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (_, e) => printer.Add(output[e.Index]);
        int errors = 0;
        bool policyFailed = false, usage = false;
        ps.Streams.Error.DataAdded += (_, e) =>
        {
            errors++;
            ErrorRecord record = ps.Streams.Error[e.Index];
            policyFailed |= IsPolicyFailure(record);
            usage |= IsUsageError(record);
            stderr.WriteLine(FormatError(record));
        };
        ps.Streams.Warning.DataAdded += (_, e) => stderr.WriteLine("WARNING: " + ps.Streams.Warning[e.Index].Message);
        ps.Streams.Verbose.DataAdded += (_, e) => stderr.WriteLine("VERBOSE: " + ps.Streams.Verbose[e.Index].Message);
        using var cancel = new CancelOnCtrlC(ps);
        try
        {
            ps.Invoke(null, output);
        }
        catch (ParseException e)
        {
            stderr.WriteLine("gitopssec: the pipeline does not parse: " + e.Message);
            return 2;
        }
        catch (RuntimeException e)
        {
            printer.Flush();
            stderr.WriteLine(FormatError(e.ErrorRecord));
            return IsPolicyFailure(e.ErrorRecord) ? 3 : 2;
        }
        printer.Flush();
        // Documented exit codes: 3 a policy failed, 2 the pipeline was used wrongly (an unknown command or
        // parameter, a value that does not bind), 1 other errors, 0 none.
        return policyFailed ? 3 : usage ? 2 : errors > 0 ? 1 : 0;
    }

    private static bool IsUsageError(ErrorRecord record) =>
        record.Exception is ParameterBindingException or CommandNotFoundException or ParseException ||
        record.CategoryInfo.Category == ErrorCategory.ObjectNotFound && record.Exception is CommandNotFoundException;

    private static bool IsPolicyFailure(ErrorRecord record) =>
        record.FullyQualifiedErrorId.StartsWith("GitOpsSec.Policy.Failed", StringComparison.Ordinal);

    internal static string FormatError(ErrorRecord record) =>
        $"ERROR [{record.FullyQualifiedErrorId}] {record.CategoryInfo.Category}: {record.Exception?.Message ?? record.ToString()}";

    /// <summary>Stops the pipeline on Ctrl+C the way pwsh does (StopProcessing on the cmdlets).</summary>
    private sealed class CancelOnCtrlC : IDisposable
    {
        private readonly PowerShell _ps;

        public CancelOnCtrlC(PowerShell ps)
        {
            _ps = ps;
            Console.CancelKeyPress += OnCancel;
        }

        private void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            _ps.BeginStop(null, null);
        }

        public void Dispose() => Console.CancelKeyPress -= OnCancel;
    }
}
