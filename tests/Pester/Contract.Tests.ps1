#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The PowerShell contract, as a pwsh user meets it: help for every parameter, the docs' examples, CI exit codes,
# verdicts, table views, tab completion, -WhatIf, filter errors and installing the package.

BeforeDiscovery {
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $root 'out/GitOpsSec') -Force
    $cmdlets = Get-Command -Module GitOpsSec -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } }
    # Every example line of every docs page (the ```powershell block under "## Examples").
    $examples = foreach ($page in Get-ChildItem (Join-Path $root 'docs') -Filter '*-*.md') {
        $text = Get-Content -Raw $page.FullName
        $block = [regex]::Match($text, '## Examples\s*```powershell\r?\n(.*?)```', 'Singleline').Groups[1].Value
        foreach ($line in ($block -replace '`\r?\n\s*', ' ') -split '\r?\n') {
            if ($line.Trim() -and -not $line.TrimStart().StartsWith('#')) { @{ Page = $page.BaseName; Example = $line.Trim() } }
        }
    }
    # The examples that only read the bundled examples run for real.
    $runnable = $examples | Where-Object { $_.Example -match '\./examples/' -and $_.Example -notmatch '-OutFile|Export-|-Live|-Context|-Range|-History|Set-|Remove-|-Uri|Install-' }
}

