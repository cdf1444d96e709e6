#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages GitOpsSec. A thin wrapper over the dotnet commands in README.md.
.EXAMPLE
    ./build.ps1               # Build: out/GitOpsSec
    ./build.ps1 -Task Test    # every test
    ./build.ps1 -Task Package # out/packages/GitOpsSec.<version>.nupkg, installable with PSResourceGet
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
            # A .nupkg as the PowerShell Gallery serves it: Register-PSResourceRepository -Name local -Uri out/packages,
            # then Install-PSResource GitOpsSec -Repository local.
            $packages = Join-Path $PSScriptRoot 'out/packages'
            New-Item -ItemType Directory -Force -Path $packages | Out-Null
            $manifest = Test-ModuleManifest -Path (Join-Path $PSScriptRoot 'out/GitOpsSec/GitOpsSec.psd1')
            Remove-Item -Path (Join-Path $packages "GitOpsSec.$($manifest.Version).nupkg") -ErrorAction Ignore
            Compress-PSResource -Path (Join-Path $PSScriptRoot 'out/GitOpsSec') -DestinationPath $packages
            Write-Host "Packaged $(Join-Path $packages "GitOpsSec.$($manifest.Version).nupkg")"
        }
    }
}
