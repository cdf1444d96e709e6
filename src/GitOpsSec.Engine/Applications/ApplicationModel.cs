using System.Text;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;

namespace GitOpsSec.Applications;

/// <summary>
/// The deployment units of a repository (Argo CD Applications and ApplicationSets, Flux Kustomizations and
/// HelmReleases) and, for every file, which units deploy it and into which namespace. Built once per scanned
/// tree before its objects are read: unit files are found by a byte search for the controllers' API groups,
/// so the rest of the tree is not parsed twice. Paths are followed inside the repository only.
/// </summary>
public sealed class ApplicationModel
{
    private static readonly byte[][] Markers = { "argoproj.io"u8.ToArray(), "fluxcd.io"u8.ToArray() };
    private static readonly byte[][] UnitKinds = { "kind: Application"u8.ToArray(), "kind: Kustomization"u8.ToArray(), "kind: HelmRelease"u8.ToArray() };

    private readonly IManifestTree _top;
    private readonly LoadLimits _limits;
    private readonly IScanHost _host;

    /// <summary>For reading files a second time (the loader reports their errors): errors and warnings are dropped.</summary>
    private readonly IScanHost _quiet;
    private readonly List<DeploymentUnit> _units = new();
    private readonly Dictionary<string, List<DeploymentUnit>> _byFile = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _filesInDir = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _subdirs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _chartDirs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Kustomization?> _kustomizations = new(StringComparer.Ordinal);
    private readonly List<string> _repositoryUrls;
    private readonly List<string> _files;
    private readonly Dictionary<string, (string? Url, string Path, string? Revision)> _gitSources = new(StringComparer.Ordinal);
    private KustomizeRenderer? _renderer;

    /// <summary>The branch checked out in the scanned working tree, or null when unknown (then every revision is taken to be it).</summary>
    private string? _currentBranch;

    /// <summary>For files a kustomization includes: the namespace: of the outermost one (what kustomize sets on their objects).</summary>
    private readonly Dictionary<string, string?> _kustomizedNamespace = new(StringComparer.Ordinal);

    /// <summary>Kustomization folders another kustomization uses: the loader renders them only through the one that uses them.</summary>
    private readonly HashSet<string> _referenced = new(StringComparer.Ordinal);

    /// <summary>Flux ExternalArtifacts made by an ArtifactGenerator (namespace/name): the GitRepository and the folders copied into it.</summary>
    private readonly Dictionary<string, List<(string File, List<(string Source, string From, string To)> Copies)>> _artifacts = new(StringComparer.Ordinal);

    /// <summary>The scanned root relative to the repository's top ("" or "apps/billing/").</summary>
    private readonly string _prefix;

    private ApplicationModel(IManifestTree top, string prefix, IReadOnlyList<string> files, IEnumerable<string> repositoryUrls, LoadLimits limits, IScanHost host)
    {
        _top = top;
        _prefix = prefix;
        _files = files.ToList();
        _limits = limits;
        _host = host;
        _quiet = new QuietHost(host);
        // A remote that is a local path (a clone of a clone, a CI workspace) says nothing about the URL units name.
        _repositoryUrls = repositoryUrls.Select(RepositoryUrl.Normalize).OfType<string>().Where(u => !u.StartsWith("file/", StringComparison.Ordinal)).Distinct().ToList();
        foreach (string file in _files)
        {
            string dir = TreePath.DirectoryOf(file);
            Index(dir).Add(file);
            if (TreePath.FileName(file) == "Chart.yaml")
            {
                _chartDirs.Add(dir);
            }
        }
    }

    /// <summary>Every unit, in the order of the files that define them.</summary>
    public IReadOnlyList<DeploymentUnit> Units => _units;

    /// <summary>The repository's own URLs (its remotes and any given), normalized: a source with one of them is this repository.</summary>
    public IReadOnlyList<string> RepositoryUrls => _repositoryUrls;

    /// <summary>Which kinds are cluster-scoped (built-in, plus the CRDs the scan has seen so far).</summary>
    public KubernetesScope Scope { get; } = new();

