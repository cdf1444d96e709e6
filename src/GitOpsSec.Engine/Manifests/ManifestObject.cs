using System.Collections;
using System.Collections.Specialized;

namespace GitOpsSec.Manifests;

/// <summary>A place in a file: path relative to the scanned root, 1-based line and column.</summary>
public readonly record struct SourceLocation(string Path, int Line, int Column);

/// <summary>Kind, namespace and name of a Kubernetes object.</summary>
public sealed record ResourceRef(string Kind, string? Namespace, string? Name)
{
    public override string ToString() =>
        string.IsNullOrEmpty(Namespace) ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";
}

/// <summary>
/// One Kubernetes object read from a repository, with where it came from: Path (relative to the
/// scanned root, forward slashes), Line (1-based, where the object starts) and, for objects that
/// kustomize rendered, the kustomization that rendered them.
/// </summary>
public sealed class ManifestObject
{
    private object? _object;

    internal ManifestObject(YMapping node, string path, int line, int documentIndex)
    {
        Node = node;
        Path = path;
        Line = line;
        DocumentIndex = documentIndex;
        ApiVersion = node.Text("apiVersion") ?? string.Empty;
        Kind = node.Text("kind") ?? string.Empty;
        YMapping? metadata = node.Map("metadata");
        Namespace = DeclaredNamespace = metadata?.Text("namespace");
        NamespaceOrigin = Namespace is null ? GitOpsSec.Applications.NamespaceOrigin.Default : GitOpsSec.Applications.NamespaceOrigin.Manifest;
        Name = metadata?.Text("name") ?? metadata?.Text("generateName");
    }

    public string ApiVersion { get; }
    public string Kind { get; }

    /// <summary>The API group of <see cref="ApiVersion"/> ("" for the core group).</summary>
    internal string Group => ApiVersion.Contains('/') ? ApiVersion[..ApiVersion.LastIndexOf('/')] : string.Empty;

    /// <summary>The version part of <see cref="ApiVersion"/>.</summary>
    internal string Version => ApiVersion[(ApiVersion.LastIndexOf('/') + 1)..];

    /// <summary>The resource name admission matches (apimachinery's UnsafeGuessKindToResource, and the irregular Endpoints).</summary>
    internal string PluralResource
    {
        get
        {
            string k = Kind.ToLowerInvariant();
            return k switch
            {
                "endpoints" => "endpoints",
                _ when k.EndsWith('s') => k + "es",
                _ when k.EndsWith('y') => k[..^1] + "ies",
                _ => k + "s",
            };
        }
    }
    /// <summary>
    /// The namespace the object will land in: as written, or as its deployment unit, kustomize or the API server's
    /// default sets it (see <see cref="NamespaceOrigin"/>); null for cluster-scoped kinds.
    /// </summary>
    public string? Namespace { get; private set; }

    /// <summary>metadata.namespace as the object is written (after kustomize rendered it); null when it sets none.</summary>
    public string? DeclaredNamespace { get; }

    /// <summary>Where <see cref="Namespace"/> comes from: Manifest, Kustomize, TargetNamespace (Flux), Destination (Argo CD), Default or ClusterScoped.</summary>
    public GitOpsSec.Applications.NamespaceOrigin NamespaceOrigin { get; private set; }

    /// <summary>The deployment units that deploy the object (Kind/namespace/name); empty when none does.</summary>
    public string[] Applications { get; internal set; } = Array.Empty<string>();

    /// <summary>The first of <see cref="Applications"/>, or null: the unit that owns the object.</summary>
    public string? Application => Applications.Length > 0 ? Applications[0] : null;

    /// <summary>The deployment unit this object defines (an Application, a Flux Kustomization or HelmRelease), when the model knows it.</summary>
    internal GitOpsSec.Applications.DeploymentUnit? Unit { get; set; }

    internal void SetNamespace(string? ns, GitOpsSec.Applications.NamespaceOrigin origin)
    {
        Namespace = ns;
        NamespaceOrigin = origin;
    }
    public string? Name { get; }

    /// <summary>Path of the file, relative to the scanned root, with forward slashes.</summary>
    public string Path { get; internal set; }

    /// <summary>1-based line where the object starts in <see cref="Path"/>.</summary>
    public int Line { get; internal set; }

    /// <summary>0-based position of the document in its file.</summary>
    public int DocumentIndex { get; internal set; }

    /// <summary>File (the files were read as they are on disk) or Kustomize (rendered by kustomize).</summary>
    public string Source { get; internal set; } = "File";

    /// <summary>For rendered objects: the kustomization file that rendered this object.</summary>
    public string? RenderedFrom { get; internal set; }

    /// <summary>The git revision the object was read at, when it was read from history.</summary>
    public string? Revision { get; internal set; }

    /// <summary>The file on disk, or null when the object was read from a git revision.</summary>
    public string? FullPath { get; internal set; }

    /// <summary>Absolute root the Path is relative to (a directory, or repo:subfolder@commit).</summary>
    public string? Root { get; internal set; }

    public ResourceRef Resource => new(Kind, Namespace, Name);

    /// <summary>
    /// The object as ordered dictionaries, arrays and typed scalars, so PowerShell can walk it:
    /// <c>$_.Object.spec.template.spec.containers</c>.
    /// </summary>
    public object Object => _object ??= ToPlainObject(Node, new Dictionary<YNode, object?>(ReferenceEqualityComparer.Instance))!;

