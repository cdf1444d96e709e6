using System.Management.Automation;
using GitOpsSec.Diagnostics;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>Cmdlets that need the controller's private keys (-PrivateKeyPath, one or several files).</summary>
public abstract class KeyRingCmdlet : SealedSecretCmdlet
{
    private object? _keys;

    /// <summary>PEM private keys or the controller's key backup YAML; every key is tried.</summary>
    [Parameter(Mandatory = true)]
    [Alias("RecoveryPrivateKey")]
    public string[]? PrivateKeyPath { get; set; }

    /// <summary>Loads every key file; a bad file is an error, and no usable key at all stops the command.</summary>
    internal SealedSecretKeyRing Keys()
    {
        if (_keys is SealedSecretKeyRing cached)
        {
            return cached;
        }
        var ring = new SealedSecretKeyRing();
        foreach (string path in PrivateKeyPath ?? Array.Empty<string>())
        {
            try
            {
                ring.AddFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
            }
            catch (GitOpsSecOperationException e)
            {
                WriteOperationError(e);
            }
        }
        if (ring.Count == 0)
        {
            ThrowOperationError(new GitOpsSecOperationException(ErrorIds.PrivateKeyInvalid, ScanErrorCategory.InvalidArgument,
                "None of the -PrivateKeyPath files holds a usable RSA private key."));
        }
        WriteVerbose($"{ring.Count} private key(s) loaded from {string.Join(", ", ring.Sources.Distinct())}");
        _keys = ring;
        return ring;
    }

    /// <summary>The SealedSecret of an input document; NotASealedSecret reported otherwise.</summary>
    internal SealedSecret? SealedSecretOf(InputDocument doc)
    {
        if (doc.Model is not null)
        {
            return doc.Model;
        }
        try
        {
            return SealedSecret.FromNode(doc.Node!, doc.Target);
        }
        catch (GitOpsSecOperationException e)
        {
            WriteOperationError(e);
            return null;
        }
    }
}
