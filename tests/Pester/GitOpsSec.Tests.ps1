#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester tests: the users' view of the module in real pwsh. tests/Pester/run.ps1 runs them (README's test
# command and .ci/run do) in pwsh 7.6.10 from .config/dotnet-tools.json with Pester 5.7.1 from NuGet.

BeforeAll {
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $root 'out/GitOpsSec') -Force
    $examples = Join-Path $root 'examples'
}

Describe 'GitOpsSec module' {
    It 'exports its cmdlets' {
        (Get-Command -Module GitOpsSec).Name | Should -Contain 'Test-GitOpsManifest'
    }
}

Describe 'Get-GitOpsManifest' {
    It 'reads objects with path and line' {
        $pod = Get-GitOpsManifest -Path (Join-Path $examples 'insecure-repo/jobs/debug-pod.yaml')
        $pod.Kind | Should -Be 'Pod'
        $pod.Line | Should -Be 2
        $pod.Object.spec.containers[0].name | Should -Be 'shell'
    }

    It 'reports a missing path as a non-terminating error' {
        Get-GitOpsManifest -Path ./does-not-exist -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GitOpsSec.Manifest.PathNotFound*'
    }
}

Describe 'Test-GitOpsManifest' {
    It 'passes the hardened example at the Restricted level' {
        Test-GitOpsManifest -Path (Join-Path $examples 'hardened-repo') | Should -BeNullOrEmpty
    }

    It 'finds privileged containers in the insecure example' {
        $findings = Test-GitOpsManifest -Path (Join-Path $examples 'insecure-repo')
        $findings.RuleId | Should -Contain 'GOS1003'
        ($findings | Where-Object Suppressed).Count | Should -BeGreaterThan 0
    }
}

Describe 'Get-GitOpsRule' {
    It 'lists the Pod Security Standards controls' {
        (Get-GitOpsRule -Level Baseline).Count | Should -Be 12
        (Get-GitOpsRule -Level Restricted).Count | Should -Be 6
    }
}

Describe 'Sealed Secrets' {
    BeforeAll {
        $data = Join-Path $root 'tests/data/sealed-secrets'
        $cert = Join-Path $data 'test-cert.pem'
        $key = Join-Path $data 'test-key.pem'
    }

    It 'round-trips a value through New-SealedSecretManifest and Unprotect-SealedSecret' {
        $yaml = New-SealedSecretManifest db -Namespace payments -Data @{ password = 's3cr3t' } -CertificatePath $cert
        $recovered = $yaml | Unprotect-SealedSecret -PrivateKeyPath $key -AsPlainText
        $recovered.Data.password | Should -Be 's3cr3t'
    }

    It 'returns SecureStrings unless -AsPlainText' {
        $recovered = Unprotect-SealedSecret -Path (Join-Path $data 'socialgouv-strict.json') -PrivateKeyPath $key
        $recovered.Data.password | Should -BeOfType [securestring]
    }

    It 'does not decrypt with the wrong key' {
        Unprotect-SealedSecret -Path (Join-Path $data 'socialgouv-strict.json') -PrivateKeyPath (Join-Path $data 'rotated-key.pem') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GitOpsSec.SealedSecret.DecryptFailed*'
    }
}

Describe 'RBAC' {
    It 'finds exec rights of the developers group' {
        $exposure = Get-RbacExposure -Path (Join-Path $examples 'insecure-repo') -Subject payments-developers -Capability ExecIntoPods
        $exposure.Scope | Should -Be 'payments-prod'
    }

    It 'answers can-i offline' {
        $decision = Test-RbacAccess -Path (Join-Path $examples 'insecure-repo') -Subject payments-prod/default -Verb get -Resource secrets -Namespace payments-prod
        $decision.Allowed | Should -BeTrue
    }
}

Describe 'Find-GitOpsSecret' {
    It 'finds the database password in the insecure example, redacted' {
        $found = Find-GitOpsSecret -Path (Join-Path $examples 'insecure-repo')
        $db = $found | Where-Object RuleId -eq 'GOS2144'
        $db.Path | Should -Be 'config/app-config.json'
        $db.Secret | Should -BeNullOrEmpty
        $db.Redacted | Should -Match '^\w{4}\*{8}$'   # at most 4 characters and a fixed mask
    }

    It 'finds nothing in the hardened example' {
        Find-GitOpsSecret -Path (Join-Path $examples 'hardened-repo') | Should -BeNullOrEmpty
    }
}