    /// <summary>
    /// The model for a tree: when the tree is a folder inside a git working tree, the whole working tree is searched for
    /// units (an Application in clusters/ deploys apps/), else the tree itself.
    /// </summary>
    public static ApplicationModel Build(IManifestTree tree, IReadOnlyList<string> treeFiles, IEnumerable<string> extraUrls, LoadLimits limits,
        KustomizeRenderer? renderer, IScanHost host)
    {
        IManifestTree top = tree;
        string prefix = string.Empty;
        IReadOnlyList<string> files = treeFiles;
        var urls = new List<string>(extraUrls);
        string? branch = null;
        if (tree is FileSystemTree fs)
        {
            string? workTree = SafeRepositoryRoot(fs.DisplayRoot);
            if (workTree is not null)
            {
                (IReadOnlyList<string> remotes, branch) = RepositoryUrl.Describe(workTree);
                urls.AddRange(remotes);
                string relative = Path.GetRelativePath(workTree, fs.DisplayRoot).Replace('\\', '/');
                if (relative != "." && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
                {
                    top = new FileSystemTree(workTree);
                    prefix = relative.TrimEnd('/') + "/";
                    files = top.EnumerateFiles(new QuietHost(host)).ToList();
                }
            }
        }
        if (prefix.Length == 0)
        {
            var model = new ApplicationModel(top, prefix, files, urls, limits, host) { _renderer = renderer, _currentBranch = branch };
            model.Discover();
            return model;
        }
        // A folder inside a repository: the repository's units (an Application in clusters/ deploys apps/) are what
        // deploy it. When none of them deploys a file of the folder, the folder is modelled alone, as a repository of
        // its own (a copy, an example, a monorepo's self-contained part).
        var quiet = new CollectingHost { Cancellation = host.Cancellation };
        var enclosing = new ApplicationModel(top, prefix, files, urls, limits, quiet) { _renderer = renderer, _currentBranch = branch };
        enclosing.Discover();
        if (enclosing._byFile.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            quiet.Errors.ForEach(host.Error);
            return enclosing;
        }
        var own = new ApplicationModel(tree, string.Empty, treeFiles, extraUrls, limits, host) { _renderer = renderer };
        own.Discover();
        return own;
    }

    /// <summary>The model of a folder on disk (for completers and file scans that have no loader).</summary>
    public static ApplicationModel ForFolder(string folder, IScanHost host)
    {
        using var tree = new FileSystemTree(folder);
        return Build(tree, tree.EnumerateFiles(host).ToList(), Array.Empty<string>(), LoadLimits.Default, null, host);
    }

    private static string? SafeRepositoryRoot(string path)
    {
        try
        {
            return GitOpsSec.Git.GitHistory.RepositoryRoot(path);
        }
        catch (LibGit2Sharp.LibGit2SharpException)
        {
            return null;
        }
    }

    /// <summary>The units that deploy a file of the scanned tree (a path relative to the scanned root).</summary>
    public IReadOnlyList<DeploymentUnit> UnitsForFile(string treePath) =>
        _byFile.TryGetValue(TreePath.Combine(_prefix, treePath), out var units) ? units : Array.Empty<DeploymentUnit>();

    /// <summary>
    /// Gives the object its units and the namespace it will land in. Cluster-scoped kinds have none; a Flux
    /// targetNamespace overrides the manifest; else the manifest's (or kustomize's), else Argo's destination, else default.
    /// </summary>
    public void Attach(ManifestObject obj)
    {
        if (obj.Kind == "CustomResourceDefinition")
        {
            Scope.Learn(obj);
        }
        string key = TreePath.Combine(_prefix, obj.Path);
        IReadOnlyList<DeploymentUnit> units = _byFile.TryGetValue(key, out var list) ? list : Array.Empty<DeploymentUnit>();
        if (obj.RenderedFrom is not null && _byFile.TryGetValue(TreePath.Combine(_prefix, obj.RenderedFrom), out var byKustomization))
        {
            // A base rendered by two overlays is deployed by the unit of the overlay that rendered this copy, and by a unit
            // that builds the base itself (which the loader renders only through the overlay).
            units = byKustomization.Concat(units.Where(u => !byKustomization.Contains(u) && u.KustomizationSources.Count > 0 &&
                                                            u.KustomizationSources.All(_referenced.Contains))).ToList();
        }
        obj.Applications = units.Select(u => u.Id).ToArray();
        if (obj.Kind is "Application" or "Kustomization" or "HelmRelease")
        {
            obj.Unit = _units.FirstOrDefault(u => u.Kind == obj.Kind && u.Name == obj.Name && u.Path == obj.Path && u.GeneratedBy is null);
        }
        // Argo CD's kustomize.namespace applies to the render too; a kustomization's own namespace: only where it was not rendered.
        string? kustomized = units.Select(u => u.KustomizeNamespace).FirstOrDefault(n => n is not null) ??
                             (obj.Source == "Kustomize" ? null : units.Select(u => u.Coverage.GetValueOrDefault(key)).FirstOrDefault(n => n is not null));
        ResolveNamespace(obj, Scope, units, kustomized);
        foreach (DeploymentUnit unit in units)
        {
            unit.Add(obj);
        }
    }

    /// <summary>For objects read without a model (one file): cluster-scoped kinds have no namespace, others default to "default".</summary>
    public static void AttachAlone(ManifestObject obj, KubernetesScope scope)
    {
        if (obj.Kind == "CustomResourceDefinition")
        {
            scope.Learn(obj);
        }
        ResolveNamespace(obj, scope, Array.Empty<DeploymentUnit>(), null);
    }

    /// <summary>
    /// The namespace the API server will put the object in. Cluster-scoped kinds have none; a Flux targetNamespace
    /// overrides everything (kustomize-controller sets it as the kustomization's namespace); kustomize's namespace:
    /// (read without rendering) overrides what is written; then what is written; then Argo CD's destination; else default.
    /// </summary>
    private static void ResolveNamespace(ManifestObject obj, KubernetesScope scope, IReadOnlyList<DeploymentUnit> units, string? kustomized)
    {
        string? declared = obj.DeclaredNamespace;
        if (scope.IsClusterScoped(obj.ApiVersion, obj.Kind))
        {
            obj.SetNamespace(null, NamespaceOrigin.ClusterScoped);
        }
        else if (units.FirstOrDefault(u => u.IsFlux && u.TargetNamespace is not null) is DeploymentUnit target)
        {
            obj.SetNamespace(target.TargetNamespace, NamespaceOrigin.TargetNamespace);
        }
        else if (kustomized is not null)
        {
            obj.SetNamespace(kustomized, NamespaceOrigin.Kustomize);
        }
        else if (declared is not null)
        {
            string? written = obj.SourceNode?.Map("metadata")?.Text("namespace");
            obj.SetNamespace(declared, obj.Source == "Kustomize" && written != declared ? NamespaceOrigin.Kustomize : NamespaceOrigin.Manifest);
        }
        else if (units.FirstOrDefault(u => !u.IsFlux && u.TargetNamespace is not null) is DeploymentUnit app)
        {
            obj.SetNamespace(app.TargetNamespace, NamespaceOrigin.Destination);
        }
        else
        {
            obj.SetNamespace("default", NamespaceOrigin.Default);
        }
    }

    /// <summary>The text of a file with the postBuild variables of the Flux Kustomization that deploys it substituted; the text itself when none does.</summary>
    internal string Substitute(string treePath, string text, Action<ScanError> error)
    {
        if (!text.Contains("${", StringComparison.Ordinal) || text.Contains("kustomize.toolkit.fluxcd.io/substitute: disabled", StringComparison.Ordinal))
        {
            return text;
        }
        var units = UnitsForFile(treePath).Where(u => u.Variables is not null).ToList();
        if (units.Count == 0)
        {
            return text;
        }
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        string result = Templates.Substitute(text, units[0].Variables!, unknown);
        if (unknown.Count > 0)
        {
            error(new ScanError(ErrorIds.UnknownVariable, ScanErrorCategory.ObjectNotFound,
                $"{units[0].Id} substitutes postBuild variables the repository does not define: {string.Join(", ", unknown)}. " +
                "They are left as ${...} references (never read as values).", treePath));
        }
        return result;
    }

    // ---- discovery ----------------------------------------------------------------------------------------

    private void Discover()
    {
        // Files that may hold units or their sources: a byte search for the controllers' API groups.
        // Files on disk are searched on every core (reading them is most of the work); what cannot be read is
        // reported when the loader reads it.
        var candidates = _files.Where(f => ManifestLoader.IsManifestFile(f) && !IsInChart(f)).ToList();
        var silent = new QuietHost(new CollectingHost());
        // Files on disk stay read for the loader, which reads every manifest next (within a budget).
        bool HasMarker(string file, IScanHost host) =>
            (_top is FileSystemTree disk ? disk.ReadAndKeep(file, _limits, host) : _top.ReadFile(file, _limits, host)) is byte[] bytes &&
            Markers.Any(m => bytes.AsSpan().IndexOf(m) >= 0);
        var markers = new HashSet<string>(_top is FileSystemTree && Environment.ProcessorCount > 1
            ? candidates.AsParallel().WithCancellation(_quiet.Cancellation).Where(f => HasMarker(f, silent))
            : candidates.Where(f => HasMarker(f, _quiet)), StringComparer.Ordinal);

        // Kustomizations: roots render the units they include as kustomize makes them (namespace, patches, prefixes);
        // patch files are not units of their own.
        var referenced = _referenced;
        var patches = new HashSet<string>(StringComparer.Ordinal);
        var kustomizationDirs = _files.Where(f => ManifestLoader.IsKustomizationFile(f) && !IsInChart(f)).Select(TreePath.DirectoryOf).Distinct().ToList();
        foreach (string dir in kustomizationDirs)
        {
            if (GetKustomization(dir) is Kustomization k)
            {
                referenced.UnionWith(k.Directories);
                patches.UnionWith(k.OtherFiles);
            }
        }
        var found = new List<(string File, YMapping Node, string? Root)>();
        var handled = new HashSet<string>(StringComparer.Ordinal);
        foreach (string root in kustomizationDirs.Where(d => !referenced.Contains(d)))
        {
            var closure = new Dictionary<string, string?>(StringComparer.Ordinal);
            WalkKustomization(root, null, closure, new HashSet<string>(StringComparer.Ordinal));
            foreach (var (file, ns) in closure)
            {
                _kustomizedNamespace.TryAdd(file, ns);
            }
            var unitFiles = closure.Keys.Where(markers.Contains).ToList();
            if (unitFiles.Count == 0)
            {
                continue;
            }
            string? output = null;
            if (_renderer is not null && _top.PhysicalDirectory(root, _quiet) is string physical)
            {
                output = _renderer.Render(physical, _host.Cancellation, keep: true).Output;
            }
            if (output is null)
            {
                continue; // not rendered: its files are read as written below
            }
            // Where a rendered unit is written: its resource file, not a patch that changes it.
            var sources = unitFiles.Where(f => !patches.Contains(f)).SelectMany(f => Parse(f).Select(n => (File: f, Node: n))).ToList();
            foreach (YamlDocument doc in YamlDocumentReader.Read(output, root, _limits, _ => { }))
            {
                if (doc.Root is YMapping map && IsModelKind(map))
                {
                    var origin = Origin(map, sources);
                    found.Add((origin?.File ?? Kustomization.FileIn(_top, root)!, map, root));
                }
            }
            handled.UnionWith(unitFiles);
        }
        foreach (string chart in _chartDirs.Order(StringComparer.Ordinal))
        {
            found.AddRange(RenderChart(chart));
        }
        foreach (string file in markers.Where(f => !handled.Contains(f) && !patches.Contains(f)))
        {
            foreach (YMapping node in Parse(file))
            {
                if (IsModelKind(node))
                {
                    found.Add((file, node, null));
                }
            }
        }
        foreach (var (file, node, _) in found)
        {
            string apiVersion = node.Text("apiVersion") ?? string.Empty;
            string kind = node.Text("kind") ?? string.Empty;
            if (kind is "GitRepository" && apiVersion.StartsWith("source.toolkit.fluxcd.io/", StringComparison.Ordinal))
            {
                YMapping? metadata = node.Map("metadata");
                _gitSources[$"{NamespaceOf(node, file) ?? "flux-system"}/{metadata?.Text("name")}"] = (node.Map("spec")?.Text("url"), file, Ref(node.Map("spec")?.Map("ref")));
            }
            else if (kind is "ArtifactGenerator" && apiVersion.StartsWith("source.extensions.fluxcd.io/", StringComparison.Ordinal))
            {
                AddArtifactGenerator(node, file);
            }
        }
        foreach (var (file, node, root) in found)
        {
            int before = _units.Count;
            string apiVersion = node.Text("apiVersion") ?? string.Empty;
            string kind = node.Text("kind") ?? string.Empty;
            if (apiVersion.StartsWith("argoproj.io/", StringComparison.Ordinal) && kind == "Application")
            {
                AddArgoApplication(node, file, node.Line, NamespaceOf(node, file), null, s => s);
            }
            else if (apiVersion.StartsWith("argoproj.io/", StringComparison.Ordinal) && kind == "ApplicationSet")
            {
                AddApplicationSet(node, file);
            }
            else if (apiVersion.StartsWith("kustomize.toolkit.fluxcd.io/", StringComparison.Ordinal) && kind == "Kustomization")
            {
                AddFluxKustomization(node, file);
            }
            else if (apiVersion.StartsWith("helm.toolkit.fluxcd.io/", StringComparison.Ordinal) && kind == "HelmRelease")
            {
                AddHelmRelease(node, file);
            }
            foreach (DeploymentUnit added in _units.Skip(before))
            {
                added.DefinedBy = root;
            }
        }
        AddBootstrapUnits();
        foreach (var same in _units.GroupBy(u => u.Id).Where(g => g.Count() > 1))
        {
            foreach (DeploymentUnit unit in same)
            {
                unit.Qualifier = unit.DefinedBy ?? TreePath.DirectoryOf(TreePath.Combine(_prefix, unit.Path));
            }
        }
        foreach (DeploymentUnit unit in _units)
        {
            foreach (var (path, _) in unit.Coverage)
            {
                if (!_byFile.TryGetValue(path, out var owners))
                {
                    _byFile[path] = owners = new List<DeploymentUnit>();
                }
                if (!owners.Contains(unit))
                {
                    owners.Add(unit);
                }
            }
        }
        LinkParents();
    }

    private IEnumerable<YMapping> Parse(string file)
    {
        if (!_top.FileExists(file))
        {
            return Enumerable.Empty<YMapping>();
        }
        byte[]? bytes = _top.ReadFile(file, _limits, _quiet);
        string? text = bytes is null ? null : YamlDocumentReader.Decode(bytes, file, _ => { });
        return text is null
            ? Enumerable.Empty<YMapping>()
            : YamlDocumentReader.Read(text, file, _limits, _ => { }).Select(d => d.Root).OfType<YMapping>().ToList();
    }

    /// <summary>
    /// An app-of-apps Helm chart: when its templates hold Argo CD or Flux objects, they are rendered with the chart's
    /// values.yaml by the offline subset of Go templates (<see cref="GoTemplate"/>), so the units they make are known.
    /// A chart that uses more than that subset is reported with a warning and not guessed at.
    /// </summary>
    private IEnumerable<(string File, YMapping Node, string? Root)> RenderChart(string chart)
    {
        string prefix = chart.Length == 0 ? "templates/" : chart + "/templates/";
        var templates = _files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal) && !TreePath.FileName(f).StartsWith('_') &&
                                          (f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))).ToList();
        // Templates that make units (not a chart's own Rollouts or ServiceMonitors): the API group and a unit kind.
        var withUnits = templates.Where(f => _top.ReadFile(f, _limits, _quiet) is byte[] b && Markers.Any(m => b.AsSpan().IndexOf(m) >= 0) &&
                                             UnitKinds.Any(k => b.AsSpan().IndexOf(k) >= 0)).ToList();
        if (withUnits.Count == 0)
        {
            return Array.Empty<(string, YMapping, string?)>();
        }
        object? values = Parse(TreePath.Combine(chart, "values.yaml")).Select(ToPlain).FirstOrDefault() ?? new Dictionary<string, object?>();
        YMapping? chartYaml = Parse(TreePath.Combine(chart, "Chart.yaml")).FirstOrDefault();
        var data = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Values"] = values,
            ["Release"] = new Dictionary<string, object?> { ["Name"] = chartYaml?.Text("name") ?? TreePath.FileName(chart), ["Namespace"] = "default", ["Service"] = "Helm", ["IsInstall"] = true },
            ["Chart"] = new Dictionary<string, object?> { ["Name"] = chartYaml?.Text("name"), ["Version"] = chartYaml?.Text("version") },
        };
        var result = new List<(string, YMapping, string?)>();
        foreach (string template in withUnits)
        {
            byte[]? bytes = _top.ReadFile(template, _limits, _quiet);
            string? text = bytes is null ? null : YamlDocumentReader.Decode(bytes, template, _ => { });
            if (text is null)
            {
                continue;
            }
            string rendered;
            try
            {
                rendered = GoTemplate.Render(text, data);
            }
            catch (TemplateNotSupportedException e)
            {
                _host.Warning($"'{Display(template)}' makes Argo CD or Flux objects from a Helm template that is not rendered offline ({e.Message}); " +
                              "the units it makes are not known. Render the chart with 'helm template' and scan the output to follow them.");
                continue;
            }
            foreach (YamlDocument doc in YamlDocumentReader.Read(rendered, template, _limits, _ => { }))
            {
                if (doc.Root is YMapping map && IsModelKind(map))
                {
                    result.Add((template, map, chart));
                }
            }
        }
        return result;
    }

    private static object? ToPlain(YNode node) => node switch
    {
        YScalar s => ScalarResolver.Resolve(s),
        YSequence seq => seq.Items.Select(ToPlain).ToList(),
        YMapping map => map.Entries.ToDictionary(e => e.Key.Value, e => ToPlain(e.Value), StringComparer.Ordinal),
        _ => null,
    };

    private static bool IsModelKind(YMapping node) =>
        (node.Text("apiVersion") ?? string.Empty) switch
        {
            var a when a.StartsWith("argoproj.io/", StringComparison.Ordinal) => node.Text("kind") is "Application" or "ApplicationSet",
            var a when a.StartsWith("kustomize.toolkit.fluxcd.io/", StringComparison.Ordinal) => node.Text("kind") == "Kustomization",
            var a when a.StartsWith("helm.toolkit.fluxcd.io/", StringComparison.Ordinal) => node.Text("kind") == "HelmRelease",
            var a when a.StartsWith("source.toolkit.fluxcd.io/", StringComparison.Ordinal) => node.Text("kind") == "GitRepository",
            var a when a.StartsWith("source.extensions.fluxcd.io/", StringComparison.Ordinal) => node.Text("kind") == "ArtifactGenerator",
            _ => false,
        };

    /// <summary>The written object a rendered one came from: same kind, and the longest written name the rendered name contains.</summary>
    private static (string File, YMapping Node)? Origin(YMapping rendered, List<(string File, YMapping Node)> sources)
    {
        string? name = rendered.Map("metadata")?.Text("name");
        (string File, YMapping Node)? best = null;
        int bestLength = -1;
        foreach (var source in sources)
        {
            string? written = source.Node.Map("metadata")?.Text("name");
            if (source.Node.Text("kind") == rendered.Text("kind") && written is not null && name is not null &&
                name.Contains(written, StringComparison.Ordinal) && written.Length > bestLength)
            {
                best = source;
                bestLength = written.Length;
            }
        }
        return best;
    }

    /// <summary>The namespace of a unit object: its own, else what a kustomization that includes its file sets.</summary>
    private string? NamespaceOf(YMapping node, string file) =>
        node.Map("metadata")?.Text("namespace") ?? _kustomizedNamespace.GetValueOrDefault(file);

    /// <summary>A kustomization's closure (its file, resources, patches and those of what it uses) with the namespace: over each; an overlay's wins over its bases'.</summary>
    private void WalkKustomization(string dir, string? outer, Dictionary<string, string?> into, HashSet<string> seen)
    {
        if (!seen.Add(dir) || GetKustomization(dir) is not Kustomization k)
        {
            return;
        }
        string? ns = outer ?? k.Namespace;
        into.TryAdd(k.File, ns);
        foreach (string file in k.Files.Concat(k.OtherFiles))
        {
            into.TryAdd(file, ns);
        }
        foreach (string sub in k.Directories)
        {
            WalkKustomization(sub, ns, into, seen);
        }
    }

    private void LinkParents()
    {
        var byId = new Dictionary<string, DeploymentUnit>(StringComparer.Ordinal);
        foreach (DeploymentUnit unit in _units)
        {
            byId.TryAdd(unit.Id, unit);
        }
        foreach (DeploymentUnit unit in _units)
        {
            var parents = unit.GeneratedBy is string set ? new List<string> { set } : new List<string>();
            if (unit.GeneratedBy is null)
            {
                parents.AddRange(owners(unit).Select(o => o.Id));
            }
            unit.Parents = parents.Distinct(StringComparer.Ordinal).ToList();
            if (unit.Namespace is null)
            {
                // A unit object without a namespace lands where its parent puts it.
                unit.Namespace = owners(unit).Select(o => o.TargetNamespace).FirstOrDefault(n => n is not null);
            }
        }
        // A cycle (A deploys B, B deploys A) is reported once; a unit that deploys itself (Flux's flux-system) is normal.
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (DeploymentUnit unit in _units)
        {
            var path = new List<string> { unit.Id };
            if (FindCycle(unit, unit.Id, byId, path, new HashSet<string>(StringComparer.Ordinal)) && reported.Add(string.Join(",", path.Order(StringComparer.Ordinal))))
            {
                _host.Error(new ScanError(ErrorIds.ApplicationCycle, ScanErrorCategory.InvalidData,
                    $"Deployment units deploy each other in a cycle: {string.Join(" -> ", path)}. Each is still analysed once.", unit.Path, unit.Line));
            }
        }

        IEnumerable<DeploymentUnit> owners(DeploymentUnit u) =>
            _byFile.TryGetValue(TreePath.Combine(_prefix, u.Path), out var o) ? o.Where(x => !ReferenceEquals(x, u)) : Enumerable.Empty<DeploymentUnit>();
    }

    private static bool FindCycle(DeploymentUnit current, string start, Dictionary<string, DeploymentUnit> byId, List<string> path, HashSet<string> seen)
    {
        foreach (string parent in current.Parents)
        {
            if (parent == start && path.Count > 1)
            {
                path.Add(start);
                return true;
            }
            if (path.Count < 32 && seen.Add(parent) && byId.TryGetValue(parent, out DeploymentUnit? next))
            {
                path.Add(parent);
                if (FindCycle(next, start, byId, path, seen))
                {
                    return true;
                }
                path.RemoveAt(path.Count - 1);
            }
        }
        return false;
    }

    // ---- Argo CD ------------------------------------------------------------------------------------------

    private DeploymentUnit? AddArgoApplication(YMapping node, string file, int line, string? ns, string? generatedBy, Func<string, string?> expand)
    {
        YMapping? metadata = node.Map("metadata");
        YMapping? spec = node.Map("spec");
        string? T(YMapping? map, string key) => map?.Text(key) is string raw ? expand(raw) : null;
        string? name = T(metadata, "name");
        if (name is null || spec is null)
        {
            return null;
        }
        YMapping? destination = spec.Map("destination");
        YMapping? automated = spec.Map("syncPolicy")?.Map("automated");
        bool automatic = automated is not null && automated.Scalar("enabled")?.AsBoolean() != false;
        var unit = new DeploymentUnit
        {
            Kind = "Application",
            Name = name,
            Namespace = T(metadata, "namespace") ?? ns,
            Path = Display(file),
            Line = line,
            TargetNamespace = T(destination, "namespace") is { Length: > 0 } dns ? dns : null,
            Destination = T(destination, "server") ?? T(destination, "name"),
            Project = T(spec, "project") ?? "default",
            SyncPolicy = automatic ? "Automated" : "Manual",
            Prune = automatic && automated!.Scalar("prune")?.AsBoolean() == true,
            SelfHeal = automatic && automated!.Scalar("selfHeal")?.AsBoolean() == true,
            GeneratedBy = generatedBy,
        };
        var sources = new List<UnitSource>();
        IEnumerable<YMapping> sourceNodes = spec.Seq("sources")?.Items.OfType<YMapping>() ?? (spec.Map("source") is YMapping one ? new[] { one } : Array.Empty<YMapping>());
        foreach (YMapping s in sourceNodes)
        {
            string? repo = T(s, "repoURL");
            string? path = T(s, "path");
            string? chart = T(s, "chart");
            if (chart is not null)
            {
                sources.Add(new UnitSource { RepoUrl = repo, Path = chart, Revision = T(s, "targetRevision"), Type = "Helm", SourceKind = "HelmRepository" });
                unit.Note($"Helm chart {chart} from {repo} is not rendered (no helm here); render it with 'helm template' and scan the output.");
                continue;
            }
            if (path is null)
            {
                if (s.Text("ref") is null)
                {
                    unit.Note($"A source of {repo} has no path.");
                }
                continue; // a ref: source only provides value files
            }
            var source = new UnitSource { RepoUrl = repo, Path = TreePath.Normalize(path), Revision = T(s, "targetRevision"), InRepository = IsThisRepository(repo, TreePath.Normalize(path), unit) };
            sources.Add(source);
            if (!source.InRepository)
            {
                source.Type = "External";
                unit.Note($"Source {repo} is another repository; its objects are not here.");
                continue;
            }
            YMapping? directory = s.Map("directory");
            if (s.Map("plugin") is not null)
            {
                source.Type = "Plugin";
                unit.Note($"Source path {source.Path} is rendered by a config management plugin, which is not run offline.");
                continue;
            }
            string? kustomizeNamespace = T(s.Map("kustomize"), "namespace");
            Cover(unit, source, flux: false, recurse: directory?.Scalar("recurse")?.AsBoolean() == true,
                include: T(directory, "include"), exclude: T(directory, "exclude"), kustomizeNamespace);
            if (source.Type == "Kustomize" && kustomizeNamespace is not null)
            {
                unit.KustomizeNamespace = kustomizeNamespace;
            }
        }
        unit.Sources = sources;
        Finish(unit, sources);
        _units.Add(unit);
        return unit;
    }

    private void AddApplicationSet(YMapping node, string file)
    {
        YMapping? metadata = node.Map("metadata");
        YMapping? spec = node.Map("spec");
        string? setNamespace = NamespaceOf(node, file);
        string setId = $"ApplicationSet/{(setNamespace is string ns ? ns + "/" : "")}{metadata?.Text("name")}";
        if (spec?.Map("template") is not YMapping template)
        {
            return;
        }
        bool go = spec.Scalar("goTemplate")?.AsBoolean() == true;
        var all = new List<Dictionary<string, string>>();
        foreach (YMapping generator in spec.Seq("generators")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            var generated = Generate(generator, setId, file, 0);
            if (generated is null)
            {
                continue;
            }
            all.AddRange(generated);
        }
        foreach (var parameters in all)
        {
            string? missing = null;
            DeploymentUnit? unit = AddArgoApplication(template, file, template.Line, setNamespace, setId, raw =>
            {
                string? value = Templates.ExpandParameters(raw, parameters, go, out string? why);
                missing ??= why;
                return value;
            });
            if (missing is not null)
            {
                _host.Error(new ScanError(ErrorIds.GeneratorUnresolved, ScanErrorCategory.InvalidData,
                    $"{setId}: the template uses '{missing}', which its generator does not provide offline; the application it makes is not guessed.", Display(file), template.Line));
                if (unit is not null)
                {
                    unit.Note($"Template parameter '{missing}' could not be filled offline.");
                    unit.Status = UnitStatus.Unresolved;
                }
            }
        }
    }

    /// <summary>Parameter sets of a generator: list, git directories, git files, and a matrix of those; null (reported) for the others.</summary>
    private List<Dictionary<string, string>>? Generate(YMapping generator, string setId, string file, int depth)
    {
        if (generator.Map("list") is YMapping list)
        {
            var result = new List<Dictionary<string, string>>();
            foreach (YNode element in list.Seq("elements")?.Items ?? (IReadOnlyList<YNode>)Array.Empty<YNode>())
            {
                var p = new Dictionary<string, string>(StringComparer.Ordinal);
                Templates.Flatten(element, string.Empty, p);
                result.Add(p);
            }
            if (list.ContainsKey("elementsYaml"))
            {
                return Unresolved("list generator with elementsYaml");
            }
            return result;
        }
        if (generator.Map("git") is YMapping git)
        {
            string? repo = git.Text("repoURL");
            if (!IsThisRepository(repo, null, null))
            {
                return Unresolved($"git generator over another repository ({repo})");
            }
            var result = new List<Dictionary<string, string>>();
            if (git.Seq("directories") is YSequence dirs)
            {
                var entries = dirs.Items.OfType<YMapping>().Select(d => (Path: d.Text("path") ?? string.Empty, Exclude: d.Scalar("exclude")?.AsBoolean() == true)).ToList();
                foreach (string dir in _subdirs.Keys.Concat(_filesInDir.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    if (dir.Length == 0 || !entries.Any(e => !e.Exclude && Templates.GlobMatches(e.Path, dir, false)) ||
                        entries.Any(e => e.Exclude && Templates.GlobMatches(e.Path, dir, false)))
                    {
                        continue;
                    }
                    var p = new Dictionary<string, string>(StringComparer.Ordinal);
                    Templates.PathParameters(dir, null, p);
                    result.Add(p);
                }
            }
            foreach (YMapping f in git.Seq("files")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
            {
                string pattern = f.Text("path") ?? string.Empty;
                foreach (string match in _files.Where(x => Templates.GlobMatches(pattern, x, true)))
                {
                    byte[]? bytes = _top.ReadFile(match, _limits, _host);
                    string? text = bytes is null ? null : YamlDocumentReader.Decode(bytes, match, _host.Error);
                    foreach (YamlDocument doc in text is null ? Enumerable.Empty<YamlDocument>() : YamlDocumentReader.Read(text, match, _limits, _host.Error))
                    {
                        IEnumerable<YNode> items = doc.Root is YSequence seq ? seq.Items : doc.Root is null ? Array.Empty<YNode>() : new[] { doc.Root };
                        foreach (YNode item in items.OfType<YMapping>())
                        {
                            var p = new Dictionary<string, string>(StringComparer.Ordinal);
                            Templates.Flatten(item, string.Empty, p);
                            Templates.PathParameters(TreePath.DirectoryOf(match), match, p);
                            result.Add(p);
                        }
                    }
                }
            }
            return result;
        }
        if (generator.Map("matrix") is YMapping matrix && depth == 0)
        {
            var children = matrix.Seq("generators")?.Items.OfType<YMapping>().ToList() ?? new List<YMapping>();
            if (children.Count != 2)
            {
                return Unresolved("matrix generator without exactly two generators");
            }
            var a = Generate(children[0], setId, file, depth + 1);
            var b = a is null ? null : Generate(children[1], setId, file, depth + 1);
            if (a is null || b is null)
            {
                return null;
            }
            return a.SelectMany(x => b.Select(y =>
            {
                var merged = new Dictionary<string, string>(x, StringComparer.Ordinal);
                foreach (var (k, v) in y)
                {
                    merged[k] = v;
                }
                return merged;
            })).ToList();
        }
        string kind = generator.Entries.FirstOrDefault(e => e.Key.Value != "selector").Key?.Value ?? "(empty)";
        return Unresolved($"{kind} generator (needs a cluster, an API or a plugin)");

        List<Dictionary<string, string>>? Unresolved(string what)
        {
            _host.Error(new ScanError(ErrorIds.GeneratorUnresolved, ScanErrorCategory.InvalidData,
                $"{setId}: the {what} cannot be evaluated offline; the applications it makes are listed as unresolved, never guessed.", Display(file), generator.Line));
            _units.Add(new DeploymentUnit
            {
                Kind = "Application", Name = $"({what})", Namespace = null, Path = Display(file), Line = generator.Line, GeneratedBy = setId,
                Status = UnitStatus.Unresolved,
            }.WithNote($"Generated by {setId} from a {what}: not evaluated offline."));
            return null;
        }
    }

    // ---- Flux ---------------------------------------------------------------------------------------------

    /// <summary>What Flux Kustomizations and HelmReleases share: target namespace, service account, suspend, dependsOn, tenant.</summary>
    private DeploymentUnit FluxUnit(string kind, string name, string? ns, string file, YMapping node, YMapping spec) => new()
    {
        Kind = kind,
        Name = name,
        Namespace = ns,
        Path = Display(file),
        Line = node.Line,
        TargetNamespace = spec.Text("targetNamespace"),
        ServiceAccount = spec.Text("serviceAccountName"),
        SyncPolicy = spec.Scalar("suspend")?.AsBoolean() == true ? "Suspended" : "Automated",
        SelfHeal = spec.Scalar("suspend")?.AsBoolean() != true,
        DependsOn = DependsOn(spec, kind, ns),
        Project = ns is null or "flux-system" ? null : ns,
    };

    /// <summary>Name, spec and namespace of a Flux unit object; null when it has no name or spec.</summary>
    private (string Name, YMapping Spec, string? Namespace)? FluxHeader(YMapping node, string file) =>
        node.Map("metadata")?.Text("name") is string name && node.Map("spec") is YMapping spec ? (name, spec, NamespaceOf(node, file)) : null;

    private void AddFluxKustomization(YMapping node, string file)
    {
        if (FluxHeader(node, file) is not var (name, spec, ns))
        {
            return;
        }
        DeploymentUnit unit = FluxUnit("Kustomization", name, ns, file, node, spec);
        unit.Destination = spec.Map("kubeConfig")?.Map("secretRef")?.Text("name") is string kc ? $"kubeConfig secret {kc}" : null;
        unit.Prune = spec.Scalar("prune")?.AsBoolean() == true;
        YMapping? sourceRef = spec.Map("sourceRef");
        string sourceKind = sourceRef?.Text("kind") ?? "GitRepository";
        string sourceName = $"{sourceRef?.Text("namespace") ?? ns ?? "flux-system"}/{sourceRef?.Text("name")}";
        string path = TreePath.Normalize(spec.Text("path") ?? string.Empty);
        UnitSource source;
        if (sourceKind == "ExternalArtifact" && ArtifactPath(sourceName, path, file) is (string gitSource, string mapped))
        {
            // An ArtifactGenerator copies folders of a GitRepository into the artifact: follow the copy back.
            sourceName = gitSource;
            path = mapped;
            sourceKind = "GitRepository";
        }
        if (sourceKind != "GitRepository")
        {
            source = new UnitSource { RepoUrl = $"{sourceKind}/{sourceName}", Path = path, Type = "External", SourceKind = sourceKind };
            unit.Note($"Source {sourceKind} {sourceName} is not a git repository; its objects are not here.");
        }
        else
        {
            bool defined = _gitSources.TryGetValue(sourceName, out var git);
            string? url = git.Url;
            bool bootstrap = !defined && sourceName == "flux-system/flux-system";
            if (bootstrap)
            {
                unit.Note("GitRepository flux-system/flux-system is not defined in the repository (flux bootstrap creates it for this repository).");
            }
            else if (!defined)
            {
                unit.Note($"GitRepository {sourceName} is not defined in the repository, so where it points is unknown.");
            }
            source = new UnitSource { RepoUrl = url, Path = path, Revision = git.Revision, InRepository = bootstrap ? _top.DirectoryExists(path) || path.Length == 0 : defined && IsThisRepository(url, path, unit) };
            if (source.InRepository)
            {
                Cover(unit, source, flux: true, recurse: true, include: null, exclude: null, kustomizeNamespace: null);
                foreach (string component in spec.Seq("components")?.Items.OfType<YScalar>().Select(c => c.Value) ?? Enumerable.Empty<string>())
                {
                    // spec.components: kustomize components, relative to the path, added to its kustomization.
                    string dir = TreePath.Combine(path, component);
                    if (!dir.StartsWith("..", StringComparison.Ordinal) && GetKustomization(dir) is not null)
                    {
                        WalkKustomization(dir, null, unit.Coverage, new HashSet<string>(StringComparer.Ordinal));
                    }
                }
            }
            else
            {
                source.Type = "External";
                unit.Note($"Source {url} is another repository; its objects are not here.");
            }
        }
        unit.Sources = new[] { source };
        Variables(unit, spec.Map("postBuild"), ns);
        Finish(unit, unit.Sources);
        _units.Add(unit);
    }

    /// <summary>
    /// An ArtifactGenerator's copies: from "@alias/dir/**" (or a glob in dir) to "@artifact/dest/", where the alias is a
    /// GitRepository. Only folder copies are recorded; a copy of single files is not followed.
    /// </summary>
    private void AddArtifactGenerator(YMapping node, string file)
    {
        string ns = NamespaceOf(node, file) ?? "flux-system";
        YMapping? spec = node.Map("spec");
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (YMapping s in spec?.Seq("sources")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            if ((s.Text("kind") ?? "GitRepository") == "GitRepository" && s.Text("alias") is string alias && s.Text("name") is string name)
            {
                aliases[alias] = $"{s.Text("namespace") ?? ns}/{name}";
            }
        }
        foreach (YMapping artifact in spec?.Seq("artifacts")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            if (artifact.Text("name") is not string name)
            {
                continue;
            }
            var copies = new List<(string, string, string)>();
            foreach (YMapping copy in artifact.Seq("copy")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
            {
                string from = copy.Text("from") ?? string.Empty;
                string to = copy.Text("to") ?? string.Empty;
                int slash = from.IndexOf('/');
                if (!from.StartsWith('@') || slash < 0 || !to.StartsWith("@artifact/", StringComparison.Ordinal) || !to.EndsWith('/') ||
                    !aliases.TryGetValue(from[1..slash], out string? source))
                {
                    continue;
                }
                string fromPath = from[(slash + 1)..];
                int glob = fromPath.IndexOfAny(new[] { '*', '?', '[' });
                string fromDir = TreePath.Normalize(glob < 0 ? fromPath : TreePath.DirectoryOf(fromPath[..glob] + "x"));
                copies.Add((source, fromDir, TreePath.Normalize(to["@artifact/".Length..])));
            }
            if (!_artifacts.TryGetValue($"{ns}/{name}", out var defined))
            {
                _artifacts[$"{ns}/{name}"] = defined = new();
            }
            defined.Add((file, copies));
        }
    }

    /// <summary>The GitRepository and repository folder behind a path of an ExternalArtifact, or null when no copy covers it.</summary>
    private (string Source, string Path)? ArtifactPath(string artifact, string path, string unitFile)
    {
        if (!_artifacts.TryGetValue(artifact, out var defined))
        {
            return null;
        }
        // Each cluster folder defines its own generator of the same name: take the one nearest the unit.
        var copies = defined.OrderByDescending(d => SharedPrefix(d.File, unitFile)).First().Copies;
        foreach (var (source, from, to) in copies.OrderByDescending(c => c.To.Length))
        {
            if (to.Length == 0 || path == to || path.StartsWith(to + "/", StringComparison.Ordinal))
            {
                string rest = to.Length == 0 ? path : path[to.Length..].TrimStart('/');
                return (source, TreePath.Combine(from, rest));
            }
        }
        return null;
    }

    /// <summary>
    /// flux bootstrap writes gotk-components.yaml and gotk-sync.yaml into &lt;path&gt;/flux-system and creates the flux-system
    /// GitRepository and Kustomization for &lt;path&gt; in the cluster. When the repository does not hold that Kustomization
    /// (gotk-sync.yaml is a placeholder, or it was applied by hand), the unit is added as bootstrap made it.
    /// </summary>
    private void AddBootstrapUnits()
    {
        foreach (string components in _files.Where(f => TreePath.FileName(f) == "gotk-components.yaml"))
        {
            string fluxSystem = TreePath.DirectoryOf(components);
            string root = TreePath.DirectoryOf(fluxSystem);
            if (_units.Any(u => u.Kind == "Kustomization" && u.Sources.Any(s => s.InRepository && s.Path == root)))
            {
                continue;
            }
            var unit = new DeploymentUnit
            {
                Kind = "Kustomization", Name = "flux-system", Namespace = "flux-system",
                Path = Display(TreePath.Combine(fluxSystem, "gotk-sync.yaml")), Line = 1,
                SyncPolicy = "Automated", Prune = true, SelfHeal = true,
            };
            unit.Note($"Made by flux bootstrap for {(root.Length == 0 ? "." : root)} (gotk-components.yaml is here; the Kustomization is not in the repository).");
            var source = new UnitSource { RepoUrl = _repositoryUrls.FirstOrDefault(), Path = root, InRepository = true };
            Cover(unit, source, flux: true, recurse: true, include: null, exclude: null, kustomizeNamespace: null);
            unit.Sources = new[] { source };
            Finish(unit, unit.Sources);
            _units.Add(unit);
        }
    }

    /// <summary>A GitRepository's spec.ref as one revision: branch, tag, semver, name or commit.</summary>
    private static string? Ref(YMapping? reference) =>
        reference?.Text("branch") ?? reference?.Text("tag") ?? reference?.Text("semver") ?? reference?.Text("name") ?? reference?.Text("commit");

    private static int SharedPrefix(string a, string b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
        {
            n++;
        }
        return n;
    }

    private void AddHelmRelease(YMapping node, string file)
    {
        if (FluxHeader(node, file) is not var (name, spec, ns))
        {
            return;
        }
        YMapping? chart = spec.Map("chart")?.Map("spec");
        YMapping? chartRef = spec.Map("chartRef");
        YMapping? sourceRef = chart?.Map("sourceRef") ?? chartRef;
        DeploymentUnit unit = FluxUnit("HelmRelease", name, ns, file, node, spec);
        unit.Status = UnitStatus.NotRendered;
        string what = chart?.Text("chart") ?? $"{chartRef?.Text("kind")} {chartRef?.Text("name")}";
        unit.Sources = new[] { new UnitSource { SourceKind = sourceRef?.Text("kind") ?? "HelmRepository", RepoUrl = sourceRef is null ? null : $"{sourceRef.Text("kind")}/{sourceRef.Text("namespace") ?? ns}/{sourceRef.Text("name")}", Path = what, Revision = chart?.Text("version"), Type = "Helm" } };
        unit.Note($"Helm chart {what} is not rendered (no helm here); render it with 'helm template' and scan the output.");
        _units.Add(unit);
    }

    private static IReadOnlyList<string> DependsOn(YMapping spec, string kind, string? ns) =>
        spec.Seq("dependsOn")?.Items.OfType<YMapping>()
            .Select(d => $"{kind}/{d.Text("namespace") ?? ns ?? "flux-system"}/{d.Text("name")}").ToList() ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>postBuild.substitute and substituteFrom: values from the ConfigMaps and Secrets the repository holds (not SOPS-encrypted ones).</summary>
    private void Variables(DeploymentUnit unit, YMapping? postBuild, string? ns)
    {
        if (postBuild is null)
        {
            return;
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in postBuild.Map("substitute")?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
        {
            if (entry.Value is YScalar s)
            {
                variables[entry.Key.Value] = s.Value;
            }
        }
        foreach (YMapping from in postBuild.Seq("substituteFrom")?.Items.OfType<YMapping>() ?? Enumerable.Empty<YMapping>())
        {
            string kind = from.Text("kind") ?? "ConfigMap";
            string? name = from.Text("name");
            if (name is null)
            {
                continue;
            }
            if (FindObject(kind, name, ns) is not YMapping source)
            {
                unit.Note($"{kind} {name} (substituteFrom) is not in the repository; its variables stay ${{...}} references.");
                continue;
            }
            if (source.Map("sops") is not null)
            {
                unit.Note($"{kind} {name} (substituteFrom) is SOPS-encrypted; its variables stay ${{...}} references.");
                continue;
            }
            foreach (var entry in source.Map("data")?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
            {
                if (entry.Value is YScalar s)
                {
                    variables[entry.Key.Value] = kind == "Secret" ? Base64(s.Value) ?? s.Value : s.Value;
                }
            }
            foreach (var entry in source.Map("stringData")?.Entries ?? Enumerable.Empty<KeyValuePair<YScalar, YNode>>())
            {
                if (entry.Value is YScalar s)
                {
                    variables[entry.Key.Value] = s.Value;
                }
            }
        }
        unit.Variables = variables;
        unit.Substitutions = variables.Keys.Order(StringComparer.Ordinal).ToList();
    }

    private static string? Base64(string value)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value.Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A ConfigMap or Secret of the repository by kind, name and namespace: files are searched for the name first.</summary>
    private YMapping? FindObject(string kind, string name, string? ns)
    {
        // Every tenant Kustomization of a cluster often reads the same cluster-settings: search the files once per object.
        string key = $"{kind}/{ns}/{name}";
        if (!_objectCache.TryGetValue(key, out YMapping? found))
        {
            _objectCache[key] = found = SearchObject(kind, name, ns);
        }
        return found;
    }

    private readonly Dictionary<string, YMapping?> _objectCache = new(StringComparer.Ordinal);

    private YMapping? SearchObject(string kind, string name, string? ns)
    {
        byte[] needle = Encoding.UTF8.GetBytes(name);
        foreach (string file in _files.Where(f => ManifestLoader.IsManifestFile(f) && !IsInChart(f)))
        {
            byte[]? bytes = _top.ReadFile(file, _limits, _quiet);
            if (bytes is null || bytes.AsSpan().IndexOf(needle) < 0)
            {
                continue;
            }
            string? text = YamlDocumentReader.Decode(bytes, file, _ => { });
            foreach (YamlDocument doc in text is null ? Enumerable.Empty<YamlDocument>() : YamlDocumentReader.Read(text, file, _limits, _ => { }))
            {
                if (doc.Root is YMapping map && map.Text("kind") == kind && map.Map("metadata")?.Text("name") == name &&
                    (map.Map("metadata")?.Text("namespace") is not string n || ns is null || n == ns))
                {
                    return map;
                }
            }
        }
        return null;
    }

    // ---- coverage -----------------------------------------------------------------------------------------

    /// <summary>Records which files a source deploys: a kustomization's closure, a folder's manifests (Argo), or every manifest below the path (Flux).</summary>
    private void Cover(DeploymentUnit unit, UnitSource source, bool flux, bool recurse, string? include, string? exclude, string? kustomizeNamespace)
    {
        string dir = source.Path ?? string.Empty;
        if (dir.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(dir))
        {
            _host.Error(new ScanError(ErrorIds.OutsideRoot, ScanErrorCategory.PermissionDenied,
                $"{unit.Id} deploys '{dir}', which is outside the repository; it is not read.", unit.Path, unit.Line));
            unit.Note($"Path {dir} is outside the repository.");
            return;
        }
        if (dir.Length > 0 && !_top.DirectoryExists(dir) && source.Revision is string revision && !IsCurrentRevision(revision))
        {
            // The same repository at another branch or tag (a tenant's branch): its files are not in this checkout.
            source.Type = "OtherRevision";
            unit.Note($"Path {dir} is read at revision {revision} of this repository, which is not the checkout scanned ({_currentBranch ?? "unknown"}).");
            return;
        }
        if (dir.Length > 0 && !_top.DirectoryExists(dir))
        {
            _host.Error(new ScanError(ErrorIds.ApplicationPathNotFound, ScanErrorCategory.ObjectNotFound,
                $"{unit.Id} deploys '{dir}', which is not a folder of the repository.", unit.Path, unit.Line));
            unit.Note($"Path {dir} does not exist in the repository.");
            return;
        }
        if (GetKustomization(dir) is not null)
        {
            source.Type = "Kustomize";
            unit.KustomizationSources.Add(dir);
            WalkKustomization(dir, kustomizeNamespace, unit.Coverage, new HashSet<string>(StringComparer.Ordinal));
        }
        else if (_chartDirs.Contains(dir))
        {
            source.Type = "Helm";
            unit.Note($"Path {dir} is a Helm chart; it is not rendered (no helm here).");
            return;
        }
        else if (!flux && Index(dir).Any(f => f.EndsWith(".jsonnet", StringComparison.Ordinal) || f.EndsWith(".libsonnet", StringComparison.Ordinal)))
        {
            source.Type = "Jsonnet";
            unit.Note($"Path {dir} is Jsonnet; it is not rendered offline.");
            return;
        }
        else if (flux)
        {
            source.Type = "Generated";
            CoverTree(unit, dir, kustomizeNamespace, recurseIntoKustomizations: true);
        }
        else
        {
            source.Type = "Directory";
            foreach (string file in recurse ? Below(dir) : Index(dir))
            {
                string relative = dir.Length == 0 ? file : file[(dir.Length + 1)..];
                if (ManifestLoader.IsManifestFile(file) && !IsInChart(file) &&
                    (include is null || GlobList(include, relative)) && (exclude is null || !GlobList(exclude, relative)))
                {
                    unit.Coverage.TryAdd(file, kustomizeNamespace);
                }
            }
        }
        source.Followed = true;
    }

    /// <summary>Argo CD's include/exclude: a glob or {a,b} list of globs, matched against the path inside the source folder.</summary>
    private static bool GlobList(string patterns, string relative)
    {
        string trimmed = patterns.Trim();
        IEnumerable<string> list = trimmed.StartsWith('{') && trimmed.EndsWith('}') ? trimmed[1..^1].Split(',') : new[] { trimmed };
        return list.Any(p => GitOpsSec.Diagnostics.BoundedPattern.Wildcard(p.Trim(), relative) || GitOpsSec.Diagnostics.BoundedPattern.Wildcard(p.Trim(), TreePath.FileName(relative)));
    }

    /// <summary>Flux's generated kustomization: every manifest below the folder; a sub-folder with its own kustomization is used as one.</summary>
    private void CoverTree(DeploymentUnit unit, string dir, string? kustomizeNamespace, bool recurseIntoKustomizations)
    {
        foreach (string file in Index(dir))
        {
            if (ManifestLoader.IsManifestFile(file))
            {
                unit.Coverage.TryAdd(file, kustomizeNamespace);
            }
        }
        foreach (string sub in _subdirs.GetValueOrDefault(dir) ?? new List<string>())
        {
            if (_chartDirs.Contains(sub))
            {
                continue;
            }
            if (GetKustomization(sub) is not null)
            {
                WalkKustomization(sub, kustomizeNamespace, unit.Coverage, new HashSet<string>(StringComparer.Ordinal));
            }
            else
            {
                CoverTree(unit, sub, kustomizeNamespace, recurseIntoKustomizations);
            }
        }
    }

    private static void Finish(DeploymentUnit unit, IReadOnlyList<UnitSource> sources)
    {
        if (unit.Status != UnitStatus.Resolved)
        {
            return;
        }
        if (sources.Count == 0)
        {
            unit.Status = UnitStatus.Unresolved;
        }
        else if (sources.All(s => s.Followed))
        {
            unit.Status = UnitStatus.Resolved;
        }
        else if (sources.Any(s => s.Followed))
        {
            unit.Status = UnitStatus.Partial;
        }
        else if (sources.All(s => s.Type is "External" or "OtherRevision" || s.Type == "Helm" && !s.InRepository))
        {
            unit.Status = UnitStatus.External;
        }
        else if (sources.Any(s => s.Type is "Helm" or "Jsonnet" or "Plugin"))
        {
            unit.Status = UnitStatus.NotRendered;
        }
        else
        {
            unit.Status = UnitStatus.Unresolved;
        }
    }

    /// <summary>
    /// Whether a source URL is this repository: one of its remotes (in any URL form). When the repository's own URL is
    /// unknown (no remote), a source whose path exists here is taken to be it, and the unit says so.
    /// </summary>
    private bool IsCurrentRevision(string revision) =>
        revision is "HEAD" or "" || _currentBranch is null || revision == _currentBranch || revision == "refs/heads/" + _currentBranch;

    private bool IsThisRepository(string? url, string? path, DeploymentUnit? unit)
    {
        string? normalized = RepositoryUrl.Normalize(url);
        if (normalized is not null && _repositoryUrls.Contains(normalized))
        {
            return true;
        }
        if (_repositoryUrls.Count == 0 && (path is null || path.Length == 0 || _top.DirectoryExists(path)))
        {
            unit?.Note($"The repository has no remote, so {url} is taken to be this repository.");
            return true;
        }
        return false;
    }

    private Kustomization? GetKustomization(string dir)
    {
        if (!_kustomizations.TryGetValue(dir, out Kustomization? k))
        {
            _kustomizations[dir] = null;
            _kustomizations[dir] = k = Kustomization.Read(_top, dir, _limits, _quiet);
        }
        return k;
    }

    private List<string> Index(string dir)
    {
        if (!_filesInDir.TryGetValue(dir, out var files))
        {
            _filesInDir[dir] = files = new List<string>();
            if (dir.Length > 0)
            {
                string parent = TreePath.DirectoryOf(dir);
                Index(parent);
                if (!_subdirs.TryGetValue(parent, out var subs))
                {
                    _subdirs[parent] = subs = new List<string>();
                }
                subs.Add(dir);
            }
        }
        return files;
    }

    private IEnumerable<string> Below(string dir)
    {
        foreach (string file in Index(dir))
        {
            yield return file;
        }
        foreach (string sub in _subdirs.GetValueOrDefault(dir) ?? new List<string>())
        {
            foreach (string file in Below(sub))
            {
                yield return file;
            }
        }
    }

    private bool IsInChart(string file)
    {
        for (string dir = TreePath.DirectoryOf(file); ; dir = TreePath.DirectoryOf(dir))
        {
            if (_chartDirs.Contains(dir))
            {
                return true;
            }
            if (dir.Length == 0)
            {
                return false;
            }
        }
    }

    /// <summary>A top path as the scanned root sees it (../ when outside the scanned folder).</summary>
    private string Display(string topPath) =>
        _prefix.Length == 0 ? topPath : Path.GetRelativePath(_prefix, topPath).Replace('\\', '/');

    /// <summary>Reading a file a second time (the loader reports its errors) must not report twice.</summary>
    private sealed class QuietHost : IScanHost
    {
        private readonly IScanHost _inner;

        public QuietHost(IScanHost inner) => _inner = inner;

        public CancellationToken Cancellation => _inner.Cancellation;
        public void Error(ScanError error) { }
        public void Warning(string message) { }
        public void Verbose(string message) => _inner.Verbose(message);
        public void Progress(string activity, string status, int percentComplete) { }
    }
}

internal static class DeploymentUnitExtensions
{
    public static DeploymentUnit WithNote(this DeploymentUnit unit, string note)
    {
        unit.Note(note);
        return unit;
    }
}
