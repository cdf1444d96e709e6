using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Text;
using System.Xml.Linq;

namespace GitOpsSec.Cli;

/// <summary>
/// Writes the generated parts of docs/&lt;Verb-Noun&gt;.md from the cmdlets themselves: "## Syntax" (every parameter
/// set, as Get-Command -Syntax shows it), "## Parameters" (type, sets, aliases, required, position, default,
/// pipeline input, and the description from the parameter's XML doc comment) and "## Outputs" ([OutputType]).
/// The build turns the same pages into the module's MAML help, so docs/ and Get-Help come from one source.
/// Usage: gitopssec --render-docs DOCS_FOLDER MODULE_XML_DOC [--check]
/// </summary>
internal static class HelpRenderer
{
    private static readonly Dictionary<string, string> ShouldProcessHelp = new(StringComparer.OrdinalIgnoreCase)
    {
        ["WhatIf"] = "Shows what would happen if the cmdlet runs. The cmdlet is not run.",
        ["Confirm"] = "Prompts you for confirmation before running the cmdlet.",
    };

    public static int Run(string modulePath, string docs, string xmlDoc, bool check, TextWriter stdout, TextWriter stderr)
    {
        var summaries = XDocument.Load(xmlDoc).Descendants("member")
            .Where(m => m.Attribute("name") is not null && m.Element("summary") is not null)
            .ToDictionary(m => m.Attribute("name")!.Value, m => Squash(m.Element("summary")!));
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddCommand("Import-Module").AddParameter("Name", modulePath).AddParameter("PassThru");
        var module = (PSModuleInfo)ps.Invoke()[0].BaseObject;
        int stale = 0, missing = 0;
        foreach (CmdletInfo cmdlet in module.ExportedCmdlets.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            string page = Path.Combine(docs, cmdlet.Name + ".md");
            if (!File.Exists(page))
            {
                stderr.WriteLine($"{cmdlet.Name}: no page {page}");
                missing++;
                continue;
            }
            var undocumented = new List<string>();
            string rendered = Render(File.ReadAllText(page), cmdlet, summaries, undocumented);
            foreach (string p in undocumented)
            {
                stderr.WriteLine($"{cmdlet.Name}: parameter -{p} has no XML doc comment (/// <summary>) to describe it");
                missing++;
            }
            if (rendered != File.ReadAllText(page))
            {
                stale++;
                if (check)
                {
                    stderr.WriteLine($"{cmdlet.Name}: {page} is not up to date (gitopssec --render-docs)");
                }
                else
                {
                    File.WriteAllText(page, rendered);
                    stdout.WriteLine($"updated {page}");
                }
            }
        }
        return missing > 0 || (check && stale > 0) ? 1 : 0;
    }

    private static string Squash(XElement summary) =>
        string.Join(" ", string.Concat(summary.Nodes().Select(n => n is XElement e ? (e.Attribute("cref")?.Value.Split('.').Last() ?? e.Value) : n.ToString()))
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal);