Describe 'Test-CommitMessage' {
    It 'demands a ticket reference' {
        (Test-CommitMessage -Message 'OPS-7: rotate keys').Passed | Should -BeTrue
        (Test-CommitMessage -Message 'rotate keys').Passed | Should -BeFalse
    }
}

Describe 'Test-CommitSignature' {
    It 'reports the signature status of every commit with its git letter' {
        $results = Test-CommitSignature -Path $root -MaxCount 5
        $results.Count | Should -Be 5
        $results | ForEach-Object { $_.GitLetter | Should -BeIn @('G', 'B', 'U', 'X', 'Y', 'R', 'E', 'N') }
    }
}

Describe 'Get-GitOpsChangeLog' {
    It 'lists object changes with flat properties' {
        $log = Get-GitOpsChangeLog -Path $root -MaxCount 50 -Kind Deployment
        $log | ForEach-Object { $_.Kind | Should -Be 'Deployment'; $_.Change | Should -BeIn @('Added', 'Modified', 'Removed') }
    }
}

Describe 'Get-GitOpsImage and Export-GitOpsSbom' {
    It 'lists pinned images of the hardened example and writes a CycloneDX SBOM' {
        $images = Get-GitOpsImage -Path (Join-Path $examples 'hardened-repo')
        $images | ForEach-Object { $_.Pinned | Should -BeTrue }
        $bom = $images | Export-GitOpsSbom | ConvertFrom-Json
        $bom.specVersion | Should -Be '1.5'
        $bom.components.Count | Should -Be $images.Count
    }
}

Describe 'Test-AdmissionPolicy' {
    BeforeAll { $admission = Join-Path $examples 'admission-policies' }

    It 'evaluates CEL admission policies with params and namespace selectors, and composes with Group-Object' {
        $results = Test-AdmissionPolicy -Path $admission
        ($results | Where-Object Denied | ForEach-Object Resource | Sort-Object) -join ',' |
            Should -Be 'Deployment/shop/checkout,Deployment/shop/legacy-batch (its pods),Deployment/shop/orders'
        ($results | Group-Object { $_.Actions -join '+' } | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Count)" }) -join ',' | Should -Be 'Deny=3,Warn=1'
        $results[0].PSObject.TypeNames[0] | Should -Be 'GitOpsSec.Admission.AdmissionPolicyResult'
    }

    It 'reports the verdicts in Test-GitOpsRepo as GOS1301 and GOS1302' {
        $findings = Test-GitOpsRepo -Path $admission -NoSecretScan -Rule 'validating-admission-policy-*'
        ($findings | Group-Object RuleId | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Count)" }) -join ',' | Should -Be 'GOS1301=3,GOS1302=1'
        ($findings | Where-Object { $_.Severity -eq 'Critical' }).Count | Should -Be 2
    }

    It 'turns a policy that does not compile into an ErrorRecord and keeps going' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("gos-adm-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $dir | Out-Null
        try {
            Set-Content -Path (Join-Path $dir 'p.yaml') -Value @"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  validations:
    - expression: "object.data.x ==== 1"
"@
            $out = Test-AdmissionPolicy -Path $admission -Policy (Join-Path $dir 'p.yaml') -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.FullyQualifiedErrorId | Should -Contain 'GitOpsSec.Admission.CompileError,GitOpsSec.Commands.Admission.TestAdmissionPolicyCommand'
            ($out | Where-Object Denied).Count | Should -Be 3
        }
        finally { Remove-Item -Recurse -Force $dir }
    }
}

