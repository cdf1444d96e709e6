using System.Text;
using System.Text.RegularExpressions;
using GitOpsSec.Manifests;

namespace GitOpsSec.Applications;

/// <summary>
/// The two text templates a GitOps repository uses offline: ApplicationSet parameters (fasttemplate
/// <c>{{path.basename}}</c>, or Go templates <c>{{ .path.basename }}</c> with goTemplate: true) and Flux postBuild
/// variables (<c>${name}</c>, <c>${name:=default}</c>). Both run in time linear in the text.
/// </summary>
internal static class Templates
{
    private static readonly Regex Tag = new(@"\{\{-?\s*(?<expr>[^{}]{0,200}?)\s*-?\}\}", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private static readonly Regex GoIndex = new(@"^index\s+\.(?<key>[A-Za-z0-9_.]+)\s+(?<n>\d{1,3})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private static readonly Regex VariableName = new(@"^[_A-Za-z][_A-Za-z0-9]*$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>
    /// Expands ApplicationSet parameters in <paramref name="text"/>; null when it uses a parameter the generator does not
    /// give or a Go template function other than index (never guessed), with the reason in <paramref name="missing"/>.
    /// </summary>
    public static string? ExpandParameters(string text, IReadOnlyDictionary<string, string> parameters, bool goTemplate, out string? missing)
    {
        string? failed = null;
        string result = Tag.Replace(text, m =>
        {
            string expr = m.Groups["expr"].Value.Trim();
            string? value = null;
            if (goTemplate)
            {
                if (expr.StartsWith('.') && expr.IndexOfAny(new[] { ' ', '|', '(' }) < 0)
                {
                    parameters.TryGetValue(expr[1..], out value);
                }
                else if (GoIndex.Match(expr) is { Success: true } index)
                {
                    parameters.TryGetValue($"{index.Groups["key"].Value}[{index.Groups["n"].Value}]", out value);
                }
            }
            else
            {
                parameters.TryGetValue(expr, out value);
            }
            if (value is null)
            {
                failed ??= expr;
                return m.Value;
            }
            return value;
        });
        missing = failed;
        return failed is null ? result : null;
    }

    /// <summary>
    /// Flux's postBuild substitution: ${name}, ${name:=default}, ${name:-default}, ${name=default} and ${name-default};
    /// $${name} is an escaped literal ${name}. Unknown variables without a default stay as written (as references)
    /// and are named in <paramref name="unknown"/>.
    /// </summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> variables, ISet<string> unknown)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            int start = text.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                sb.Append(text, i, text.Length - i);
                break;
            }
            int end = text.IndexOf('}', start + 2);
            if (end < 0)
            {
                sb.Append(text, i, text.Length - i);
                break;
            }
            if (start > 0 && text[start - 1] == '$')
            {
                sb.Append(text, i, start - 1 - i).Append(text, start, end + 1 - start); // $${x} is the literal ${x}
                i = end + 1;
                continue;
            }
            sb.Append(text, i, start - i);
            string inner = text[(start + 2)..end];
            int op = inner.IndexOfAny(new[] { ':', '=', '-' });
            string name = op < 0 ? inner : inner[..op];
            string? fallback = null;
            if (op >= 0)
            {
                string rest = inner[op..];
                fallback = rest.StartsWith(":=", StringComparison.Ordinal) || rest.StartsWith(":-", StringComparison.Ordinal) ? rest[2..]
                    : rest[0] is '=' or '-' ? rest[1..] : null;
            }
            if (!VariableName.IsMatch(name) || (op >= 0 && fallback is null))
            {
                sb.Append(text, start, end + 1 - start); // not a variable Flux substitutes
            }
            else if (variables.TryGetValue(name, out string? value))
            {
                sb.Append(value);
            }
            else if (fallback is not null)
            {
                sb.Append(fallback);
            }
            else
            {
                unknown.Add(name);
                sb.Append(text, start, end + 1 - start);
            }
            i = end + 1;
        }
        return sb.ToString();
    }

    /// <summary>The scalars of a mapping as parameters: nested keys joined with dots (a.b), list items as a[0].</summary>
    public static void Flatten(YNode node, string prefix, Dictionary<string, string> into, int depth = 0)
    {
        if (depth > 16)
        {
            return;
        }
        switch (node)
        {
            case YScalar s:
                if (prefix.Length > 0)
                {
                    into[prefix] = s.IsNull ? string.Empty : s.Value;
                }
                break;
            case YMapping m:
                foreach (var entry in m.Entries)
                {
                    Flatten(entry.Value, prefix.Length == 0 ? entry.Key.Value : prefix + "." + entry.Key.Value, into, depth + 1);
                }
                break;
            case YSequence seq:
                for (int i = 0; i < seq.Items.Count; i++)
                {
                    Flatten(seq.Items[i], $"{prefix}[{i}]", into, depth + 1);
                }
                break;
        }
    }

    /// <summary>The parameters ApplicationSet git generators give for a folder (and, for the files generator, a file in it).</summary>
    public static void PathParameters(string directory, string? file, Dictionary<string, string> into)
    {
        string[] segments = directory.Length == 0 ? Array.Empty<string>() : directory.Split('/');
        string basename = segments.Length == 0 ? string.Empty : segments[^1];
        into["path"] = directory;
        into["path.path"] = directory;
        into["path.basename"] = basename;
        into["path.basenameNormalized"] = Normalize(basename);
        for (int i = 0; i < segments.Length; i++)
        {
            into[$"path[{i}]"] = segments[i];
            into[$"path.segments[{i}]"] = segments[i];
        }
        if (file is not null)
        {
            string name = TreePath.FileName(file);
            into["path.filename"] = name;
            into["path.filenameNormalized"] = Normalize(name);
        }
    }

    /// <summary>Argo CD's normalisation for names: characters other than a-z, 0-9, '-' and '.' become '-', lower case.</summary>
    private static string Normalize(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (char c in value.ToLowerInvariant())
        {
            sb.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.' ? c : '-');
        }
        return sb.ToString();
    }

    /// <summary>
    /// A path glob as the ApplicationSet git generator matches it: * and ? within one path segment, [...] classes
    /// as characters, and ** (only in the files generator) across segments.
    /// </summary>
    public static bool GlobMatches(string pattern, string path, bool doubleStar)
    {
        string[] p = TreePath.Normalize(pattern).Split('/');
        string[] v = path.Length == 0 ? Array.Empty<string>() : path.Split('/');
        return Match(p, 0, v, 0, doubleStar, new HashSet<(int, int)>());
    }

    /// <summary>Segment matching; <paramref name="failed"/> remembers (pattern, value) positions that cannot match, so each is tried once.</summary>
    private static bool Match(string[] p, int pi, string[] v, int vi, bool doubleStar, HashSet<(int, int)> failed)
    {
        if (failed.Contains((pi, vi)))
        {
            return false;
        }
        int startP = pi, startV = vi;
        while (pi < p.Length)
        {
            if (doubleStar && p[pi] == "**")
            {
                // ** matches zero or more segments; at most one resume per segment of the value.
                for (int skip = vi; skip <= v.Length; skip++)
                {
                    if (Match(p, pi + 1, v, skip, doubleStar, failed))
                    {
                        return true;
                    }
                }
                failed.Add((startP, startV));
                return false;
            }
            if (vi >= v.Length || !GitOpsSec.Diagnostics.BoundedPattern.Wildcard(p[pi], v[vi]))
            {
                failed.Add((startP, startV));
                return false;
            }
            pi++;
            vi++;
        }
        return vi == v.Length;
    }
}