    internal static string Render(string page, CmdletInfo cmdlet, IReadOnlyDictionary<string, string> summaries, List<string> undocumented)
    {
        var syntax = new StringBuilder("```\n");
        foreach (CommandParameterSetInfo set in cmdlet.ParameterSets)
        {
            syntax.Append(cmdlet.Name).Append(' ').Append(set.ToString().Trim()).Append('\n');
        }
        syntax.Append("```\n");

        object? instance = null;
        try
        {
            instance = Activator.CreateInstance(cmdlet.ImplementingType);
        }
        catch (Exception e) when (e is MissingMethodException or TargetInvocationException)
        {
            // no defaults to read
        }
        var parameters = new StringBuilder();
        foreach (ParameterMetadata p in cmdlet.Parameters.Values.Where(p => !Cmdlet.CommonParameters.Contains(p.Name)).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            PropertyInfo? property = cmdlet.ImplementingType.GetProperty(p.Name, BindingFlags.Public | BindingFlags.Instance);
            string? description = ShouldProcessHelp.GetValueOrDefault(p.Name) ??
                (property is null ? null : summaries.GetValueOrDefault($"P:{property.DeclaringType!.FullName}.{property.Name}"));
            if (string.IsNullOrWhiteSpace(description))
            {
                undocumented.Add(p.Name);
                description = "(undocumented)";
            }
            var sets = p.ParameterSets;
            bool all = sets.ContainsKey(ParameterAttribute.AllParameterSets) || sets.Count == cmdlet.ParameterSets.Count;
            ParameterSetMetadata first = sets.Values.First();
            bool mandatory = sets.Values.All(s => s.IsMandatory);
            bool mandatorySomewhere = sets.Values.Any(s => s.IsMandatory);
            int position = sets.Values.Select(s => s.Position).Where(x => x >= 0).DefaultIfEmpty(int.MinValue).Min();
            string pipeline = Pipeline(sets.Values);
            parameters.Append("### -").Append(p.Name).Append("\n\n").Append(description).Append("\n\n```yaml\n")
                .Append("Type: ").Append(TypeName(p.ParameterType)).Append('\n')
                .Append("Parameter Sets: ").Append(all ? "(All)" : string.Join(", ", sets.Keys.OrderBy(k => k, StringComparer.Ordinal))).Append('\n')
                .Append("Aliases: ").Append(p.Aliases.Count == 0 ? "None" : string.Join(", ", p.Aliases)).Append('\n')
                .Append("Required: ").Append(mandatory ? "True" : mandatorySomewhere ? "True (" + string.Join(", ", sets.Where(s => s.Value.IsMandatory).Select(s => s.Key)) + ")" : "False").Append('\n')
                .Append("Position: ").Append(position == int.MinValue ? "Named" : position.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n')
                .Append("Default value: ").Append(DefaultOf(property, instance, p.SwitchParameter)).Append('\n')
                .Append("Accept pipeline input: ").Append(pipeline).Append('\n')
                .Append("Accept wildcard characters: ").Append(property?.GetCustomAttribute<SupportsWildcardsAttribute>() is not null ? "True" : "False").Append('\n');
            if (AcceptedValues(property, p.ParameterType) is { Count: > 0 } accepted)
            {
                parameters.Append("Accepted values: ").Append(string.Join(", ", accepted)).Append('\n');
            }
            parameters.Append("```\n\n");
        }
        parameters.Append("### CommonParameters\n\nThis cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction,\n" +
            "-InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction, and -WarningVariable.\n");

        var outputs = new StringBuilder();
        foreach (string type in cmdlet.OutputType.Select(t => t.Name).Distinct(StringComparer.Ordinal))
        {
            outputs.Append("### ").Append(type).Append("\n\n");
        }
        if (outputs.Length == 0)
        {
            outputs.Append("### None\n\n");
        }

        string result = Replace(page, "Syntax", syntax.ToString(), after: "Synopsis");
        result = Replace(result, "Parameters", parameters.ToString(), before: "Examples");
        result = Replace(result, "Outputs", outputs.ToString().TrimEnd() + "\n", before: "Examples");
        return result;
    }

    /// <summary>The values a parameter takes: its [ValidateSet], or the names of its enum type.</summary>
    private static IReadOnlyList<string> AcceptedValues(PropertyInfo? property, Type type)
    {
        if (property?.GetCustomAttribute<ValidateSetAttribute>() is { } set)
        {
            return set.ValidValues.ToList();
        }
        Type element = Nullable.GetUnderlyingType(type) ?? (type.IsArray ? type.GetElementType()! : type);
        return element.IsEnum ? Enum.GetNames(element) : Array.Empty<string>();
    }

    private static string Pipeline(IEnumerable<ParameterSetMetadata> sets)
    {
        bool byValue = sets.Any(s => s.ValueFromPipeline), byName = sets.Any(s => s.ValueFromPipelineByPropertyName);
        return byValue && byName ? "True (ByValue, ByPropertyName)" : byValue ? "True (ByValue)" : byName ? "True (ByPropertyName)" : "False";
    }

    private static string TypeName(Type type) => type == typeof(SwitchParameter) ? "SwitchParameter" :
        Nullable.GetUnderlyingType(type) is Type inner ? TypeName(inner) :
        type.IsArray ? TypeName(type.GetElementType()!) + "[]" : type.Name;

    private static string DefaultOf(PropertyInfo? property, object? instance, bool isSwitch)
    {
        if (property is null || instance is null || isSwitch)
        {
            return isSwitch ? "False" : "None";
        }
        object? value;
        try
        {
            value = property.GetValue(instance);
        }
        catch (TargetInvocationException)
        {
            return "None";
        }
        return value switch
        {
            null => "None",
            string s when s.Length == 0 => "None",
            Array { Length: 0 } => "None",
            Array a => string.Join(", ", a.Cast<object>()),
            int or long or double when Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) == 0 => "None",
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "None",
        };
    }

    /// <summary>Replaces the body of "## title" (or inserts the section after/before another one).</summary>
    private static string Replace(string page, string title, string body, string? after = null, string? before = null)
    {
        string heading = "## " + title + "\n";
        int at = page.IndexOf(heading, StringComparison.Ordinal);
        if (at >= 0)
        {
            int start = at + heading.Length;
            int next = page.IndexOf("\n## ", start, StringComparison.Ordinal);
            int end = next < 0 ? page.Length : next + 1;
            return page[..start] + body + (next < 0 ? "" : "\n") + page[end..];
        }
        string section = heading + body + "\n";
        if (before is not null && page.IndexOf("## " + before + "\n", StringComparison.Ordinal) is int b and >= 0)
        {
            return page[..b] + section + page[b..];
        }
        if (after is not null && page.IndexOf("## " + after + "\n", StringComparison.Ordinal) is int a and >= 0)
        {
            int next = page.IndexOf("\n## ", a + 3, StringComparison.Ordinal);
            int insertAt = next < 0 ? page.Length : next + 1;
            return page[..insertAt] + section + page[insertAt..];
        }
        return page.TrimEnd('\n') + "\n\n" + section;
    }
}