Describe 'Fleet scan runbook' {
    It 'scans 20 repositories in parallel, one SARIF each, and merges the numbers' {
        $base = Join-Path ([IO.Path]::GetTempPath()) ("gos-fleet-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $reports = Join-Path $base 'reports'
        try {
            # Repository i has (i % 4) privileged Pods: GOS1003 (Critical) once each, a truth the generator sets.
            $repos = foreach ($i in 1..20) {
                $dir = Join-Path $base ("repo-{0:d2}" -f $i)
                New-Item -ItemType Directory -Force -Path $dir | Out-Null
                $docs = foreach ($k in @(1..3 | Where-Object { $_ -le ($i % 4) })) {
                    "apiVersion: v1`nkind: Pod`nmetadata:`n  name: p$k`n  namespace: team$i`nspec:`n  containers:`n    - name: c`n      image: registry.example.com/app:1`n      securityContext:`n        privileged: true`n"
                }
                Set-Content -Path (Join-Path $dir 'pods.yaml') -Value ((@($docs) + "apiVersion: v1`nkind: ConfigMap`nmetadata:`n  name: c`n") -join "---`n")
                if ($i -eq 7) { Set-Content -Path (Join-Path $dir 'broken.yaml') -Value "kind: [unclosed" }
                $dir
            }
            $records = & (Join-Path $root 'examples/runbooks/fleet-scan.ps1') -Repository $repos -ReportDirectory $reports -ThrottleLimit 4 -Rule GOS1003 -NoSecretScan
            $records.Count | Should -Be 20
            foreach ($r in $records) {
                $i = [int]($r.Name -replace 'repo-', '')
                $r.Critical | Should -Be ($i % 4)
                $r.Findings | Should -Be ($i % 4)
                $sarif = Get-Content $r.Sarif -Raw | ConvertFrom-Json
                @($sarif.runs[0].results).Count | Should -Be ($i % 4)
            }
            ($records | Where-Object Name -eq 'repo-07').Errors | Should -BeGreaterThan 0
            $summary = Get-Content (Join-Path $reports 'summary.json') -Raw | ConvertFrom-Json
            $summary.repositories | Should -Be 20
            $summary.totals.Critical | Should -Be ((1..20 | ForEach-Object { $_ % 4 } | Measure-Object -Sum).Sum)
            # The worst offenders: the repositories with 3 privileged Pods, by name.
            ($summary.worstOffenders | Select-Object -First 5) -join ',' | Should -Be 'repo-03,repo-07,repo-11,repo-15,repo-19'
            (Get-Content (Join-Path $reports 'summary.md') -Raw) | Should -Match '\| \*\*all\*\* \| 30 \|'
        }
        finally { Remove-Item -Recurse -Force $base -ErrorAction SilentlyContinue }
    }
}

Describe 'Signed images' {
    BeforeAll { $signed = Join-Path $examples 'signed-images' }

    It 'says for each image whether admission verifies its signature, and with which policy' {
        $images = Get-GitOpsImage -Path $signed
        $byImage = @{}; $images | ForEach-Object { $byImage[$_.Image] = $_ }
        $byImage['ghcr.io/acme/web:1.4.2'].Enforced | Should -BeTrue
        "$($byImage['ghcr.io/acme/web:1.4.2'].SignatureTrust)" | Should -Be 'Constrained'
        $byImage['ghcr.io/acme/web:1.4.2'].SignaturePolicy | Should -Be 'ClusterPolicy/verify-acme-images/acme-release-workflow'
        "$($byImage['redis:7.2'].SignatureTrust)" | Should -Be 'NotVerified'
        "$($byImage['docker.io/bitnami/nginx:1.27'].SignatureTrust)" | Should -Be 'Unconstrained'
        "$($byImage['ghcr.io/acme/envoy:1.31'].SignatureTrust)" | Should -Be 'Rejected'
        $images[0].Signatures[0].PSObject.TypeNames[0] | Should -Be 'GitOpsSec.Rules.Images.ImageSignatureUse'
    }

    It 'filters the images that can run without a named signer, and composes with Where-Object' {
        $unverified = Get-GitOpsImage -Path $signed -Unverified
        ($unverified.Image | Sort-Object) -join ',' | Should -Be 'docker.io/bitnami/nginx:1.27,ghcr.io/acme/experiment:0.1,quay.io/acme/metrics:2.1,redis:7.2,registry.example.com/batch/report:3'
        $why = (Get-GitOpsImage -Path $signed).Signatures | Where-Object Namespace -eq 'batch' | ForEach-Object { $_.Why() }
        $why | Should -Match 'namespace batch has not opted in'
    }

    It 'reports the signature rules in Test-GitOpsRepo by name' {
        $findings = Test-GitOpsRepo -Path $signed -NoSecretScan -Rule 'image-signature-*'
        ($findings | Group-Object RuleName | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Count)" }) -join ',' |
            Should -Be 'image-signature-identity-unconstrained=1,image-signature-not-verified=3,image-signature-policy-audit-only=1'
        ($findings | Where-Object RuleId -eq 'GOS6007').Message | Should -Match "subject '\*'"
    }
}

Describe 'Test-KyvernoPolicy' {
    It 'fails the latest tag and passes a pinned tag' {
        $dir = Join-Path $root 'tests/data/kyverno/disallow-latest-tag'
        $results = Test-KyvernoPolicy -Path (Join-Path $dir 'resources.yaml') -Policy (Join-Path $dir 'policy.yaml')
        ($results | Where-Object { $_.Result -eq 'Fail' }).Name | Should -Contain 'latest'
    }
}

Describe 'Kyverno policies through Test-GitOpsManifest' {
    It 'reports the example privileged-container policy on the Deployment through its autogen rule' {
        $findings = Test-GitOpsManifest -Path (Join-Path $examples 'insecure-repo') -Policy (Join-Path $examples 'policies')
        $findings.RuleId | Should -Contain 'kyverno/disallow-privileged-containers/autogen-privileged-containers'
    }

    It 'evaluates deny conditions and reports what it cannot decide offline as Error' {
        $dir = Join-Path $root 'tests/data/kyverno/unsupported-features'
        $results = Test-KyvernoPolicy -Path (Join-Path $dir 'resources.yaml') -Policy (Join-Path $dir 'policy.yaml')
        ($results | Where-Object Rule -eq 'api-call').Result | Should -Be 'Error'
        $results.Result | Should -Not -Contain 'Pass'
    }
}

Describe 'Hostile input' {
    It 'never reads through a symbolic link that leaves the scanned folder' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("gos-pester-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path (Join-Path $dir 'repo') -Force | Out-Null
        Set-Content -Path (Join-Path $dir 'outside.yaml') -Value "apiVersion: v1`nkind: ConfigMap`nmetadata: {name: outside}"
        New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'repo/link.yaml') -Target (Join-Path $dir 'outside.yaml') | Out-Null
        $objects = Get-GitOpsManifest -Path (Join-Path $dir 'repo') -ErrorVariable errs -ErrorAction SilentlyContinue
        $objects | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'GitOpsSec.Manifest.OutsideRoot*'
        Remove-Item -Recurse -Force $dir
    }
}