    /// <summary>The parsed object (after rendering, when kustomize rendered it).</summary>
    internal YMapping Node
    {
        get
        {
            if (_node is not null)
            {
                return _node;
            }
            // A compact copy thaws its tree when a rule reads it, and keeps it only while someone holds it. Threads that
            // read it at once (a model built ahead beside a rule) get the same tree.
            YMapping? thawed;
            lock (_frozen!)
            {
                if (_thawed is not null && _thawed.TryGetTarget(out thawed))
                {
                    return thawed;
                }
                thawed = _frozen.Thaw();
                (_thawed ??= new WeakReference<YMapping>(thawed)).SetTarget(thawed);
            }
            // The last tree thawed on this thread stays alive, so that the reads of one object by one rule (the node
            // and its pod spec, read apart) see the same nodes even when a collection runs between them.
            _lastThawed = thawed;
            return thawed;
        }
        private init => _node = value;
    }

    private readonly YMapping? _node;
    private readonly FrozenYaml? _frozen;

    /// <summary>Keeps the tree frozen (<see cref="FrozenYaml"/>) instead of as nodes.</summary>
    private YMapping Frozen
    {
        init
        {
            _frozen = FrozenYaml.Freeze(value);
            _node = null;
        }
    }
    private WeakReference<YMapping>? _thawed;

    [ThreadStatic]
    private static YMapping? _lastThawed;

    /// <summary>The object's pod spec (or a marker for none), made once by the first rule that asks (PodSpec.Of).</summary>
    internal object? PodSpecCache { get; set; }

    /// <summary>Bytes the compact copy keeps of its tree (0 for an object that holds its parsed tree).</summary>
    internal int FrozenBytes => _frozen?.Bytes ?? 0;

    /// <summary>
    /// A compact copy (<see cref="Compact"/>) of a workload: it has a pod spec (it was made for one), no SOPS metadata
    /// (an encrypted object is kept whole), and <see cref="KeptSuppressions"/> says whether it has suppression annotations.
    /// Rules ask these of every workload; answering them here saves thawing the tree for them.
    /// </summary>
    internal bool IsCompact => _frozen is not null;

    /// <summary>On a compact copy: whether the object or its pods carry a suppression annotation (kept in the copy).</summary>
    internal bool KeptSuppressions { get; private init; }

    /// <summary>
    /// On a repository rule's compact copy (<see cref="Compact"/>) of a workload: what Pod Security says of its pod
    /// spec at every level and version (PodSecurityAdmission.Verdicts), which was dropped, so that nothing evaluates
    /// Pod Security on what is left.
    /// </summary>
    internal object? PodSecurityVerdicts { get; private init; }

    /// <summary>
    /// A copy that shares this object's identity, place and metadata and holds only <paramref name="node"/> (what
    /// repository rules read of a workload: labels, replicas, images), frozen, and the Pod Security verdicts of the
    /// pod spec it no longer holds.
    /// </summary>
    internal ManifestObject Compact(YMapping node, object podSecurityVerdicts, bool keptSuppressions) => new(node, Path, Line, DocumentIndex)
    {
        Frozen = node,
        PodSecurityVerdicts = podSecurityVerdicts,
        KeptSuppressions = keptSuppressions,
        Namespace = Namespace,
        NamespaceOrigin = NamespaceOrigin,
        Applications = Applications,
        Unit = Unit,
        Source = Source,
        RenderedFrom = RenderedFrom,
        Revision = Revision,
        FullPath = FullPath,
        Root = Root,
    };

    /// <summary>The object as written in its source file, where it could be matched: used for line numbers.</summary>
    internal YMapping? SourceNode { get; set; }

    /// <summary>Patches (kustomize overlays) that were applied to this object, for pointing at patched fields.</summary>
    internal List<ManifestObject> Patches { get; } = new();

    /// <summary>
    /// Where a person should look for the field at <paramref name="path"/>: the source file where the
    /// field is written; for a rendered object whose field came from an overlay, the patch file; else
    /// the deepest parent of the field that exists (or the object itself).
    /// </summary>
    public SourceLocation Locate(FieldPath path)
    {
        YNode? root = SourceNode ?? (Source == "Kustomize" ? null : Node);
        YNode? display = null;
        if (root is not null && path.TryLocate(root, out display))
        {
            return new SourceLocation(Path, display.Line, display.Column);
        }
        foreach (ManifestObject patch in Patches)
        {
            if (path.TryLocate(patch.Node, out YNode inPatch))
            {
                return new SourceLocation(patch.Path, inPatch.Line, inPatch.Column);
            }
        }
        return display is null ? new SourceLocation(Path, Line, 1) : new SourceLocation(Path, display.Line, display.Column);
    }

    public override string ToString() => $"{Resource} ({Path}:{Line})";

    private static object? ToPlainObject(YNode node, Dictionary<YNode, object?> seen)
    {
        if (node is YScalar scalar)
        {
            return ScalarResolver.Resolve(scalar);
        }
        if (seen.TryGetValue(node, out object? done))
        {
            return done; // a YAML alias: share the converted value like the document shares the node
        }
        if (node is YSequence seq)
        {
            var array = new object?[seq.Items.Count];
            seen[node] = array;
            for (int i = 0; i < array.Length; i++)
            {
                array[i] = ToPlainObject(seq.Items[i], seen);
            }
            return array;
        }
        var map = (YMapping)node;
        var dict = new OrderedDictionary(map.Entries.Count, StringComparer.Ordinal);
        seen[node] = dict;
        foreach (var entry in map.Entries)
        {
            dict[entry.Key.Value] = ToPlainObject(entry.Value, seen);
        }
        return dict;
    }
}
