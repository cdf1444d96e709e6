using System.Management.Automation;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>
/// Unprotect-SealedSecret: recovers the Secret inside SealedSecrets with the controller's private keys
/// (kubeseal --recovery-unseal). Values are SecureStrings unless -AsPlainText.
/// </summary>
[Cmdlet(VerbsSecurity.Unprotect, "SealedSecret", DefaultParameterSetName = "InputObject")]
[OutputType(typeof(RecoveredSecret))]
public sealed class UnprotectSealedSecretCommand : SealedSecretCmdlet
{
    /// <summary>PEM private keys or the controller's key backup YAML; every key is tried.</summary>
    [Parameter(Mandatory = true)]
    [Alias("RecoveryPrivateKey")]
    public string[]? PrivateKeyPath { get; set; }

    /// <summary>SealedSecrets to decrypt: manifest objects from Get-GitOpsManifest, or YAML text.</summary>
    [Parameter(ParameterSetName = "InputObject", Mandatory = true, ValueFromPipeline = true, Position = 0)]
    public object[]? InputObject { get; set; }

    /// <summary>SealedSecret manifest files to decrypt.</summary>
    [Parameter(ParameterSetName = "Path", Mandatory = true)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>Return values as strings (byte arrays for binary values) instead of SecureStrings.</summary>
    [Parameter]
    public SwitchParameter AsPlainText { get; set; }

    protected override void BeginProcessing() => Keys(PrivateKeyPath);

    protected override void ProcessRecord()
    {
        var docs = ParameterSetName == "Path"
            ? ResolvePaths(Path).SelectMany(FromPath).Where(d => d.Node?.Text("kind") == SealedSecret.Kind)
            : (InputObject ?? Array.Empty<object>()).SelectMany(Documents);
        foreach (InputDocument doc in docs)
        {
            if (SealedSecretOf(doc) is not SealedSecret sealedSecret)
            {
                continue;
            }
            var values = SealedSecretSealer.Unseal(sealedSecret, Keys(PrivateKeyPath), (_, e) => WriteOperationError(e));
            if (values.Count > 0 || sealedSecret.EncryptedData.Count == 0)
            {
                WriteObject(new RecoveredSecret(sealedSecret, values, AsPlainText));
            }
            foreach (byte[] value in values.Values)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
            }
        }
    }
}
