using System.Management.Automation;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>
/// Update-SealedSecret: re-encrypts SealedSecrets to a new controller certificate with the old private
/// keys, offline (key rotation). Files given with -Path are rewritten in place, atomically; a
/// SealedSecret whose values do not all decrypt is left untouched.
/// </summary>
[Cmdlet(VerbsData.Update, "SealedSecret", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
[OutputType(typeof(SealedSecret), typeof(string))]
public sealed class UpdateSealedSecretCommand : SealingCmdlet
{
    /// <summary>Files or folders whose SealedSecrets are re-encrypted in place.</summary>
    [Parameter(ParameterSetName = "Path", Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>SealedSecrets as objects or YAML text: re-encrypted YAML (or objects with -AsObject) is output.</summary>
    /// <summary>PEM private keys or the controller's key backup YAML; every key is tried.</summary>
    [Parameter(Mandatory = true)]
    [Alias("RecoveryPrivateKey")]
    public string[]? PrivateKeyPath { get; set; }

    /// <summary>SealedSecrets to re-encrypt: manifest objects from Get-GitOpsManifest, or YAML text.</summary>
    [Parameter(ParameterSetName = "InputObject", Mandatory = true, ValueFromPipeline = true)]
    public object[]? InputObject { get; set; }

    /// <summary>With -Path: also output the updated SealedSecrets.</summary>
    [Parameter(ParameterSetName = "Path")]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Write the updated SealedSecrets as objects instead of rewriting the files.</summary>
    [Parameter(ParameterSetName = "InputObject")]
    public SwitchParameter AsObject { get; set; }

    protected override void BeginProcessing()
    {
        Keys(PrivateKeyPath);
        ResolveCertificate();
    }

    protected override void ProcessRecord()
    {
        SealedSecretCertificate certificate = ResolveCertificate();
        if (ParameterSetName == "InputObject")
        {
            foreach (InputDocument doc in (InputObject ?? Array.Empty<object>()).SelectMany(Documents))
            {
                if (SealedSecretOf(doc) is not SealedSecret sealedSecret)
                {
                    continue;
                }
                try
                {
                    SealedSecret updated = SealedSecretSealer.Reencrypt(sealedSecret, Keys(PrivateKeyPath), certificate);
                    WriteObject(AsObject ? updated : updated.ToYaml());
                }
                catch (GitOpsSecOperationException e)
                {
                    WriteOperationError(e);
                }
            }
            return;
        }

        foreach (string root in ResolvePaths(Path))
        {
            var files = FromPath(root).Where(d => d.Node?.Text("kind") == SealedSecret.Kind && d.FullPath is not null)
                .Select(d => d.FullPath!).Distinct(StringComparer.Ordinal).ToList();
            foreach (string file in files)
            {
                if (ReadTextOrReport(file) is not string text)
                {
                    continue;
                }
                var (rewritten, updated) = SealedSecretFiles.Reencrypt(text, file, Keys(PrivateKeyPath), certificate,
                    e => WriteError(ToErrorRecord(e)));
                if (rewritten is null || updated.Count == 0)
                {
                    continue;
                }
                if (!ShouldProcess(file, $"Re-encrypt {updated.Count} SealedSecret(s) to {certificate.Subject} ({certificate.Thumbprint})"))
                {
                    continue;
                }
                try
                {
                    AtomicFile.WriteAllText(file, rewritten);
                    if (PassThru)
                    {
                        WriteObject(updated, enumerateCollection: true);
                    }
                }
                catch (GitOpsSecOperationException e)
                {
                    WriteOperationError(e);
                }
            }
        }
    }
}
