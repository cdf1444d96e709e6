#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages GitOpsSec. A thin wrapper over the dotnet commands in README.md.
.EXAMPLE
    ./build.ps1               # Build: out/GitOpsSec
    ./build.ps1 -Task Test    # every test
    ./build.ps1 -Task Package # out/GitOpsSec-<version>.zip
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot

function Invoke-Dotnet {
    param([string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')"
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

foreach ($name in $Task) {
    switch ($name) {
        'Build' { Invoke-Dotnet @('build', 'GitOpsSec.sln', '-c', $Configuration) }
        'Test' { Invoke-Dotnet @('test', 'GitOpsSec.sln', '-c', $Configuration) }
        'Package' {
            Invoke-Dotnet @('build', 'GitOpsSec.sln', '-c', $Configuration)
            $manifest = Test-ModuleManifest -Path (Join-Path $PSScriptRoot 'out/GitOpsSec/GitOpsSec.psd1')
            $zip = Join-Path $PSScriptRoot "out/GitOpsSec-$($manifest.Version).zip"
            Compress-Archive -Path (Join-Path $PSScriptRoot 'out/GitOpsSec') -DestinationPath $zip -Force
            Write-Host "Packaged $zip"
        }
    }
}
