using System.Management.Automation;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;

namespace GitOpsSec.Commands.Git;

/// <summary>
/// Test-CommitSignature: verifies the OpenPGP, SSH and X.509 signatures of commits (and signed tags,
/// and tags recorded in merges) in-process, against the trusted keys given; one result per commit
/// with the status git's %G? would show. Fail closed: anything not proven is not Good.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CommitSignature")]
[OutputType(typeof(CommitSignatureResult))]
public sealed class TestCommitSignatureCommand : HistoryCmdlet
{
    /// <summary>Also verify every annotated tag of the repository.</summary>
    [Parameter]
    public SwitchParameter IncludeTags { get; set; }

    /// <summary>Fail when any commit or tag is not Good: after every result, the non-terminating error GitOpsSec.Policy.Failed ($? is false); with -EnableExit the process exits with 3.</summary>
    [Parameter]
    public SwitchParameter FailOnViolation { get; set; }

    /// <summary>For CI: after writing every result, make the hosting process exit with 3 when -FailOnViolation failed, 1 when errors were written, else 0.</summary>
    [Parameter]
    public SwitchParameter EnableExit { get; set; }

    protected override void EndProcessing()
    {
        GitOpsSec.Git.SignatureTrust trust;
        try
        {
            trust = BuildTrust();
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowTerminatingError(ToErrorRecord(e.ToScanError()));
            return;
        }
        int total = 0, notGood = 0;
        RunCancellable(() =>
        {
            foreach (CommitSignatureResult r in CommitSignatures.Verify(RepositoryPath, Range, Revision, SinceOffset, MaxCount, trust, IncludeTags, ScanHost))
            {
                total++;
                if (r.Status != GitOpsSec.Git.Signatures.SignatureStatus.Good)
                {
                    notGood++;
                }
                WriteObject(r);
            }
        });
        CompletePolicy(FailOnViolation && notGood > 0, () => $"{notGood} of {total} commit(s)/tag(s) are not signed by a trusted key.", notGood, EnableExit);
    }
}
