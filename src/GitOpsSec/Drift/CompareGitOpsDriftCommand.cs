using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Drift;

namespace GitOpsSec.Commands.Drift;

/// <summary>
/// Compare-GitOpsDrift: the live cluster versus Git. For every object in Git: Missing, Changed (field by
/// field, server-set and defaulted fields ignored, Secrets by hash) or InSync; with -IncludeUnmanaged, live
/// objects Git does not declare. Read-only; reaches the cluster through KubernetesClient and the kubeconfig.
/// </summary>
[Cmdlet(VerbsData.Compare, "GitOpsDrift", DefaultParameterSetName = PathSet)]
[OutputType(typeof(DriftResult))]
public sealed class CompareGitOpsDriftCommand : ManifestCollectingCmdlet
{
    /// <summary>The kubeconfig file (default: KUBECONFIG or ~/.kube/config).</summary>
    [Parameter]
    public string? Kubeconfig { get; set; }

    /// <summary>The kubeconfig context (default: its current-context).</summary>
    [Parameter]
    public string? Context { get; set; }

    /// <summary>Only objects in these namespaces.</summary>
    [Parameter]
    public string[]? Namespace { get; set; }

    /// <summary>Also report live objects in the covered namespaces and kinds that Git does not declare (controller-owned ones excluded).</summary>
    [Parameter]
    public SwitchParameter IncludeUnmanaged { get; set; }

    /// <summary>Also output objects that are in sync.</summary>
    [Parameter]
    public SwitchParameter IncludeInSync { get; set; }

    /// <summary>Seconds to wait for each API request.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSeconds { get; set; } = 30;

    protected override void EndProcessing()
    {
        LiveCluster cluster;
        try
        {
            cluster = LiveCluster.Connect(Kubeconfig is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Kubeconfig), Context,
                TimeSpan.FromSeconds(TimeoutSeconds));
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
            return;
        }
        using (cluster)
        {
            RunCancellable(() =>
            {
                var options = new DriftOptions { IncludeUnmanaged = IncludeUnmanaged, Namespaces = Namespace };
                // Errors are collected on the worker and reported here, on the pipeline thread.
                var collected = new CollectingHost();
                var results = DriftAnalyzer.CompareAsync(Objects, cluster, options, collected, ScanHost.Cancellation).GetAwaiter().GetResult();
                foreach (ScanError error in collected.Errors)
                {
                    WriteError(ToErrorRecord(error));
                }
                foreach (DriftResult r in results)
                {
                    if (r.Status != "InSync" || IncludeInSync)
                    {
                        WriteObject(r);
                    }
                }
                WriteVerbose($"Context {cluster.Context}: {Objects.Count} object(s) from Git, {cluster.Requests} API request(s)");
            });
        }
    }
}