Describe 'Get-GitOpsApplication and the application context' {
    BeforeAll {
        # A Flux repository of our own: the bootstrap folder, one tenant with a service account and a target namespace,
        # and a file nothing deploys. A real git repository with a remote, as a user's clone has.
        $repo = Join-Path $TestDrive 'fleet'
        New-Item -ItemType Directory -Path $repo | Out-Null
        git -C $repo init -q -b main
        git -C $repo remote add origin https://github.com/example/fleet.git
        function Write-File([string] $Path, [string] $Text) {
            $full = Join-Path $repo $Path
            New-Item -ItemType Directory -Force -Path (Split-Path $full) | Out-Null
            Set-Content -Path $full -Value $Text
        }
        Write-File 'clusters/prod/flux-system/gotk-components.yaml' '# written by flux bootstrap'
        Write-File 'clusters/prod/shop.yaml' @"
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: shop, namespace: flux-system}
spec:
  path: ./apps/shop
  prune: true
  targetNamespace: shop
  serviceAccountName: shop-reconciler
  sourceRef: {kind: GitRepository, name: flux-system}
"@
        Write-File 'apps/shop/config.yaml' @"
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-config}
data:
  DATABASE_URL: postgres://shop:Xk9fQ2mVw7LpZr4T@db.internal:5432/shop
"@
        Write-File 'apps/shop/web.yaml' @"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example.com/web:1.0}]
