@{
    RootModule           = 'GitOpsSec.dll'
    ModuleVersion        = '0.0.0-version-from-build'
    GUID                 = '5b0f3f1e-7c1a-4f0e-9a55-2f6d3c1a9e41'
    Author               = 'GitOpsSec contributors'
    CompanyName          = 'GitOpsSec'
    Copyright            = '(c) GitOpsSec contributors. MIT License.'
    Description          = 'Audits and hardens GitOps repositories for Kubernetes: manifests, Pod Security Standards, secrets, RBAC, signed commits, Sealed Secrets.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('GitOpsSec.format.ps1xml')
    TypesToProcess       = @('GitOpsSec.types.ps1xml')
    CmdletsToExport      = @(
        'Compare-GitOpsDrift'
        'ConvertTo-SealedSecret'
        'Export-GitOpsAuditLog'
        'Export-GitOpsBaseline'
        'Export-GitOpsReport'
        'Export-GitOpsSbom'
        'Find-GitOpsSecret'
        'Get-GitOpsApplication'
        'Get-GitOpsChangeLog'
        'Get-GitOpsConfig'
        'Get-GitOpsImage'
        'Get-GitOpsManifest'
        'Get-GitOpsRule'
        'Get-GitOpsSecretReference'
        'Get-NetworkPolicyCoverage'
        'Get-RbacExposure'
        'Get-SealedSecretCertificate'
        'Import-GitOpsVulnerabilityReport'
        'Install-GitOpsHook'
        'New-SealedSecretManifest'
        'Protect-SealedSecretValue'
        'Test-AdmissionPolicy'
        'Test-CommitMessage'
        'Test-CommitSignature'
        'Test-GitOpsManifest'
        'Test-GitOpsRepo'
        'Test-KyvernoPolicy'
        'Test-RbacAccess'
        'Unprotect-SealedSecret'
        'Update-SealedSecret'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @('Export-GitOpsImageInventory')
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('GitOps', 'Kubernetes', 'Security', 'PodSecurityStandards', 'SealedSecrets', 'RBAC', 'Secrets', 'ArgoCD', 'Flux', 'Linux', 'Windows', 'MacOS', 'PSEdition_Core')
            ProjectUri   = 'https://example.invalid/gitopssec'
            LicenseUri   = 'https://example.invalid/gitopssec/blob/main/LICENSE'
            ReleaseNotes = 'Secret detection for 219 providers with references, ciphertext and public keys left out; -EnableExit for CI; full help for every parameter; tab completion of categories, kinds, namespaces, capabilities, verbs and kubeconfig contexts.'
        }
    }
}
