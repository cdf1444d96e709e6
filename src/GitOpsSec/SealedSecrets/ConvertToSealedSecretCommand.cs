using System.Management.Automation;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>
/// ConvertTo-SealedSecret: seals Secret manifests (Get-GitOpsManifest objects, YAML text or files),
/// keeping their metadata; -ReplaceInPlace rewrites the files, each atomically, other documents kept.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "SealedSecret", DefaultParameterSetName = "InputObject", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(SealedSecret), typeof(FileInfo))]
public sealed class ConvertToSealedSecretCommand : SealingCmdlet
{
    private readonly Dictionary<string, HashSet<int>?> _files = new(StringComparer.Ordinal);

    /// <summary>A Secret to seal: a manifest object from Get-GitOpsManifest, or YAML text.</summary>
    [Parameter(ParameterSetName = "InputObject", Mandatory = true, ValueFromPipeline = true, Position = 0)]
    public object[]? InputObject { get; set; }

    /// <summary>Secret manifest files to seal (each may hold several documents).</summary>
    [Parameter(ParameterSetName = "Path", Mandatory = true)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>Seal with this scope; by default the Secret's own scope annotations decide (else Strict).</summary>
    [Parameter]
    [ValidateSet("Strict", "NamespaceWide", "ClusterWide", IgnoreCase = true)]
    public string? Scope { get; set; }

    /// <summary>Namespace for Secrets that do not name one.</summary>
    [Parameter]
    public string? Namespace { get; set; }

    /// <summary>Rewrite the files the Secrets came from, replacing each Secret by its SealedSecret.</summary>
    [Parameter]
    public SwitchParameter ReplaceInPlace { get; set; }

    /// <summary>With -OutFile or in place: also write the result to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Write the SealedSecret as an object (its YAML in the Yaml property) instead of YAML text.</summary>
    [Parameter]
    public SwitchParameter AsObject { get; set; }

    protected override void BeginProcessing() => ResolveCertificate();

    protected override void ProcessRecord()
    {
        var docs = ParameterSetName == "Path"
            ? ResolvePaths(Path).SelectMany(FromPath)
            : (InputObject ?? Array.Empty<object>()).SelectMany(Documents);
        foreach (InputDocument doc in docs)
        {
            if (doc.Node is null || doc.Node.Text("kind") != "Secret")
            {
                if (ParameterSetName == "InputObject")
                {
                    WriteOperationError(new GitOpsSecOperationException(ErrorIds.NotASecret, ScanErrorCategory.InvalidData,
                        $"{doc.Target} is a {doc.Node?.Text("kind") ?? doc.Model?.GetType().Name ?? "document"}, not a Secret; it was left alone.", doc.Target));
                }
                continue;
            }
            if (ReplaceInPlace)
            {
                if (doc.FullPath is null)
                {
                    WriteOperationError(new GitOpsSecOperationException(ErrorIds.WriteFailed, ScanErrorCategory.InvalidOperation,
                        $"{doc.Target} did not come from a file on disk, so it cannot be replaced in place.", doc.Target));
                    continue;
                }
                // Collect; each file is rewritten once, with all its Secrets, in EndProcessing.
                if (!_files.TryGetValue(doc.FullPath, out HashSet<int>? indexes))
                {
                    _files[doc.FullPath] = indexes = new HashSet<int>();
                }
                indexes?.Add(doc.DocumentIndex);
                continue;
            }
            try
            {
                SecretManifest secret = SecretManifest.FromNode(doc.Node, doc.Target);
                secret.Namespace ??= Namespace;
                SealedSecret result = SealedSecretSealer.Seal(secret, ResolveCertificate(),
                    SealedSecretFiles.ScopeFor(secret, ParseScope(Scope)));
                WriteObject(AsObject ? result : result.ToYaml());
            }
            catch (GitOpsSecOperationException e)
            {
                WriteOperationError(e);
            }
        }
    }

    protected override void EndProcessing()
    {
        SealedSecretCertificate certificate = ResolveCertificate();
        foreach (var (file, indexes) in _files)
        {
            if (ReadTextOrReport(file) is not string text)
            {
                continue;
            }
            var (rewritten, made) = SealedSecretFiles.SealSecrets(text, file, certificate, ParseScope(Scope), Namespace,
                e => WriteError(ToErrorRecord(e)), indexes);
            if (rewritten is null || made.Count == 0)
            {
                continue;
            }
            if (!ShouldProcess(file, $"Replace {made.Count} Secret(s) ({string.Join(", ", made.Select(m => m.Name))}) with SealedSecrets"))
            {
                continue;
            }
            try
            {
                AtomicFile.WriteAllText(file, rewritten);
                if (PassThru)
                {
                    WriteObject(new FileInfo(file));
                }
            }
            catch (GitOpsSecOperationException e)
            {
                WriteOperationError(e);
            }
        }
    }
}
