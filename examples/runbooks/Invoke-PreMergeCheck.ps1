#Requires -Version 7.4
#Requires -Modules GitOpsSec
<#
.SYNOPSIS
    Pre-merge CI check: fails the pull request on High or Critical findings the baseline does not
    accept, and leaves a Markdown summary for the PR comment.

.EXAMPLE
    ./Invoke-PreMergeCheck.ps1 -RepoPath $env:GITHUB_WORKSPACE -CommentPath ./pr-comment.md
#>
[CmdletBinding()]
param(
    [string] $RepoPath = '.',
    [string] $CommentPath = './gitopssec-comment.md',
    [string] $BaselinePath = (Join-Path $RepoPath '.gitopssec-baseline.json')
)

$ErrorActionPreference = 'Stop'
Import-Module GitOpsSec

$scan = @{ Path = $RepoPath }
if (Test-Path $BaselinePath) { $scan.Baseline = $BaselinePath }
$findings = Test-GitOpsRepo @scan
$findings | Export-GitOpsReport Markdown $CommentPath | Out-Null

# The policy: this throws GitOpsSec.Policy.Failed, which fails the job.
Test-GitOpsRepo @scan -FailOn High -Summary
