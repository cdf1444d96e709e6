#!/usr/bin/env pwsh
# Runs the Pester suite in real pwsh (dotnet tool run pwsh, from .config/dotnet-tools.json) with Pester 5.7.1
# from the NuGet cache (downloaded by restoring tests/GitOpsSec.Module.Tests). Prints one line in the format
# of `dotnet test` ("Passed!  - Failed: N, Passed: N, ...") so .ci/run counts it, and exits with the number
# of failed tests. Usage: dotnet tool run pwsh -NoProfile -File tests/Pester/run.ps1 [-Verbosity Detailed]
param(
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Verbosity = 'Normal'
)
$ErrorActionPreference = 'Stop'
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
$pester = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
if (-not (Test-Path $pester)) {
    throw "Pester 5.7.1 is not in $packages. Run 'dotnet restore tests/GitOpsSec.Module.Tests' (it downloads Pester) or 'dotnet test'."
}
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
if (-not (Test-Path (Join-Path $root 'out/GitOpsSec/GitOpsSec.psd1'))) {
    throw "The module is not built: run 'dotnet build GitOpsSec.sln -c Release' first."
}
Import-Module $pester -Force
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = $Verbosity
$result = Invoke-Pester -Configuration $config
$outcome = if ($result.FailedCount -gt 0) { 'Failed!' } else { 'Passed!' }
"$outcome  - Failed: $($result.FailedCount), Passed: $($result.PassedCount), Skipped: $($result.SkippedCount), Total: $($result.TotalCount) - Pester $($result.Version) in pwsh $($PSVersionTable.PSVersion)"
exit $result.FailedCount
