using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>Options for <see cref="ManifestLoader"/>.</summary>
public sealed record ManifestLoadOptions
{
    public LoadLimits Limits { get; init; } = LoadLimits.Default;

    /// <summary>Render kustomization folders (true) or read every file as it is (false).</summary>
    public bool RenderKustomize { get; init; } = true;

    /// <summary>The kustomize runner; null finds one with <see cref="DiscoverRenderer"/>.</summary>
    public KustomizeRenderer? Renderer { get; init; }

    /// <summary>Finds kubectl or kustomize on PATH; tests replace it to simulate a machine without them.</summary>
    public Func<KustomizeRenderer?> DiscoverRenderer { get; init; } = KustomizeRenderer.Discover;

    /// <summary>Work out the deployment units (Argo CD, Flux) and give every object its units and resolved namespace.</summary>
    public bool ResolveApplications { get; init; } = true;

    /// <summary>URLs that are this repository, besides its git remotes (a source with one of them is followed here).</summary>
    public IReadOnlyList<string> RepositoryUrls { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Reads every Kubernetes object of a tree: .yaml/.yml/.json files, multi-document, List kinds
/// expanded, kustomization folders rendered (top-level ones only, so a base is not reported once
/// per overlay) with each rendered object traced back to the file and line it was written at.
/// Helm charts are skipped with a warning: their templates are not YAML until rendered.
/// </summary>
public sealed class ManifestLoader
{
    private static readonly string[] ManifestExtensions = { ".yaml", ".yml", ".json" };


    private readonly ManifestLoadOptions _options;
    private readonly IScanHost _host;

    public ManifestLoader(ManifestLoadOptions options, IScanHost host)
    {
        _options = options;
        _host = host;
    }

    public static bool IsManifestFile(string path) =>
        ManifestExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>The application model of each tree loaded so far (after its objects were enumerated).</summary>
    public IReadOnlyList<GitOpsSec.Applications.ApplicationModel> Models => _models;

    private readonly List<GitOpsSec.Applications.ApplicationModel> _models = new();
    private GitOpsSec.Applications.ApplicationModel? _model;
    private KustomizeRenderer? _renderer;
    private readonly GitOpsSec.Applications.KubernetesScope _scope = new();

    public static bool IsKustomizationFile(string path) => Kustomization.FileNames.Contains(TreePath.FileName(path));

    /// <summary>Streams the objects of <paramref name="tree"/>, reporting bad input through the host.</summary>
    public IEnumerable<ManifestObject> Load(IManifestTree tree)
    {
        List<string> files = tree.EnumerateFiles(_host).ToList();
        ManifestLoadOptions options = _options;
        if (_options.RenderKustomize && _options.Renderer is null && files.Any(IsKustomizationFile))
        {
            // One renderer for the model and the loader, so a folder the model rendered is not rendered again.
            _renderer ??= _options.DiscoverRenderer();
            KustomizeRenderer? found = _renderer;
            options = _options with { Renderer = found, DiscoverRenderer = () => found };
        }
        _model = _options.ResolveApplications && tree is not SingleFileTree
            ? GitOpsSec.Applications.ApplicationModel.Build(tree, files, _options.RepositoryUrls, _options.Limits, options.RenderKustomize ? options.Renderer : null, _host)
            : null;
        if (_model is not null)
        {
            _models.Add(_model);
        }
        var plan = new TreePlan(tree, files, options, _host);
        var units = new List<(string File, bool Render)>();
        foreach (string file in files)
        {
            if (plan.IsInHelmChart(file) || !(IsManifestFile(file) || IsKustomizationFile(file)))
            {
                continue;
            }
            if (IsKustomizationFile(file))
            {
                if (plan.Rendering && plan.IsRoot(TreePath.DirectoryOf(file)))
                {
                    units.Add((file, true));
                }
            }
            else if (!(plan.Rendering && plan.IsOwnedByKustomize(file)))
            {
                units.Add((file, false));
            }
        }
        try
        {
            int done = 0;
            foreach (var (file, render, read) in ReadAhead(tree, plan, units))
            {
                _host.Cancellation.ThrowIfCancellationRequested();
                if (++done % 50 == 0)
                {
                    _host.Progress("Reading manifests", file, (int)(100L * done / units.Count));
                }
                ReadResult result = read ?? (render ? Rendered(tree, plan, file) : Read(tree, file));
                IEnumerable<ManifestObject> objects = result.Replay(_host);
                if (result.Text is string text)
                {
                    // The fast path declined it on the reader's thread: straight to YamlDotNet.
                    objects = FromDocuments(YamlDocumentReader.ReadWithYamlDotNet(text, file, _options.Limits, _host.Error), file, _host.Verbose);
                }
                foreach (ManifestObject obj in objects)
                {
                    obj.Revision = tree.Revision;
                    obj.Root = tree.DisplayRoot;
                    obj.FullPath = tree.FullPath(obj.Path);
                    if (_model is not null)
                    {
                        _model.Attach(obj);
                    }
                    else
                    {
                        GitOpsSec.Applications.ApplicationModel.AttachAlone(obj, _scope);
                    }
                    yield return obj;
                }
            }
        }
        finally
        {
            (tree as FileSystemTree)?.ForgetKept(); // what the model kept for files the loader did not read
        }
    }

    /// <summary>
    /// Files on disk are read and parsed ahead on every core, at most a few dozen files ahead of the caller, so
    /// that objects still stream (the first findings are out while later files are unread) and memory does not
    /// fill with parsed files; what each reports is replayed on the caller's thread, in file order (a PowerShell
    /// host takes errors and messages from the pipeline thread only). A git revision's tree is read on the
    /// caller's thread: LibGit2Sharp objects are not shared across threads.
    /// </summary>
    private IEnumerable<(string File, bool Render, ReadResult? Read)> ReadAhead(IManifestTree tree, TreePlan plan, List<(string File, bool Render)> units)
    {
        if (tree is not FileSystemTree || Environment.ProcessorCount < 2)
        {
            foreach (var (file, render) in units)
            {
                yield return (file, render, null);
            }
            yield break;
        }
        // 16 files per core keep both cores busy; more only keeps more parsed files alive through each young-generation
        // collection, which copies them (32 per core: 0.1-0.4 s more of pauses on 100,000 manifests).
        int window = 16 * Environment.ProcessorCount, next = 0;
        // Renders start long before the caller needs them: kubectl kustomize takes a tenth of a second or more, which
        // the window's few milliseconds of reading ahead would leave the caller waiting for. At most one per core is
        // running or waiting to be taken, each on a thread of its own (it waits for kubectl, not on a pool thread).
        List<int> renderAt = Enumerable.Range(0, units.Count).Where(i => units[i].Render).ToList();
        int nextRender = 0;
        var renders = new Dictionary<int, Task<ReadResult>>();
        var pending = new Queue<(int Unit, Claimable? Read)>();
        try
        {
            while (true)
            {
                while (renders.Count < Environment.ProcessorCount && nextRender < renderAt.Count)
                {
                    var (file, _) = units[renderAt[nextRender]];
                    renders[renderAt[nextRender++]] = Task.Factory.StartNew(() => Rendered(tree, plan, file), _host.Cancellation,
                        TaskCreationOptions.LongRunning, TaskScheduler.Default);
                }
                while (pending.Count < window && next < units.Count)
                {
                    var (file, render) = units[next];
                    pending.Enqueue((next++, render ? null : new Claimable(() => Prepared(tree, file), _host.Cancellation)));
                }
                if (pending.Count == 0)
                {
                    yield break;
                }
                var (unit, read) = pending.Dequeue();
                if (read is not null)
                {
                    yield return (units[unit].File, false, read.Result());
                    continue;
                }
                // Renders start in order and are taken in order: the first not taken has started.
                Task<ReadResult> rendered = renders[unit];
                renders.Remove(unit);
                yield return (units[unit].File, true, rendered.GetAwaiter().GetResult());
            }
        }
        finally
        {
            foreach (Task? task in pending.Select(p => p.Read?.Task).Concat(renders.Values))
            {
                try
                {
                    task?.Wait(); // a stopped pipeline leaves no reader running behind it
                }
                catch (Exception e) when (e is AggregateException or OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>
    /// A file's read queued on the thread pool that the caller runs itself when no worker has begun it by the time the
    /// caller needs it: the caller then works instead of waiting behind checks and other reads in the pool's queue.
    /// </summary>
    private sealed class Claimable
    {
        private readonly Func<ReadResult> _work;
        private int _claimed;
        private ReadResult? _result;

        public Claimable(Func<ReadResult> work, CancellationToken cancellation)
        {
            _work = work;
            Task = Task.Run(() =>
            {
                if (Interlocked.Exchange(ref _claimed, 1) == 0)
                {
                    _result = _work();
                }
            }, cancellation);
        }

        public Task Task { get; }

        public ReadResult Result()
        {
            if (Interlocked.Exchange(ref _claimed, 1) == 0)
            {
                return _work();
            }
            Task.GetAwaiter().GetResult();
            return _result!;
        }
    }

    /// <summary>The objects of one file read as written, and what reading it reported, in order, for the caller's thread to replay.</summary>
    private sealed class ReadResult : IScanHost
    {
        private readonly CancellationToken _cancellation;

        public ReadResult(CancellationToken cancellation) => _cancellation = cancellation;

        public List<ManifestObject> Objects { get; } = new();

        /// <summary>For a file read ahead whose text the fast path declined: the text, which the caller's thread parses with YamlDotNet after replaying the reports.</summary>
        public string? Text { get; set; }
        private List<Action<IScanHost>> Reports { get; } = new();

        public CancellationToken Cancellation => _cancellation;
        public void Error(ScanError error) => Reports.Add(h => h.Error(error));
        public void Warning(string message) => Reports.Add(h => h.Warning(message));
        public void Verbose(string message) => Reports.Add(h => h.Verbose(message));
        public void Progress(string activity, string status, int percentComplete)
        {
        }

        public List<ManifestObject> Replay(IScanHost host)
        {
            foreach (Action<IScanHost> report in Reports)
            {
                report(host);
            }
            return Objects;
        }
    }

    private ReadResult Rendered(IManifestTree tree, TreePlan plan, string kustomizationFile)
    {
        var result = new ReadResult(_host.Cancellation);
        result.Objects.AddRange(Render(tree, plan, kustomizationFile, result));
        return result;
    }

    private ReadResult Read(IManifestTree tree, string file)
    {
        var result = new ReadResult(_host.Cancellation);
        result.Objects.AddRange(ReadFile(tree, file, result.Error, result));
        return result;
    }

    /// <summary>
    /// A file read, decoded, substituted and parsed ahead. A file outside the fast path's plain shape keeps its
    /// text for the caller's thread to parse: YamlDotNet's parser shares pools of buffers across threads
    /// (interlocked on every scalar), so two threads parsing at once take almost three times as long as one
    /// (bench/GitOpsSec.Bench --parse-floor), while the fast path shares nothing.
    /// </summary>
    private ReadResult Prepared(IManifestTree tree, string file)
    {
        var result = new ReadResult(_host.Cancellation);
        string? text = Prepare(tree, file, result.Error, result);
        if (text is not null && YamlDocumentReader.TryReadFast(text, _options.Limits, out List<YamlDocument> documents))
        {
            result.Objects.AddRange(FromDocuments(documents, file, result.Verbose));
        }
        else
        {
            result.Text = text;
        }
        return result;
    }

    /// <summary>Objects of one file as written. Errors go to <paramref name="error"/>.</summary>
    internal IEnumerable<ManifestObject> ReadFile(IManifestTree tree, string file, Action<ScanError> error, IScanHost? messages = null) =>
        Prepare(tree, file, error, messages) is string text ? FromText(text, file, error, (messages ?? _host).Verbose) : Array.Empty<ManifestObject>();

    /// <summary>The text of one file, decoded and with its unit's variables substituted; null when it cannot be read.</summary>
    private string? Prepare(IManifestTree tree, string file, Action<ScanError> error, IScanHost? messages)
    {
        var host = new ErrorOnlyHost(messages ?? _host, error);
        byte[]? bytes = tree.ReadFile(file, _options.Limits, host);
        if (bytes is null)
        {
            return null;
        }
        string? text = YamlDocumentReader.Decode(bytes, file, error);
        return text is not null && _model is not null ? _model.Substitute(file, text, error) : text;
    }

    private IEnumerable<ManifestObject> FromText(string text, string file, Action<ScanError> error, Action<string>? verbose = null) =>
        FromDocuments(YamlDocumentReader.Read(text, file, _options.Limits, error), file, verbose ?? _host.Verbose);

    private static IEnumerable<ManifestObject> FromDocuments(IEnumerable<YamlDocument> documents, string file, Action<string> verbose)
    {
        foreach (YamlDocument doc in documents)
        {
            if (doc.Root is not YMapping map || map.Text("apiVersion") is null || map.Text("kind") is null)
            {
                verbose($"{file}: document {doc.Index} is not a Kubernetes object (no apiVersion/kind); skipped.");
                continue;
            }
            string kind = map.Text("kind")!;
            if (kind.EndsWith("List", StringComparison.Ordinal) && map.Seq("items") is YSequence items)
            {
                foreach (YMapping item in items.Items.OfType<YMapping>())
                {
                    if (item.Text("kind") is not null)
                    {
                        yield return new ManifestObject(item, file, item.Line, doc.Index);
                    }
                }
                continue;
            }
            yield return new ManifestObject(map, file, map.Line, doc.Index);
        }
    }

    /// <summary>The objects kustomize renders from a kustomization, traced to their source lines; what it reports goes to <paramref name="host"/>.</summary>
    private List<ManifestObject> Render(IManifestTree tree, TreePlan plan, string kustomizationFile, IScanHost host)
    {
        string dir = TreePath.DirectoryOf(kustomizationFile);
        string? physical = tree.PhysicalDirectory(dir, host);
        (string? output, string? failure) = physical is null
            ? (null, "the folder is not available on disk")
            : plan.Renderer!.Render(physical, host.Cancellation);
        if (output is null)
        {
            host.Error(new ScanError(ErrorIds.KustomizeFailed, ScanErrorCategory.InvalidData,
                $"kustomize could not render '{dir}': {failure}. Its resource files are read as they are.",
                kustomizationFile, 1));
            return plan.Closure(dir).Where(IsManifestFile).SelectMany(f => ReadFile(tree, f, host.Error, host)).ToList();
        }

        if (_model is not null)
        {
            output = _model.Substitute(kustomizationFile, output, host.Error);
        }

        // Raw objects of the files this kustomization reaches, to trace rendered objects back to a line.
        var sources = plan.Closure(dir)
            .Where(IsManifestFile)
            .SelectMany(f => ReadFile(tree, f, _ => { }, host))
            .ToList();
        var patches = plan.PatchClosure(dir)
            .Where(IsManifestFile)
            .SelectMany(f => ReadFile(tree, f, _ => { }, host))
            .ToList();
        var rendered = new List<ManifestObject>();
        foreach (ManifestObject obj in FromText(output, kustomizationFile, host.Error, host.Verbose))
        {
            ManifestObject? origin = FindOrigin(obj, sources);
            obj.Patches.AddRange(patches.Where(p => p.Kind == obj.Kind && p.Name is not null && obj.Name is not null &&
                                                    obj.Name.Contains(p.Name, StringComparison.Ordinal)));
            obj.Source = "Kustomize";
            obj.RenderedFrom = kustomizationFile;
            if (origin is not null)
            {
                obj.Path = origin.Path;
                obj.Line = origin.Line;
                obj.DocumentIndex = origin.DocumentIndex;
                obj.SourceNode = origin.Node;
            }
            else
            {
                obj.Line = 1;
            }
            rendered.Add(obj);
        }
        return rendered;
    }

    /// <summary>
    /// The source object a rendered one came from: same kind and the same name, or the longest source
    /// name that the rendered name contains (kustomize's namePrefix/nameSuffix).
    /// </summary>
    private static ManifestObject? FindOrigin(ManifestObject rendered, List<ManifestObject> sources)
    {
        if (rendered.Name is null)
        {
            return null;
        }
        ManifestObject? best = null;
        foreach (ManifestObject s in sources)
        {
            if (s.Kind != rendered.Kind || s.Name is null)
            {
                continue;
            }
            if (s.Name == rendered.Name)
            {
                return s;
            }
            if (rendered.Name.Contains(s.Name, StringComparison.Ordinal) && (best is null || s.Name.Length > best.Name!.Length))
            {
                best = s;
            }
        }
        return best;
    }

    /// <summary>Forwards errors to a callback, everything else to the real host.</summary>
    private sealed class ErrorOnlyHost : IScanHost
    {
        private readonly IScanHost _inner;
        private readonly Action<ScanError> _error;

        public ErrorOnlyHost(IScanHost inner, Action<ScanError> error)
        {
            _inner = inner;
            _error = error;
        }

        public CancellationToken Cancellation => _inner.Cancellation;
        public void Error(ScanError error) => _error(error);
        public void Warning(string message) => _inner.Warning(message);
        public void Verbose(string message) => _inner.Verbose(message);
        public void Progress(string activity, string status, int percentComplete) =>
            _inner.Progress(activity, status, percentComplete);
    }
}
