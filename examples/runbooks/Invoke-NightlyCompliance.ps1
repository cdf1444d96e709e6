#Requires -Version 7.4
#Requires -Modules GitOpsSec
<#
.SYNOPSIS
    Nightly compliance job: scans the deployment branch, writes SARIF and Markdown reports, and exits
    non-zero when findings appear that the baseline does not know (regressions).

.EXAMPLE
    ./Invoke-NightlyCompliance.ps1 -RepoPath /srv/gitops -ReportDirectory /srv/reports
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $RepoPath,
    [Parameter(Mandatory)] [string] $ReportDirectory,
    [string] $Revision = 'main',
    [string] $BaselinePath = (Join-Path $RepoPath '.gitopssec-baseline.json'),
    [ValidateSet('Low', 'Medium', 'High', 'Critical')] [string] $FailOn = 'Medium'
)

$ErrorActionPreference = 'Stop'
Import-Module GitOpsSec
New-Item -ItemType Directory -Force -Path $ReportDirectory | Out-Null
$stamp = Get-Date -Format 'yyyyMMdd'

# The branch as committed (not the working tree), with the baseline when there is one.
$scan = @{ Path = $RepoPath; Revision = $Revision }
if (Test-Path $BaselinePath) { $scan.Baseline = $BaselinePath }
$findings = Test-GitOpsRepo @scan -ErrorVariable scanErrors -ErrorAction Continue

$findings | Export-GitOpsReport Sarif (Join-Path $ReportDirectory "gitopssec-$stamp.sarif") | Out-Null
$findings | Export-GitOpsReport Markdown (Join-Path $ReportDirectory "gitopssec-$stamp.md") | Out-Null

$regressions = @($findings | Where-Object { $_.IsOpen -and $_.Severity -ge $FailOn })
Write-Output "$(@($findings).Count) finding(s), $($regressions.Count) new at or above $FailOn, $(@($scanErrors).Count) input error(s)."
foreach ($e in $scanErrors) { Write-Warning "$($e.FullyQualifiedErrorId): $($e.Exception.Message)" }
if ($regressions.Count -gt 0) {
    $regressions | Sort-Object Severity -Descending | Select-Object -First 20 |
        ForEach-Object { Write-Output "  $($_.Severity) $($_.RuleId) $($_.Resource) $($_.Location)" }
    exit 1
}