"@
        Write-File 'old/unused.yaml' "apiVersion: v1`nkind: ConfigMap`nmetadata: {name: unused}"
    }

    It 'lists the units with their service account, target namespace and objects' {
        $units = Get-GitOpsApplication $repo
        $shop = $units | Where-Object Name -eq 'shop'
        $shop.Id | Should -Be 'Kustomization/flux-system/shop'
        $shop.ServiceAccount | Should -Be 'shop-reconciler'
        $shop.TargetNamespace | Should -Be 'shop'
        $shop.Status | Should -Be 'Resolved'
        $shop.ObjectCount | Should -Be 2
        $shop.Parents | Should -Be @('Kustomization/flux-system/flux-system')
        ($units | Where-Object Name -eq 'flux-system').Notes | Should -Match 'flux bootstrap'
        $none = Get-GitOpsApplication $repo -IncludeUnassigned | Where-Object Kind -eq 'None'
        $none.Files | Should -Contain 'old/unused.yaml'
    }

    It 'gives objects and findings their unit and the namespace they land in' {
        $web = Get-GitOpsManifest $repo -Application shop | Where-Object Kind -eq 'Deployment'
        $web.Namespace | Should -Be 'shop'
        $web.NamespaceOrigin | Should -Be 'TargetNamespace'
        $findings = Test-GitOpsRepo $repo
        $secret = $findings | Where-Object RuleName -eq 'database-url-password'
        $secret.Application | Should -Be 'Kustomization/flux-system/shop'
        ($findings | Where-Object { $_.Resource.Name -eq 'web' }).Application | Sort-Object -Unique | Should -Be 'Kustomization/flux-system/shop'
        (Test-GitOpsRepo $repo -Application '(none)').Application | Should -BeNullOrEmpty
    }

    It 'keeps the secrets of one unit with Find-GitOpsSecret -Application' {
        $secret = Find-GitOpsSecret $repo -Application shop
        $secret.RuleName | Should -Be 'database-url-password'
        $secret.Applications | Should -Be @('Kustomization/flux-system/shop')
        Find-GitOpsSecret $repo -Application '(none)' | Should -BeNullOrEmpty
        $secret.Redacted | Should -Not -Match 'Xk9fQ2mVw7LpZr4T'
    }

    It 'groups the summary and the Markdown report by application' {
        $summary = Test-GitOpsRepo $repo -Summary
        ($summary.ByApplication | Where-Object Application -eq 'Kustomization/flux-system/shop').High | Should -BeGreaterThan 0
        $markdown = Test-GitOpsRepo $repo | Export-GitOpsReport -Format Markdown
        $markdown | Should -Match '### By application'
        # Markdown escapes what a repository named (the unit's id) so it stays text.
        $markdown | Should -Match ([regex]::Escape('#### Kustomization/flux\-system/shop'))
    }

    It 'reports an -Application that names no unit instead of passing silently' {
        Get-GitOpsManifest $repo -Application no-such-app -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GitOpsSec.Application.NotFound*'
    }
}

Describe 'Get-RbacExposure attack paths' {
    It 'names a two-part path with both rules and the cloud identity of a ServiceAccount' {
        $dir = Join-Path $TestDrive 'rbac'
        New-Item -ItemType Directory -Path $dir | Out-Null
        Copy-Item (Join-Path $root 'tests/data/rbac-paths/StealPods/grant.yaml') (Join-Path $dir 'steal.yaml')
        Copy-Item (Join-Path $root 'tests/data/rbac-paths/CloudIdentity/grant.yaml') (Join-Path $dir 'sa.yaml')
        $steal = Get-RbacExposure $dir -Capability StealPods
        $steal.Subject.Name | Should -Be 'mallory'
        $steal.Path.Count | Should -Be 2
        $steal.Path[1] | Should -Match 'nodes'
        (Get-RbacExposure $dir -Capability CloudIdentity | Where-Object { $_.Subject.Name -eq 'uploader' }).LimitedTo | Should -Be 'arn:aws:iam::111122223333:role/s3-uploader'
        Get-RbacExposure $dir -Capability NoSuchPath -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GitOpsSec.Filter.UnknownValue*'
    }
}
