using System.Management.Automation;
using GitOpsSec.Diagnostics;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>Cmdlets that seal: the controller's certificate, given exactly one way.</summary>
public abstract class SealingCmdlet : SealedSecretCmdlet
{
    private object? _certificate;

    /// <summary>The object Get-SealedSecretCertificate returns.</summary>
    [Parameter]
    public object? Certificate { get; set; }

    /// <summary>The controller's certificate as a PEM file (kubeseal --fetch-cert).</summary>
    [Parameter]
    public string? CertificatePath { get; set; }

    /// <summary>The controller's certificate URL (http://…/v1/cert.pem).</summary>
    [Parameter]
    public Uri? CertificateUri { get; set; }

    /// <summary>Accept a plain http -CertificateUri (refused by default: the certificate could be swapped in transit).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureHttp { get; set; }

    /// <summary>The certificate from -Certificate, -CertificatePath or -CertificateUri; terminating when none is usable.</summary>
    internal SealedSecretCertificate ResolveCertificate()
    {
        if (_certificate is SealedSecretCertificate cached)
        {
            return cached;
        }
        object? certificate = Certificate;
        string? path = CertificatePath;
        Uri? uri = CertificateUri;
        int given = (certificate is null ? 0 : 1) + (path is null ? 0 : 1) + (uri is null ? 0 : 1);
        if (given != 1)
        {
            ThrowOperationError(new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.InvalidArgument,
                "Give the controller's certificate once: -Certificate (from Get-SealedSecretCertificate), -CertificatePath or -CertificateUri."));
        }
        try
        {
            SealedSecretCertificate result = certificate switch
            {
                SealedSecretCertificate c => c,
                PSObject { BaseObject: SealedSecretCertificate c } => c,
                not null => throw new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.InvalidArgument,
                    "-Certificate takes the object Get-SealedSecretCertificate returns."),
                null when path is not null => SealedSecretCertificate.FromFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path)),
                _ => SealedSecretCertificate.FromUriAsync(uri!, TimeSpan.FromSeconds(30), ScanHost.Cancellation, AllowInsecureHttp).GetAwaiter().GetResult(),
            };
            if (result.IsExpired)
            {
                WriteWarning($"The sealing certificate {result.Subject} expired on {result.NotAfter:yyyy-MM-dd}; the controller may have rotated its key.");
            }
            _certificate = result;
            return result;
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowOperationError(e);
            throw; // not reached: ThrowTerminatingError throws
        }
    }
}
