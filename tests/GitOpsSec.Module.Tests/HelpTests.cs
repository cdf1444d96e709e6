using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>Get-Help comes from docs/ (MAML generated at build), and the docs' examples are real commands.</summary>
public class HelpTests
{
    private static IEnumerable<string> CmdletPages() =>
        Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "docs"), "*-*.md").Select(Path.GetFileNameWithoutExtension).OfType<string>().OrderBy(n => n);

    [Fact]
    public void Get_Help_shows_the_synopsis_and_examples_of_every_cmdlet()
    {
        using var session = new PowerShellSession();
        var exported = session.Run("Get-Command -Module GitOpsSec -CommandType Cmdlet | ForEach-Object Name").Output.Select(o => (string)o.BaseObject).ToList();
        Assert.Equal(exported.OrderBy(n => n), CmdletPages());
        foreach (string name in exported)
        {
            var help = session.Run("$h = Get-Help $args[0]; $h.Synopsis; @($h.examples.example).Count", name);
            help.AssertNoErrors();
            string doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", name + ".md"));
            string synopsis = Regex.Match(doc, @"## Synopsis\n(.+?)\n", RegexOptions.Singleline).Groups[1].Value.Trim();
            Assert.Equal(synopsis, ((string)help.Output[0].BaseObject).Trim());
            Assert.True((int)help.Output[1].BaseObject > 0, $"{name} has no examples in Get-Help");
        }
    }

    [Fact]
    public void Every_example_in_the_docs_parses_and_uses_real_cmdlets_and_parameters()
    {
        using var session = new PowerShellSession();
        var parameters = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (PSObject cmd in session.Run("Get-Command -Module GitOpsSec").Output)
        {
            // Aliases (Export-GitOpsImageInventory) take the parameters of the cmdlet they name.
            var info = cmd.BaseObject as CmdletInfo ?? (CmdletInfo)((AliasInfo)cmd.BaseObject).ResolvedCommand;
            var names = new HashSet<string>(info.Parameters.Keys, StringComparer.OrdinalIgnoreCase);
            foreach (var p in info.Parameters.Values)
            {
                names.UnionWith(p.Aliases);
            }
            parameters[((CommandInfo)cmd.BaseObject).Name] = names;
        }
        int checkedCalls = 0;
        foreach (string file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "docs"), "*.md").Append(Path.Combine(TestPaths.RepoRoot, "README.md")))
        {
            foreach (Match block in Regex.Matches(File.ReadAllText(file), "```powershell\\n(.*?)```", RegexOptions.Singleline))
            {
                ScriptBlockAst ast = Parser.ParseInput(block.Groups[1].Value, out _, out ParseError[] errors);
                Assert.True(errors.Length == 0, $"{Path.GetFileName(file)}: {string.Join("; ", errors.Select(e => e.Message))}\n{block.Value}");
                foreach (CommandAst call in ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>())
                {
                    string? name = call.GetCommandName();
                    if (name is null || !Regex.IsMatch(name, "-(GitOps|SealedSecret|Rbac)"))
                    {
                        continue;
                    }
                    Assert.True(parameters.ContainsKey(name), $"{Path.GetFileName(file)} uses {name}, which the module does not export");
                    foreach (CommandParameterAst p in call.CommandElements.OfType<CommandParameterAst>())
                    {
                        Assert.True(parameters[name].Any(known => known.StartsWith(p.ParameterName, StringComparison.OrdinalIgnoreCase)) ||
                                    p.ParameterName is "WhatIf" or "Confirm" or "Verbose" or "ErrorAction" or "ErrorVariable" or "WarningAction",
                            $"{Path.GetFileName(file)}: {name} has no parameter -{p.ParameterName}");
                    }
                    checkedCalls++;
                }
            }
        }
        Assert.True(checkedCalls > 50, $"only {checkedCalls} example calls found");
    }
}
