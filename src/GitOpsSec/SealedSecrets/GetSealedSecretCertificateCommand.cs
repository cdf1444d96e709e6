using System.Management.Automation;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>
/// Get-SealedSecretCertificate: reads the sealed-secrets controller's certificate from a PEM file or
/// its cert URL, and warns when it is expired or expires within 30 days.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SealedSecretCertificate", DefaultParameterSetName = "Path")]
[OutputType(typeof(SealedSecretCertificate))]
public sealed class GetSealedSecretCertificateCommand : GitOpsCmdlet
{
    /// <summary>A PEM file with the sealed-secrets controller's certificate.</summary>
    [Parameter(ParameterSetName = "Path", Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string[]? Path { get; set; }

    /// <summary>The controller's certificate URL, e.g. http://sealed-secrets.kube-system:8080/v1/cert.pem.</summary>
    [Parameter(ParameterSetName = "Uri", Mandatory = true)]
    public Uri? Uri { get; set; }

    /// <summary>Accept a plain http -Uri (refused by default: the certificate could be swapped in transit).</summary>
    [Parameter(ParameterSetName = "Uri")]
    public SwitchParameter AllowInsecureHttp { get; set; }

    /// <summary>How long to wait for the controller's certificate endpoint, in seconds.</summary>
    [Parameter(ParameterSetName = "Uri")]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Warn when the certificate expires within this many days.</summary>
    [Parameter]
    [ValidateRange(0, 3650)]
    public int WarningDays { get; set; } = 30;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "Uri")
        {
            Emit(() => SealedSecretCertificate.FromUriAsync(Uri!, TimeSpan.FromSeconds(TimeoutSec), ScanHost.Cancellation, AllowInsecureHttp).GetAwaiter().GetResult());
            return;
        }
        foreach (string path in PathResolver.Resolve(this, ScanHost, Path, literal: false))
        {
            Emit(() => SealedSecretCertificate.FromFile(path));
        }
    }

    private void Emit(Func<SealedSecretCertificate> load)
    {
        SealedSecretCertificate certificate;
        try
        {
            certificate = load();
        }
        catch (GitOpsSecOperationException e)
        {
            WriteError(ToErrorRecord(e.ToScanError()));
            return;
        }
        if (certificate.IsExpired)
        {
            WriteWarning($"The certificate {certificate.Subject} from {certificate.Source} expired on {certificate.NotAfter:yyyy-MM-dd}.");
        }
        else if (certificate.DaysUntilExpiry < WarningDays)
        {
            WriteWarning($"The certificate {certificate.Subject} from {certificate.Source} expires in {certificate.DaysUntilExpiry} days ({certificate.NotAfter:yyyy-MM-dd}).");
        }
        WriteObject(certificate);
    }
}
