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
    /// <summary>Only objects in these namespaces.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? Namespace { get; set; }

    /// <summary>Also report live objects in the covered namespaces and kinds that Git does not declare (controller-owned ones excluded).</summary>
    [Parameter]
    public SwitchParameter IncludeUnmanaged { get; set; }

    /// <summary>Also output objects that are in sync.</summary>
    [Parameter]
    public SwitchParameter IncludeInSync { get; set; }

    protected override void EndProcessing()
    {
        if (Live)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Compare-GitOpsDrift compares Git with the cluster: give the Git manifests with -Path, not -Live."),
                "GitOpsSec.Cluster.LiveNotAllowed", ErrorCategory.InvalidArgument, null));
        }
        using (LiveCluster cluster = ConnectCluster())
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
