using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Secrets;

namespace GitOpsSec.Commands.Secrets;

/// <summary>
/// Get-GitOpsSecretReference: the secret inventory. Every secret each workload consumes (env, envFrom,
/// volumes, projected volumes, imagePullSecrets, Vault Agent annotations, Secrets Store CSI volumes,
/// credential-named literal env values) and where it comes from (SealedSecret, ExternalSecret, plain Secret
/// in Git, Vault Agent, CSI, literal, or not in the repository).
/// </summary>
[Cmdlet(VerbsCommon.Get, "GitOpsSecretReference", DefaultParameterSetName = PathSet)]
[OutputType(typeof(SecretReference))]
public sealed class GetGitOpsSecretReferenceCommand : ManifestCollectingCmdlet
{
    /// <summary>Only references whose value comes from these sources (SealedSecret, ExternalSecret, Secret, VaultAgent, SecretsStoreCsi, Literal, NotInRepository).</summary>
    [Parameter]
    [ValidateSet("SealedSecret", "ExternalSecret", "Secret", "VaultAgent", "SecretsStoreCsi", "Literal", "NotInRepository", IgnoreCase = true)]
    public string[]? Source { get; set; }

    protected override void EndProcessing()
    {
        foreach (SecretReference r in SecretInventory.Build(Objects))
        {
            if (Source is null || Source.Contains(r.Source, StringComparer.OrdinalIgnoreCase))
            {
                WriteObject(r);
            }
        }
    }
}
