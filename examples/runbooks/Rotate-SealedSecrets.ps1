#Requires -Version 7.4
#Requires -Modules GitOpsSec
<#
.SYNOPSIS
    Re-encrypts every SealedSecret of a GitOps repository to the controller's new certificate,
    offline, and opens the change as a commit on a branch.

.DESCRIPTION
    The sealed-secrets controller renews its key (by default every 30 days) and keeps the old ones,
    so old SealedSecrets still decrypt. Re-sealing them to the newest certificate lets old keys be
    retired. This runbook does it without cluster access to the secrets themselves: it needs the
    controller's key backup (old private keys) and its current certificate.

.EXAMPLE
    ./Rotate-SealedSecrets.ps1 -RepoPath ./gitops -KeyBackupPath ./sealed-secrets-keys.yaml `
        -CertificateUri http://sealed-secrets.kube-system.svc:8080/v1/cert.pem -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $RepoPath,
    # kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml
    [Parameter(Mandatory)] [string[]] $KeyBackupPath,
    [Parameter(Mandatory, ParameterSetName = 'Uri')] [uri] $CertificateUri,
    [Parameter(Mandatory, ParameterSetName = 'Path')] [string] $CertificatePath,
    [string] $Branch = "rotate-sealed-secrets-$(Get-Date -Format yyyyMMdd)"
)

$ErrorActionPreference = 'Stop'
Import-Module GitOpsSec

$certificate = if ($CertificateUri) { Get-SealedSecretCertificate -Uri $CertificateUri } else { Get-SealedSecretCertificate -Path $CertificatePath }
Write-Output "Sealing to $($certificate.Subject), thumbprint $($certificate.Thumbprint), valid until $($certificate.NotAfter)"

# Which files hold SealedSecrets (read as written, no kustomize rendering).
$files = Get-GitOpsManifest -Path $RepoPath -Kind SealedSecret -NoRender | ForEach-Object FullPath | Sort-Object -Unique
if (-not $files) { Write-Output 'No SealedSecrets found.'; return }

# A SealedSecret that does not decrypt is reported and left as it is; the others are rotated.
$rotated = Update-SealedSecret -Path $files -PrivateKeyPath $KeyBackupPath -Certificate $certificate -PassThru `
    -ErrorVariable rotationErrors -ErrorAction Continue -WhatIf:$WhatIfPreference
Write-Output "$(@($rotated).Count) SealedSecret(s) re-encrypted in $(@($files).Count) file(s); $(@($rotationErrors).Count) error(s)."
foreach ($e in $rotationErrors) { Write-Warning "$($e.FullyQualifiedErrorId): $($e.Exception.Message)" }

if ($rotated -and $PSCmdlet.ShouldProcess($RepoPath, "commit on branch $Branch")) {
    git -C $RepoPath switch -c $Branch
    git -C $RepoPath add -- $files
    git -C $RepoPath commit -m "SEC-ROTATE: re-encrypt SealedSecrets to $($certificate.Thumbprint)"
}
if ($rotationErrors) { throw "$(@($rotationErrors).Count) SealedSecret value(s) could not be rotated" }
