using System.Collections;
using System.Management.Automation;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>
/// New-SealedSecretManifest: seals values given as a hashtable and/or files into a SealedSecret
/// (YAML text by default, -AsObject for an object, -OutFile to write it), or merges them into an
/// existing SealedSecret file (-MergeInto, like kubeseal --merge-into).
/// </summary>
[Cmdlet(VerbsCommon.New, "SealedSecretManifest", DefaultParameterSetName = "New", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(SealedSecret))]
public sealed class NewSealedSecretManifestCommand : SealingCmdlet
{
    /// <summary>The API server's limit for a Secret's data.</summary>
    private const long MaxSecretBytes = 1024 * 1024;

    /// <summary>The name of the SealedSecret and of the Secret it becomes (part of the encryption label in strict scope).</summary>
    [Parameter(ParameterSetName = "New", Mandatory = true, Position = 0)]
    [ValidatePattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    public string? Name { get; set; }

    /// <summary>The namespace of the SealedSecret (part of the encryption label in strict and namespace-wide scope).</summary>
    [Parameter(ParameterSetName = "New")]
    [ValidatePattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    public string? Namespace { get; set; }

    /// <summary>Key to value: strings, byte arrays or SecureStrings.</summary>
    [Parameter]
    public Hashtable? Data { get; set; }

    /// <summary>key=path (or just path: the file name is the key), like kubectl create secret --from-file.</summary>
    [Parameter]
    public string[]? FromFile { get; set; }

    /// <summary>The type of the Secret the controller creates (Opaque, kubernetes.io/tls, kubernetes.io/dockerconfigjson, ...).</summary>
    [Parameter(ParameterSetName = "New")]
    public string Type { get; set; } = "Opaque";

    /// <summary>Labels of the Secret the controller creates (spec.template.metadata.labels).</summary>
    [Parameter(ParameterSetName = "New")]
    public Hashtable? Labels { get; set; }

    /// <summary>Annotations of the Secret the controller creates (spec.template.metadata.annotations).</summary>
    [Parameter(ParameterSetName = "New")]
    public Hashtable? Annotations { get; set; }

    /// <summary>The sealing scope as kubeseal names it: strict (name and namespace bound), namespace-wide or cluster-wide.</summary>
    [Parameter(ParameterSetName = "New")]
    [ValidateSet("Strict", "NamespaceWide", "ClusterWide", IgnoreCase = true)]
    public string Scope { get; set; } = "Strict";

    /// <summary>An existing SealedSecret file to add these keys to (its name, namespace and scope are kept).</summary>
    [Parameter(ParameterSetName = "Merge", Mandatory = true)]
    public string? MergeInto { get; set; }

    /// <summary>Write the SealedSecret as an object (its YAML in the Yaml property) instead of YAML text.</summary>
    [Parameter(ParameterSetName = "New")]
    public SwitchParameter AsObject { get; set; }

    /// <summary>Write the manifest to this file (atomically; -NoClobber/-Force decide about an existing file).</summary>
    [Parameter(ParameterSetName = "New")]
    public string? OutFile { get; set; }

    /// <summary>With -OutFile: do not replace an existing file (GitOpsSec.File.Exists instead).</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>With -OutFile: replace the file even when it is read-only.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        SortedDictionary<string, byte[]> values;
        try
        {
            values = CollectValues();
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowOperationError(e);
            return;
        }
        SealedSecretCertificate certificate = ResolveCertificate();
        try
        {
            if (ParameterSetName == "Merge")
            {
                string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(MergeInto!);
                string text = File.Exists(path) ? GitOpsSec.Diagnostics.SafeFile.ReadAllText(path) : throw new GitOpsSecOperationException(ErrorIds.PathNotFound,
                    ScanErrorCategory.ObjectNotFound, $"'{MergeInto}' does not exist.", MergeInto);
                var (merged, sealedSecret) = SealedSecretFiles.Merge(text, path, values, certificate);
                if (ShouldProcess(path, $"Add or replace {string.Join(", ", values.Keys)} in SealedSecret {sealedSecret.Namespace}/{sealedSecret.Name}"))
                {
                    AtomicFile.WriteAllText(path, merged);
                    WriteObject(sealedSecret);
                }
                return;
            }

            var secret = new SecretManifest
            {
                Name = Name!,
                Namespace = Namespace,
                Type = Type,
                Labels = Strings(Labels),
                Annotations = Strings(Annotations),
                Data = values,
            };
            SealedSecret result = SealedSecretSealer.Seal(secret, certificate, ParseScope(Scope)!.Value);
            if (OutFile is not null)
            {
                string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutFile);
                if (ShouldProcess(path, $"Write SealedSecret {result.Namespace}/{result.Name}{(File.Exists(path) ? " (replacing the existing file)" : string.Empty)}"))
                {
                    AtomicFile.WriteAllText(path, result.ToYaml(), NoClobber, Force);
                }
                if (!AsObject)
                {
                    return;
                }
            }
            WriteObject(AsObject ? result : result.ToYaml());
        }
        catch (GitOpsSecOperationException e)
        {
            WriteOperationError(e);
        }
    }

    private SortedDictionary<string, byte[]> CollectValues()
    {
        var values = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Data ?? new Hashtable())
        {
            string key = entry.Key.ToString()!;
            values[key] = ValueBytes(entry.Value, key);
        }
        foreach (string spec in FromFile ?? Array.Empty<string>())
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            string file = eq < 0 ? spec : spec[(eq + 1)..];
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(file);
            string key = eq < 0 ? System.IO.Path.GetFileName(full) : spec[..eq];
            try
            {
                values[key] = GitOpsSec.Diagnostics.SafeFile.ReadAllBytes(full, MaxSecretBytes);
            }
            catch (GitOpsSec.Diagnostics.FileTooLargeException e)
            {
                throw new GitOpsSecOperationException(ErrorIds.InvalidSecretData, ScanErrorCategory.LimitsExceeded,
                    $"-FromFile '{spec}': {e.Message} A Kubernetes Secret holds at most 1 MiB.", file, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new GitOpsSecOperationException(ErrorIds.PathNotFound, ScanErrorCategory.ReadError,
                    $"-FromFile '{spec}': {e.Message}", file, e);
            }
        }
        if (values.Count == 0)
        {
            throw new GitOpsSecOperationException(ErrorIds.InvalidSecretData, ScanErrorCategory.InvalidArgument,
                "Nothing to seal: give -Data and/or -FromFile.");
        }
        long total = values.Sum(v => (long)v.Value.Length);
        if (total > MaxSecretBytes)
        {
            // The API server refuses a Secret over 1 MiB: a SealedSecret of it could never be unsealed.
            throw new GitOpsSecOperationException(ErrorIds.InvalidSecretData, ScanErrorCategory.LimitsExceeded,
                $"The values add up to {total:N0} bytes; a Kubernetes Secret holds at most {MaxSecretBytes:N0} (1 MiB).");
        }
        return values;
    }
}
