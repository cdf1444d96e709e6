#Requires -Version 7.4
#Requires -Modules GitOpsSec
<#
.SYNOPSIS
    Finds plaintext Secrets committed in a GitOps repository and replaces them with SealedSecrets.

.EXAMPLE
    ./Seal-RepositorySecrets.ps1 -RepoPath ./gitops -CertificatePath ./cert.pem -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $RepoPath,
    [Parameter(Mandatory)] [string] $CertificatePath
)

$ErrorActionPreference = 'Stop'
Import-Module GitOpsSec

$plaintext = Test-GitOpsManifest -Path $RepoPath -Rule plaintext-secret -NoRender | Where-Object { -not $_.Suppressed }
if (-not $plaintext) { Write-Output 'No plaintext Secrets.'; return }
$plaintext | ForEach-Object { Write-Output "Sealing $($_.Resource) in $($_.Location)" }

Get-GitOpsManifest -Path $RepoPath -Kind Secret -NoRender |
    ConvertTo-SealedSecret -CertificatePath $CertificatePath -ReplaceInPlace -PassThru -WhatIf:$WhatIfPreference

Write-Warning 'The old values are still in git history: rotate them at their source.'
