using System.Management.Automation;
using GitOpsSec.Diagnostics;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>Protect-SealedSecretValue: seals one value for a name, namespace and scope (kubeseal --raw); base64 out.</summary>
[Cmdlet(VerbsSecurity.Protect, "SealedSecretValue")]
[OutputType(typeof(string))]
public sealed class ProtectSealedSecretValueCommand : SealingCmdlet
{
    /// <summary>A string, SecureString or byte array.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object? Value { get; set; }

    /// <summary>The Secret's name (required for Strict scope).</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>The Secret's namespace (required unless ClusterWide).</summary>
    [Parameter]
    public string? Namespace { get; set; }

    /// <summary>The sealing scope as kubeseal names it: strict, namespace-wide or cluster-wide.</summary>
    [Parameter]
    [ValidateSet("Strict", "NamespaceWide", "ClusterWide", IgnoreCase = true)]
    public string Scope { get; set; } = "Strict";

    protected override void BeginProcessing() => ResolveCertificate();

    protected override void ProcessRecord()
    {
        try
        {
            byte[] bytes = ValueBytes(Value, "Value");
            WriteObject(SealedSecretSealer.SealValue(bytes, ResolveCertificate(),
                ParseScope(Scope)!.Value, Namespace, Name));
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
        catch (GitOpsSecOperationException e)
        {
            WriteOperationError(e);
        }
    }
}
