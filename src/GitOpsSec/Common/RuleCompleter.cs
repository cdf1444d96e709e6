using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GitOpsSec.Rules;

namespace GitOpsSec.Commands.Common;

/// <summary>Tab completion of rule ids and names.</summary>
public sealed class RuleCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = new WildcardPattern((wordToComplete ?? string.Empty) + "*", WildcardOptions.IgnoreCase);
        foreach (RuleInfo rule in RuleCatalog.Rules)
        {
            if (pattern.IsMatch(rule.Id))
            {
                yield return new CompletionResult(rule.Id, rule.Id, CompletionResultType.ParameterValue, rule.Title);
            }
            else if (pattern.IsMatch(rule.Name))
            {
                yield return new CompletionResult(rule.Name, rule.Name, CompletionResultType.ParameterValue, rule.Title);
            }
        }
    }
}

/// <summary>Tab completion of Kubernetes versions for -KubernetesVersion: latest, then v1.N newest first.</summary>
public sealed class KubernetesVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = new WildcardPattern((wordToComplete ?? string.Empty) + "*", WildcardOptions.IgnoreCase);
        foreach (string version in new[] { "latest" }.Concat(Enumerable.Range(0, GitOpsSec.Rules.PodSecurity.PodSecurityVersion.NewestKnown + 1).Reverse().Select(m => $"v1.{m}")))
        {
            if (pattern.IsMatch(version))
            {
                yield return new CompletionResult(version, version, CompletionResultType.ParameterValue, version);
            }
        }
    }
}
