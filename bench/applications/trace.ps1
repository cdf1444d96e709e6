# How well the application model traces a real GitOps repository: units by status, objects traced to a unit,
# objects under a followed unit path that are traced, namespace origins, and the findings of Test-GitOpsRepo.
#   gitopssec --format json "& ./bench/applications/trace.ps1 -Path <clone>"
# (a clone whose origin remote is the repository's public URL, as a user's clone has).
param([Parameter(Mandatory)] [string] $Path)
$watch = [Diagnostics.Stopwatch]::StartNew()
$units = @(Get-GitOpsApplication $Path -WarningAction SilentlyContinue -ErrorAction SilentlyContinue -ErrorVariable unitErrors)
$objects = @(Get-GitOpsManifest $Path -WarningAction SilentlyContinue -ErrorAction SilentlyContinue)
$followed = @($units | ForEach-Object { $_.Sources } | Where-Object { $_.Followed -and $_.InRepository } | ForEach-Object { $_.Path } | Sort-Object -Unique)
$under = @($objects | Where-Object { $p = $_.Path; $followed | Where-Object { $_ -eq '' -or $p -like "$_/*" } | Select-Object -First 1 })
$findings = @(Test-GitOpsRepo $Path -NoSecretScan -WarningAction SilentlyContinue -ErrorAction SilentlyContinue)
[pscustomobject]@{
    Repository     = Split-Path $Path -Leaf
    Units          = $units.Count
    UnitStatus     = ($units | Group-Object Status | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '
    Objects        = $objects.Count
    Traced         = @($objects | Where-Object Application).Count
    UnderUnitPaths = $under.Count
    TracedUnder    = @($under | Where-Object Application).Count
    Origins        = ($objects | Group-Object NamespaceOrigin | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '
    Findings       = $findings.Count
    BySeverity     = ($findings | Group-Object Severity | Sort-Object { @('Critical', 'High', 'Medium', 'Low', 'Info').IndexOf($_.Name) } | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '
    ModelErrors    = ($unitErrors | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] } | Group-Object | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '
    Seconds        = [math]::Round($watch.Elapsed.TotalSeconds, 1)
}
