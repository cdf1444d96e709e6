using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;

namespace GitOpsSec.Commands.Common;

/// <summary>Shared shape of the value completers: fixed or computed candidates, filtered by what was typed.</summary>
public abstract class ValueCompleter : IArgumentCompleter
{
    protected abstract IEnumerable<(string Value, string Tooltip)> Candidates(IDictionary fakeBoundParameters);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = new WildcardPattern((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        IEnumerable<(string Value, string Tooltip)> candidates;
        try
        {
            candidates = Candidates(fakeBoundParameters).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or GitOpsSec.Diagnostics.GitOpsSecOperationException)
        {
            yield break; // nothing to offer is better than an error while the user types
        }
        foreach (var (value, tooltip) in candidates.DistinctBy(c => c.Value, StringComparer.OrdinalIgnoreCase).OrderBy(c => c.Value, StringComparer.OrdinalIgnoreCase))
        {
            if (pattern.IsMatch(value))
            {
                string text = value.Contains(' ', StringComparison.Ordinal) || value.Contains('*', StringComparison.Ordinal) ? $"'{value}'" : value;
                yield return new CompletionResult(text, value, CompletionResultType.ParameterValue, tooltip);
            }
        }
    }

    /// <summary>The folder the command reads: its -Path (first one), else the current location.</summary>
    protected static string PathOf(IDictionary fakeBoundParameters)
    {
        object? path = fakeBoundParameters["Path"];
        string? first = path switch
        {
            string s => s,
            object[] a when a.Length > 0 => a[0]?.ToString(),
            _ => null,
        };
        return Path.GetFullPath(first ?? ".", Directory.GetCurrentDirectory());
    }
}

/// <summary>Rule categories of the catalog (-Category).</summary>
public sealed class CategoryCompleter : ValueCompleter
{
    protected override IEnumerable<(string, string)> Candidates(IDictionary bound) =>
        GitOpsSec.Rules.RuleCatalog.Rules.GroupBy(r => r.Category).Select(g => (g.Key, $"{g.Count()} rule(s)"));
}

/// <summary>Secret detectors only, for Find-GitOpsSecret -Rule / -ExcludeRule.</summary>
public sealed class SecretRuleCompleter : ValueCompleter
{
    protected override IEnumerable<(string, string)> Candidates(IDictionary bound) =>
        GitOpsSec.Secrets.SecretDetectorCatalog.Detectors.SelectMany(d => new[] { (d.Id, d.Info.Title), (d.Name, $"{d.Id} {d.Info.Title}") });
}

/// <summary>RBAC capabilities (-Capability).</summary>
public sealed class CapabilityCompleter : ValueCompleter
{
    protected override IEnumerable<(string, string)> Candidates(IDictionary bound) =>
        GitOpsSec.Rbac.RbacCapabilities.Named.Select(c => (c.Name, $"{c.Severity}: {c.Description}"));
}

/// <summary>Kubernetes API verbs (Test-RbacAccess -Verb).</summary>
public sealed class VerbCompleter : ValueCompleter
{
    private static readonly string[] Verbs =
        { "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind", "escalate", "use", "approve", "sign", "proxy", "*" };

    protected override IEnumerable<(string, string)> Candidates(IDictionary bound) => Verbs.Select(v => (v, v));
}

/// <summary>Kinds GitOps repositories hold (-Kind); any other kind can still be typed.</summary>
public sealed class KindCompleter : ValueCompleter
{
    private static readonly string[] Kinds =
    {
        "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "Service", "Ingress", "ConfigMap", "Secret",
        "SealedSecret", "ExternalSecret", "SecretStore", "ClusterSecretStore", "Namespace", "ServiceAccount", "Role", "ClusterRole",
        "RoleBinding", "ClusterRoleBinding", "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler", "PersistentVolumeClaim",
        "CustomResourceDefinition", "Application", "ApplicationSet", "AppProject", "Kustomization", "HelmRelease", "HelmRepository",
        "GitRepository", "OCIRepository", "ClusterPolicy", "Policy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    };

    protected override IEnumerable<(string, string)> Candidates(IDictionary bound) => Kinds.Select(k => (k, k));
}

/// <summary>Namespaces named in the manifests under -Path (metadata.namespace and Namespace objects), read quickly, at most 5,000 files.</summary>
public sealed class NamespaceCompleter : ValueCompleter
{
    private static readonly Regex NamespaceLine = new(@"^\s{2,}namespace:\s*[""']?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)[""']?\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private static readonly Regex NamespaceObject = new(@"^kind:\s*Namespace\s*$[\s\S]{0,400}?^\s{2}name:\s*[""']?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)", RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    protected override IEnumerable<(string, string)> Candidates(IDictionary bound)
    {
        string root = PathOf(bound);
        if (!Directory.Exists(root))
        {
            yield break;
        }
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (string file in Directory.EnumerateFiles(root, "*.y*ml", options).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}.git{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).Take(5000))
        {
            string text = File.ReadAllText(file);
            foreach (Match m in NamespaceLine.Matches(text).Concat(NamespaceObject.Matches(text)))
            {
                yield return (m.Groups[1].Value, "namespace in " + Path.GetRelativePath(root, file));
            }
        }
    }
}

/// <summary>Contexts of the kubeconfig (-Kubeconfig, else $KUBECONFIG's first file, else ~/.kube/config).</summary>
public sealed class KubeContextCompleter : ValueCompleter
{
    protected override IEnumerable<(string, string)> Candidates(IDictionary bound)
    {
        string? file = bound["Kubeconfig"] as string ??
            Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ??
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (!File.Exists(file))
        {
            yield break;
        }
        var errors = new List<GitOpsSec.Diagnostics.ScanError>();
        var root = GitOpsSec.Manifests.YamlDocumentReader.Read(File.ReadAllText(file), file, GitOpsSec.Manifests.LoadLimits.Default, errors.Add)
            .FirstOrDefault()?.Root as GitOpsSec.Manifests.YMapping;
        foreach (var context in root?.Seq("contexts")?.Items.OfType<GitOpsSec.Manifests.YMapping>() ?? Enumerable.Empty<GitOpsSec.Manifests.YMapping>())
        {
            if (context.Text("name") is string name)
            {
                yield return (name, $"cluster {context.Map("context")?.Text("cluster")}, user {context.Map("context")?.Text("user")}");
            }
        }
    }
}

/// <summary>Deployment units of the repository at -Path (-Application): their names and ids.</summary>
public sealed class ApplicationCompleter : ValueCompleter
{
    protected override IEnumerable<(string, string)> Candidates(IDictionary bound)
    {
        string root = PathOf(bound);
        if (!Directory.Exists(root))
        {
            yield break;
        }
        var model = GitOpsSec.Applications.ApplicationModel.ForFolder(root, new GitOpsSec.Diagnostics.CollectingHost());
        foreach (var unit in model.Units)
        {
            yield return (unit.Name, unit.Id);
            yield return (unit.Id, $"{unit.Status}: {string.Join(", ", unit.Sources.Select(s => s.Path))}");
        }
        yield return ("(none)", "objects no unit deploys");
    }
}
