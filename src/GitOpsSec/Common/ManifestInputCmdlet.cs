using System.Management.Automation;
using GitOpsSec.Manifests;

namespace GitOpsSec.Commands.Common;

/// <summary>The parameters and reading logic shared by cmdlets that read manifests from paths.</summary>
public abstract class ManifestInputCmdlet : GitOpsCmdlet
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    /// <summary>Files or folders to read (wildcards allowed); the current folder when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>Files or folders, taken literally; binds Get-ChildItem output (PSPath) and .NET FileInfo (FullName).</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    public string[]? LiteralPath { get; set; }

    /// <summary>Read the manifests as they are at this commit, branch or tag (no checkout).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Revision { get; set; }

    /// <summary>
    /// Only objects that these deployment units deploy: an id (Application/argocd/guestbook, Kustomization/flux-system/apps)
    /// or a unit name, wildcards allowed; "(none)" selects objects no unit deploys. Get-GitOpsApplication lists the units.
    /// </summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ApplicationCompleter))]
    public string[]? Application { get; set; }

    /// <summary>Read kustomization folders file by file instead of rendering them.</summary>
    [Parameter]
    public SwitchParameter NoRender { get; set; }

    /// <summary>Read the objects running in the cluster (through the kubeconfig and -Context) instead of files.</summary>
    [Parameter]
    public SwitchParameter Live { get; set; }

    /// <summary>The kubeconfig context for -Live (and Compare-GitOpsDrift); default: its current-context.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(KubeContextCompleter))]
    public string? Context { get; set; }

    /// <summary>The kubeconfig file for -Live (and Compare-GitOpsDrift); default: KUBECONFIG or ~/.kube/config.</summary>
    [Parameter]
    public string? Kubeconfig { get; set; }

    /// <summary>Seconds to wait for each API request of -Live (and Compare-GitOpsDrift).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Connects to the cluster named by -Kubeconfig and -Context; a bad kubeconfig is a terminating error.</summary>
    internal GitOpsSec.Drift.LiveCluster ConnectCluster()
    {
        try
        {
            return GitOpsSec.Drift.LiveCluster.Connect(Kubeconfig is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Kubeconfig), Context,
                TimeSpan.FromSeconds(TimeoutSeconds));
        }
        catch (GitOpsSec.Diagnostics.GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
            throw; // not reached
        }
    }

    /// <summary>Reads the objects of every path given (or, with -Live, of the cluster), streaming, reporting bad input as errors.</summary>
    protected IEnumerable<ManifestObject> ReadManifests() => Live ? ReadLive() : ReadFiles().Where(InSelectedApplication);

    /// <summary>The application models of the trees read so far (one per path).</summary>
    internal List<GitOpsSec.Applications.ApplicationModel> ApplicationModels { get; } = new();

    /// <summary>Whether an object passes -Application: one of its units matches, or it has none and "(none)" was asked for.</summary>
    internal bool InSelectedApplication(ManifestObject obj) => SelectsUnits(obj.Applications);

    internal bool SelectsUnits(IReadOnlyList<string> units) => (_applicationFilter ??= new ApplicationFilter(Application)).Selects(units);

    /// <summary>-Application as a filter, made once (it is asked for every object).</summary>
    private ApplicationFilter? _applicationFilter;

    /// <summary>After a tree is read: an -Application pattern that names no unit of it is an error (a typo must not read as "no findings").</summary>
    private void CheckApplicationPatterns(GitOpsSec.Applications.ApplicationModel model, string root)
    {
        foreach (var error in (_applicationFilter ??= new ApplicationFilter(Application)).Unmatched(model, root))
        {
            WriteError(ToErrorRecord(error));
        }
    }

    private IEnumerable<ManifestObject> ReadLive()
    {
        using GitOpsSec.Drift.LiveCluster cluster = ConnectCluster();
        var collected = new GitOpsSec.Diagnostics.CollectingHost();
        var objects = GitOpsSec.Drift.LiveObjects.ReadAsync(cluster, null, collected, ScanHost.Cancellation).GetAwaiter().GetResult();
        foreach (var error in collected.Errors)
        {
            WriteError(ToErrorRecord(error));
        }
        WriteVerbose($"Read {objects.Count} live object(s) from context {cluster.Context} in {cluster.Requests} API request(s)");
        return objects;
    }

    /// <summary>
    /// The objects of the paths read a second time, as the first read gave them, without reporting anything again
    /// (errors, messages and -Application checks were reported by the first read): for repository rules that need
    /// objects the scan did not keep.
    /// </summary>
    /// <remarks>Null with -Live: the cluster is read once, and everything it returned is kept.</remarks>
    protected Func<IEnumerable<ManifestObject>>? ReadManifestsAgain => Live ? null :
        () => ReadFiles(new GitOpsSec.Diagnostics.CollectingHost { Cancellation = ScanHost.Cancellation }).Where(InSelectedApplication);

    private IEnumerable<ManifestObject> ReadFiles(GitOpsSec.Diagnostics.IScanHost? quiet = null)
    {
        bool literal = ParameterSetName == LiteralPathSet;
        string[]? paths = literal ? LiteralPath : Path;
        var host = quiet ?? ScanHost;
        var loader = new ManifestLoader(new ManifestLoadOptions { RenderKustomize = !NoRender }, host);
        foreach (string path in PathResolver.Resolve(this, host, paths, literal, mustExist: Revision is null))
        {
            using IManifestTree? tree = ManifestSource.Open(path, Revision, host);
            if (tree is null)
            {
                continue;
            }
            if (quiet is null)
            {
                WriteVerbose($"Reading manifests under {tree.DisplayRoot}");
            }
            int models = loader.Models.Count;
            foreach (ManifestObject obj in loader.Load(tree))
            {
                yield return obj;
            }
            if (quiet is null && loader.Models.Count > models)
            {
                ApplicationModels.Add(loader.Models[^1]);
                CheckApplicationPatterns(loader.Models[^1], tree.DisplayRoot);
            }
        }
    }
}
