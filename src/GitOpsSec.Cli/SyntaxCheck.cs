using System.Management.Automation.Language;

namespace GitOpsSec.Cli;

/// <summary>Parses PowerShell files with the real parser; CI uses it so scripts cannot rot silently.</summary>
public static class SyntaxCheck
{
    public static int Run(string[] files, TextWriter stdout, TextWriter stderr)
    {
        int bad = 0;
        foreach (string file in files)
        {
            Parser.ParseFile(Path.GetFullPath(file), out _, out ParseError[] errors);
            foreach (ParseError error in errors)
            {
                stderr.WriteLine($"{file}:{error.Extent.StartLineNumber}:{error.Extent.StartColumnNumber}: {error.ErrorId}: {error.Message}");
            }
            bad += errors.Length > 0 ? 1 : 0;
        }
        stdout.WriteLine($"{files.Length - bad} passed, {bad} failed: PowerShell syntax of {files.Length} file(s)");
        return bad > 0 ? 1 : 0;
    }
}
