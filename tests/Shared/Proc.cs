using System.Diagnostics;

namespace GitOpsSec.Tests.Shared;

/// <summary>Runs a program to completion: exit code, standard output and standard error (read concurrently, so neither blocks).</summary>
public static class Proc
{
    public static (int Exit, string Output, string Error) Run(string exe, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var start = new ProcessStartInfo(exe)
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var p = Process.Start(start)!;
        if (input is not null)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }
        Task<string> error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, error.Result);
    }

    /// <summary>Like <see cref="Run"/>, but a non-zero exit is an exception with the program's error output.</summary>
    public static string Check(string exe, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var list = args.ToList();
        var (exit, output, error) = Run(exe, list, workingDirectory, environment, input);
        return exit == 0 ? output : throw new InvalidOperationException($"{exe} {string.Join(' ', list)} failed ({exit}): {error}");
    }
}