BeforeAll {
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $root 'out/GitOpsSec') -Force
    # This very pwsh (a .NET tool here: its apphost sits in $PSHOME), started as CI starts it: pwsh -File.
    $pwsh = @(Get-ChildItem $PSHOME -Filter 'pwsh*' | Where-Object { $_.Name -in 'pwsh', 'pwsh.exe' } | Select-Object -First 1 -ExpandProperty FullName)
    if (-not $pwsh) { $pwsh = @('dotnet', (Join-Path $PSHOME 'pwsh.dll')) }
    function Invoke-Pwsh([string] $Script, [string] $WorkingDirectory = $root) {
        $file = Join-Path ([IO.Path]::GetTempPath()) "gitopssec-$([guid]::NewGuid()).ps1"
        Set-Content -Path $file -Value $Script
        Push-Location $WorkingDirectory
        try {
            $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file)
            $out = & $pwsh[0] @arguments 2>&1
            [pscustomobject]@{ Exit = $LASTEXITCODE; Output = ($out | Out-String) }
        }
        finally { Pop-Location; Remove-Item $file }
    }
    function Complete([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
    function New-TempFolder { $d = Join-Path ([IO.Path]::GetTempPath()) "gitopssec-$([guid]::NewGuid())"; New-Item -ItemType Directory $d | Out-Null; $d }
    # A fake GitHub token with a valid checksum: base62(CRC32(body)) as GitHub publishes the format.
    function New-FakeGitHubToken([int] $Seed) {
        $alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
        $random = [Random]::new($Seed)
        $body = -join (1..30 | ForEach-Object { $alphabet[$random.Next(62)] })
        $crc = [uint32]::MaxValue
        foreach ($b in [Text.Encoding]::ASCII.GetBytes($body)) {
            $crc = $crc -bxor $b
            for ($k = 0; $k -lt 8; $k++) { $crc = if ($crc -band 1) { [uint32](0xEDB88320 -bxor ($crc -shr 1)) } else { [uint32]($crc -shr 1) } }
        }
        $crc = [uint32]($crc -bxor [uint32]::MaxValue)
        $checksum = ''
        for ($i = 0; $i -lt 6; $i++) { $checksum = $alphabet[[int]($crc % 62)] + $checksum; $crc = [uint32][Math]::Floor($crc / 62) }
        "ghp_$body$checksum"
    }
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    It 'has a synopsis, a syntax and a description for every parameter' {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name"
        @($help.syntax.syntaxItem).Count | Should -BeGreaterThan 0
        foreach ($p in (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters }) {
            $parameter = Get-Help $Name -Parameter $p
            ($parameter.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$p of $Name needs help"
        }
    }
}

Describe 'Help shows what a parameter accepts' {
    It 'lists a ValidateSet or enum in SYNTAX and in the parameter help' {
        $syntax = Get-Help Test-GitOpsRepo | Out-String -Width 400
        $syntax | Should -Match '-FailOn \{Info \| Low \| Medium \| High \| Critical\}'
        $syntax | Should -Match '-Level \{Baseline \| Restricted\}'
    }
}

Describe 'The example of <Page>: <Example>' -ForEach $examples {
    It 'names real commands and parameters' {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Example, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        foreach ($command in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $name = $command.GetCommandName()
            if ($name -notlike '*-GitOps*' -and $name -notlike '*-SealedSecret*' -and $name -notlike '*-Rbac*' -and $name -notlike '*-Commit*' -and $name -notlike '*-NetworkPolicy*') { continue }
            Get-Command $name -ErrorAction Stop | Should -Not -BeNullOrEmpty
            $binding = [System.Management.Automation.Language.StaticParameterBinder]::BindCommand($command, $true)
            $binding.BindingExceptions.Keys | Should -BeNullOrEmpty -Because "$Example should bind"
        }
    }
}

Describe 'Running the example <Example>' -ForEach $runnable {
    It 'runs on the bundled examples without an error' {
        Push-Location $root
        try { Invoke-Expression "$Example | Out-Null" -ErrorVariable failures -ErrorAction SilentlyContinue }
        finally { Pop-Location }
        $failures | Where-Object FullyQualifiedErrorId -notlike 'GitOpsSec.Policy.Failed*' | Should -BeNullOrEmpty
    }
}

Describe 'CI exit codes and results that are never swallowed' {
    It 'Test-GitOpsRepo -FailOn High -EnableExit makes pwsh -File exit 3 after writing every result' {
        $r = Invoke-Pwsh "Import-Module ./out/GitOpsSec; Test-GitOpsRepo ./examples/insecure-repo -NoSecretScan -FailOn High -EnableExit | Measure-Object | ForEach-Object { 'results: ' + `$_.Count }"
        $r.Exit | Should -Be 3
        $r.Output | Should -Match 'results: [1-9]'
        $r.Output | Should -Match 'open finding'
    }

    It 'a repository that meets the policy exits 0' {
        (Invoke-Pwsh "Import-Module ./out/GitOpsSec; Test-GitOpsRepo ./examples/hardened-repo -FailOn Low -EnableExit | Out-Null").Exit | Should -Be 0
    }

    It 'without -EnableExit the script goes on and $? says the policy failed' {
        $r = Invoke-Pwsh "Import-Module ./out/GitOpsSec; `$r = Test-GitOpsRepo ./examples/insecure-repo -NoSecretScan -FailOn High -ErrorAction SilentlyContinue; `$ok = `$?; 'kept ' + `$r.Count + ' ' + `$ok"
        $r.Exit | Should -Be 0
        $r.Output | Should -Match 'kept [1-9]\d* False'
    }

    It 'Find-GitOpsSecret -FailOn Low -EnableExit exits 3 and writes the finding first' {
        $dir = New-TempFolder
        Set-Content (Join-Path $dir 'ci.env') "T=$(New-FakeGitHubToken 7)"
        $r = Invoke-Pwsh "Import-Module '$root/out/GitOpsSec'; Find-GitOpsSecret . -FailOn Low -EnableExit | ForEach-Object RuleId" $dir
        $r.Exit | Should -Be 3
        $r.Output | Should -Match 'GOS2110'
        Remove-Item -Recurse -Force $dir
    }

    It 'Test-CommitSignature -FailOnViolation -EnableExit exits 3 on an unsigned commit' {
        $dir = New-TempFolder
        git -C $dir init -q -b main; git -C $dir -c user.email=a@b -c user.name=a -c commit.gpgsign=false commit -q --allow-empty -m init
        $r = Invoke-Pwsh "Import-Module '$root/out/GitOpsSec'; Test-CommitSignature -FailOnViolation -EnableExit | ForEach-Object Status" $dir
        $r.Exit | Should -Be 3
        $r.Output | Should -Match 'Unsigned'
        Remove-Item -Recurse -Force $dir
    }

    It 'errors without a failed policy exit 1' {
        (Invoke-Pwsh "Import-Module ./out/GitOpsSec; Test-GitOpsRepo ./examples/hardened-repo, ./no-such-folder -FailOn Critical -EnableExit -ErrorAction SilentlyContinue | Out-Null").Exit | Should -Be 1
    }
}

Describe 'Verdicts' {
    It 'a missing path is NotScanned, never Passed' {
        (Test-GitOpsRepo ./no-such-folder -Summary -WarningAction SilentlyContinue -ErrorAction SilentlyContinue).Verdict | Should -Be 'NotScanned'
    }

    It 'a scan without a policy is NoPolicy and shows the counts by severity' {
        $summary = Test-GitOpsRepo (Join-Path $root 'examples/insecure-repo') -NoSecretScan -Summary
        $summary.Verdict | Should -Be 'NoPolicy'
        $summary.BySeverity | Should -Match 'Critical [1-9]'
        ($summary | Out-String -Width 200) | Should -Match 'Critical [1-9]\d*, High [1-9]'
    }
}

Describe 'Views' {
    It 'keeps file:line in the finding table at 120 columns' {
        $text = Test-GitOpsManifest -Path (Join-Path $root 'examples/insecure-repo') | Out-String -Width 120
        $text | Should -Match 'deployment\.yaml:25'
        $text | Should -Match 'replicas-patch\.yaml:9'
    }

    It 'never shows a secret in the secret table' {
        $dir = New-TempFolder
        $token = New-FakeGitHubToken 11
        Set-Content (Join-Path $dir 'a.env') "T=$token"
        $text = Find-GitOpsSecret $dir | Out-String -Width 200
        $text | Should -Match 'ghp_\*{8}'
        $text | Should -Not -Match ([regex]::Escape($token))
        Remove-Item -Recurse -Force $dir
    }

    It 'exports findings to CSV without the secret' {
        $dir = New-TempFolder
        $token = New-FakeGitHubToken 12
        Set-Content (Join-Path $dir 'a.env') "T=$token"
        $csv = Join-Path $dir 'out.csv'
        Find-GitOpsSecret $dir | Export-Csv $csv
        $rows = Import-Csv $csv
        $rows[0].RuleId | Should -Be 'GOS2110'
        Get-Content -Raw $csv | Should -Not -Match ([regex]::Escape($token))
        Remove-Item -Recurse -Force $dir
    }
}

Describe 'Tab completion' {
    It 'completes rule categories' { Complete 'Get-GitOpsRule -Category Se' | Should -Contain 'Secrets' }
    It 'offers only secret detectors to Find-GitOpsSecret -Rule' {
        Complete 'Find-GitOpsSecret -Rule GOS10' | Should -BeNullOrEmpty
        Complete 'Find-GitOpsSecret -Rule anthropic' | Should -Contain 'anthropic-api-key'
    }
    It 'completes RBAC capabilities' { Complete 'Get-RbacExposure -Capability ReadS' | Should -Contain 'ReadSecrets' }
    It 'completes Kubernetes verbs' { Complete 'Test-RbacAccess -Verb imp' | Should -Contain 'impersonate' }
    It 'completes kinds' { Complete 'Get-GitOpsManifest -Kind Sealed' | Should -Contain 'SealedSecret' }
    It 'completes namespaces from the repository' {
        Complete "Get-GitOpsManifest $root/examples/insecure-repo -Namespace pay" | Should -Contain 'payments-prod'
    }
    It 'completes kubeconfig contexts' {
        $dir = New-TempFolder
        $kubeconfig = Join-Path $dir 'config'
        Set-Content $kubeconfig "apiVersion: v1`nkind: Config`nclusters: []`nusers: []`ncontexts:`n  - name: prod-eu`n    context: {cluster: eu, user: ops}`n  - name: staging`n    context: {cluster: st, user: ops}`n"
        Complete "Compare-GitOpsDrift -Kubeconfig $kubeconfig -Context pro" | Should -Be 'prod-eu'
        Remove-Item -Recurse -Force $dir
    }
    It 'completes Kubernetes versions newest first' { (Complete 'Test-GitOpsManifest -KubernetesVersion v1.3')[0] | Should -Match '^v1\.3\d$' }
}

Describe 'Filters and -WhatIf' {
    It 'an unknown category is an error, not silence' {
        Get-GitOpsRule -Category Foo -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'GitOpsSec.Filter.UnknownValue*'
    }
    It 'an unknown RBAC capability is an error' {
        Get-RbacExposure (Join-Path $root 'examples/insecure-repo') -Capability NoSuchThing -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'GitOpsSec.Filter.UnknownValue*'
    }
    It 'Install-GitOpsHook -WhatIf installs nothing' {
        $dir = New-TempFolder
        git -C $dir init -q
        Install-GitOpsHook -Path $dir -WhatIf
        Test-Path (Join-Path $dir '.git/hooks/pre-commit') | Should -BeFalse
        Install-GitOpsHook -Path $dir | Out-Null
        Test-Path (Join-Path $dir '.git/hooks/pre-commit') | Should -BeTrue
        Remove-Item -Recurse -Force $dir
    }
    It 'every command that writes files supports -WhatIf and -Confirm, and -Confirm:$false overrides a strict $ConfirmPreference' {
        foreach ($name in 'ConvertTo-SealedSecret', 'Export-GitOpsAuditLog', 'Export-GitOpsBaseline', 'Export-GitOpsReport', 'Export-GitOpsSbom', 'Install-GitOpsHook', 'New-SealedSecretManifest', 'Update-SealedSecret') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'WhatIf'
            (Get-Command $name).Parameters.Keys | Should -Contain 'Confirm'
        }
        $dir = New-TempFolder
        $baseline = Join-Path $dir 'baseline.json'
        $findings = Test-GitOpsManifest -Path (Join-Path $root 'examples/insecure-repo')
        $ConfirmPreference = 'Low'   # would prompt for every change; -Confirm:$false says no prompt
        $findings | Export-GitOpsBaseline -Path $baseline -Confirm:$false
        (Get-Content -Raw $baseline | ConvertFrom-Json) | Should -Not -BeNullOrEmpty
        $ConfirmPreference = 'High'
        Remove-Item -Recurse -Force $dir
    }

    It 'Export-GitOpsReport -WhatIf writes no file' {
        $dir = New-TempFolder
        $report = Join-Path $dir 'report.sarif'
        Test-GitOpsManifest -Path (Join-Path $root 'examples/insecure-repo') | Export-GitOpsReport -Format Sarif -Path $report -WhatIf
        Test-Path $report | Should -BeFalse
        Remove-Item -Recurse -Force $dir
    }
}

Describe 'Installing the package' {
    It 'Compress-PSResource makes a .nupkg that PSResourceGet installs into a module path and that imports' {
        $feed = New-TempFolder
        $modules = New-TempFolder
        $repository = "gitopssec-test-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
        Compress-PSResource -Path (Join-Path $root 'out/GitOpsSec') -DestinationPath $feed
        (Get-ChildItem $feed -Filter 'GitOpsSec.*.nupkg').Count | Should -Be 1
        Register-PSResourceRepository -Name $repository -Uri $feed -Trusted
        try {
            Save-PSResource -Name GitOpsSec -Repository $repository -Path $modules -TrustRepository
            $r = Invoke-Pwsh "`$env:PSModulePath = '$modules' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module GitOpsSec; (Get-Module GitOpsSec).ModuleBase; (Get-Command -Module GitOpsSec -CommandType Cmdlet).Count; (Get-Module GitOpsSec).PrivateData.PSData.LicenseUri"
            $r.Exit | Should -Be 0
            $r.Output | Should -Match ([regex]::Escape($modules))
            $r.Output | Should -Match '\b30\b'
            $r.Output | Should -Match 'LICENSE'
        }
        finally {
            Unregister-PSResourceRepository -Name $repository
            Remove-Item -Recurse -Force $feed, $modules
        }
    }
}
