using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>
/// What to do with each file of a tree: which folders are Helm charts (skipped), which are
/// kustomizations, which of those are roots (not used by another kustomization) and which files a
/// kustomization owns (read through rendering rather than on their own).
/// </summary>
internal sealed class TreePlan
{
    private readonly IManifestTree _tree;
    private readonly IScanHost _host;
    private readonly LoadLimits _limits;
    /// <summary>Folders holding a Chart.yaml ("" for the root).</summary>
    private readonly HashSet<string> _chartDirs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Kustomization?> _kustomizations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _roots = new(StringComparer.Ordinal);
    private readonly HashSet<string> _owned = new(StringComparer.Ordinal);

    public TreePlan(IManifestTree tree, IReadOnlyList<string> files, ManifestLoadOptions options, IScanHost host)
    {
        _tree = tree;
        _host = host;
        _limits = options.Limits;
        foreach (string file in files.Where(f => TreePath.FileName(f) == "Chart.yaml"))
        {
            string chart = TreePath.DirectoryOf(file);
            _chartDirs.Add(chart);
            host.Warning($"'{(chart.Length == 0 ? "." : chart)}' is a Helm chart; its templates are not rendered (render them with 'helm template' and scan the output).");
        }

        var kustomizationDirs = files
            .Where(f => ManifestLoader.IsKustomizationFile(f) && !IsInHelmChart(f))
            .Select(TreePath.DirectoryOf)
            .Distinct()
            .ToList();
        if (kustomizationDirs.Count == 0 || !options.RenderKustomize)
        {
            return;
        }
        Renderer = options.Renderer ?? options.DiscoverRenderer();
        if (Renderer is null)
        {
            host.Warning("Neither kubectl nor kustomize is on PATH, so kustomization folders are not rendered; " +
                         "their files are read as they are. Install kubectl (kubectl kustomize) or kustomize to render overlays.");
            return;
        }

        var referenced = new HashSet<string>(StringComparer.Ordinal);
        ILookup<string, string> byFolder = files.ToLookup(TreePath.DirectoryOf, StringComparer.Ordinal); // not a pass over every file per kustomization
        foreach (string dir in kustomizationDirs)
        {
            Kustomization? k = Get(dir);
            if (k is null)
            {
                continue;
            }
            foreach (string sub in k.Directories)
            {
                referenced.Add(sub);
            }
            foreach (string file in k.Files.Concat(k.OtherFiles))
            {
                _owned.Add(file);
            }
            foreach (string file in byFolder[dir])
            {
                _owned.Add(file);
            }
        }
        foreach (string dir in kustomizationDirs.Where(d => !referenced.Contains(d)))
        {
            _roots.Add(dir);
        }
    }

    public KustomizeRenderer? Renderer { get; }

    public bool Rendering => Renderer is not null && _roots.Count > 0;

    public bool IsRoot(string dir) => _roots.Contains(dir);

    public bool IsOwnedByKustomize(string file) => _owned.Contains(file);

    /// <summary>Whether a folder above the file holds a Chart.yaml: a lookup per folder on its path, not a test per chart.</summary>
    public bool IsInHelmChart(string file)
    {
        if (_chartDirs.Count == 0)
        {
            return false;
        }
        if (_chartDirs.Contains(string.Empty))
        {
            return true;
        }
        for (int slash = file.LastIndexOf('/'); slash > 0; slash = file.LastIndexOf('/', slash - 1))
        {
            if (_chartDirs.Contains(file[..slash]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Every resource file a kustomization reaches, through the kustomizations it uses.</summary>
    public IEnumerable<string> Closure(string dir) => Walk(dir, k => k.Files);

    /// <summary>Every patch file of a kustomization and of the kustomizations it uses.</summary>
    public IEnumerable<string> PatchClosure(string dir) => Walk(dir, k => k.OtherFiles);

    private IEnumerable<string> Walk(string dir, Func<Kustomization, List<string>> select)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(dir);
        while (pending.Count > 0)
        {
            string current = pending.Pop();
            if (!seen.Add(current) || Get(current) is not Kustomization k)
            {
                continue;
            }
            files.AddRange(select(k));
            foreach (string sub in k.Directories)
            {
                pending.Push(sub);
            }
        }
        return files.Distinct(StringComparer.Ordinal);
    }

    private Kustomization? Get(string dir)
    {
        if (_kustomizations.TryGetValue(dir, out Kustomization? cached))
        {
            return cached;
        }
        _kustomizations[dir] = null; // guards against a kustomization that includes itself
        Kustomization? k = Kustomization.Read(_tree, dir, _limits, _host);
        _kustomizations[dir] = k;
        return k;
    }
}
