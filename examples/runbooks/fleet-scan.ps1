#Requires -Version 7.4
#Requires -Modules GitOpsSec
<#
.SYNOPSIS
    Fleet scan: Test-GitOpsRepo over many repositories in parallel (ForEach-Object -Parallel with a throttle
    limit), one SARIF report per repository, and one merged summary: counts per repository and severity, and
    the worst offenders.

.DESCRIPTION
    Each repository is scanned in its own runspace, so one slow or broken repository does not hold up the
    others, and its input errors are counted, not fatal. Writes <ReportDirectory>/<name>.sarif for each
    repository (upload them to code scanning), summary.json and summary.md, and outputs one record per
    repository (Name, Path, Critical, High, Medium, Low, Info, Findings, Errors, Seconds, Sarif).

.EXAMPLE
    ./fleet-scan.ps1 -Repository (Get-ChildItem /srv/checkouts -Directory).FullName -ReportDirectory ./fleet -ThrottleLimit 8

.EXAMPLE
    Get-Content repos.txt | ./fleet-scan.ps1 -ReportDirectory ./fleet -Rule GOS1*,GOS3* -NoSecretScan
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, ValueFromPipeline)] [string[]] $Repository,
    [Parameter(Mandatory)] [string] $ReportDirectory,
    [ValidateRange(1, 64)] [int] $ThrottleLimit = 4,
    [string[]] $Rule,
    [switch] $NoSecretScan,
    [ValidateRange(1, 1000)] [int] $Top = 10
)

begin {
    $ErrorActionPreference = 'Stop'
    $module = (Get-Module GitOpsSec).Path
    if (-not $module) { $module = (Import-Module GitOpsSec -PassThru).Path }
    New-Item -ItemType Directory -Force -Path $ReportDirectory | Out-Null
    $reports = (Resolve-Path $ReportDirectory).Path
    $all = [System.Collections.Generic.List[string]]::new()
}

process { foreach ($r in $Repository) { $all.Add((Resolve-Path $r).Path) } }

end {
    # A report name per repository: its folder name, made unique when two folders share one.
    $names = @{}
    $jobs = foreach ($path in $all) {
        $base = (Split-Path $path -Leaf) -replace '[^A-Za-z0-9._-]', '_'
        $name = $base; $n = 1
        while ($names.ContainsKey($name)) { $name = "$base-$((++$n))" }
        $names[$name] = $true
        [pscustomobject]@{ Path = $path; Name = $name }
    }

    $records = $jobs | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel {
        Import-Module $using:module
        $job = $_
        $scan = @{ Path = $job.Path; NoSecretScan = $using:NoSecretScan }
        if ($using:Rule) { $scan.Rule = $using:Rule }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $scanErrors = $null
        $findings = @(Test-GitOpsRepo @scan -ErrorVariable scanErrors -ErrorAction SilentlyContinue)
        $sarif = Join-Path $using:reports "$($job.Name).sarif"
        $findings | Export-GitOpsReport Sarif $sarif | Out-Null
        $open = @($findings | Where-Object { -not $_.Suppressed })
        $count = { param($s) @($open | Where-Object { "$($_.Severity)" -eq $s }).Count }
        [pscustomobject]@{
            PSTypeName = 'GitOpsSec.FleetScanResult'
            Name       = $job.Name
            Path       = $job.Path
            Critical   = & $count 'Critical'
            High       = & $count 'High'
            Medium     = & $count 'Medium'
            Low        = & $count 'Low'
            Info       = & $count 'Info'
            Findings   = $open.Count
            Suppressed = $findings.Count - $open.Count
            Errors     = @($scanErrors).Count
            Seconds    = [math]::Round($clock.Elapsed.TotalSeconds, 2)
            Sarif      = $sarif
        }
    }

    # The worst offenders: most Critical, then High, then Medium, then findings.
    $ranked = @($records | Sort-Object -Property @{ Expression = 'Critical'; Descending = $true }, @{ Expression = 'High'; Descending = $true },
        @{ Expression = 'Medium'; Descending = $true }, @{ Expression = 'Findings'; Descending = $true }, Name)
    $totals = [ordered]@{}
    foreach ($s in 'Critical', 'High', 'Medium', 'Low', 'Info', 'Findings', 'Suppressed', 'Errors') {
        $totals[$s] = ($records | Measure-Object -Property $s -Sum).Sum
    }
    $summary = [ordered]@{
        repositories  = $ranked.Count
        totals        = $totals
        worstOffenders = @($ranked | Select-Object -First $Top | ForEach-Object Name)
        repositoriesDetail = @($ranked | Select-Object Name, Path, Critical, High, Medium, Low, Info, Findings, Suppressed, Errors, Seconds, Sarif)
    }
    $summary | ConvertTo-Json -Depth 5 | Set-Content -Path (Join-Path $reports 'summary.json') -Encoding utf8

    # Markdown: names are folder names, escaped for a table cell.
    $cell = { param($t) ($t -replace '[\\`*_|<>\[\]]', '\$0') }
    $md = [System.Text.StringBuilder]::new()
    [void]$md.AppendLine("# GitOpsSec fleet scan: $($ranked.Count) repositories")
    [void]$md.AppendLine()
    [void]$md.AppendLine("| repository | Critical | High | Medium | Low | Info | findings | input errors |")
    [void]$md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|")
    foreach ($r in $ranked) {
        [void]$md.AppendLine("| $(& $cell $r.Name) | $($r.Critical) | $($r.High) | $($r.Medium) | $($r.Low) | $($r.Info) | $($r.Findings) | $($r.Errors) |")
    }
    [void]$md.AppendLine("| **all** | $($totals.Critical) | $($totals.High) | $($totals.Medium) | $($totals.Low) | $($totals.Info) | $($totals.Findings) | $($totals.Errors) |")
    Set-Content -Path (Join-Path $reports 'summary.md') -Value $md.ToString() -Encoding utf8

    $ranked
}
