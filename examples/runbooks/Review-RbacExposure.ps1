#Requires -Version 7.4
#Requires -Modules GitOpsSec
<#
.SYNOPSIS
    Monthly RBAC review: lists every subject with a Critical or High capability, with the path that
    grants it, and writes a CSV for the access review meeting.

.EXAMPLE
    ./Review-RbacExposure.ps1 -RepoPath ./gitops -OutFile ./rbac-review.csv
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $RepoPath,
    [string] $OutFile = "rbac-review-$(Get-Date -Format yyyyMM).csv",
    [string[]] $ControllerNamespace = @('argocd', 'flux-system')
)

$ErrorActionPreference = 'Stop'
Import-Module GitOpsSec

$exposures = Get-RbacExposure -Path $RepoPath -ControllerNamespace $ControllerNamespace -ErrorVariable rbacErrors -ErrorAction Continue |
    Where-Object { $_.Severity -ge 'High' }

$exposures |
    ForEach-Object {
        [pscustomobject]@{
            Severity   = $_.Severity
            Subject    = $_.Subject.ToString()
            Capability = $_.Capability
            Scope      = $_.Scope
            Via        = $_.Via
            Binding    = $_.Binding
            Source     = "$($_.SourcePath):$($_.SourceLine)"
            Path       = $_.Path -join ' => '
        }
    } |
    Export-Csv -Path $OutFile -NoTypeInformation

$exposures | Group-Object { $_.Subject.ToString() } | Sort-Object Count -Descending |
    ForEach-Object { Write-Output ('{0,4}  {1}' -f $_.Count, $_.Name) }
foreach ($e in $rbacErrors) { Write-Warning "$($e.FullyQualifiedErrorId): $($e.Exception.Message)" }
Write-Output "Wrote $OutFile"
