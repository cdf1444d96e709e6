using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>The cmdlets in parallel runspaces (ForEach-Object -Parallel, as runbook workers use them): same answers as one by one.</summary>
public class ParallelTests
{
    [Fact]
    public void ForEach_Object_Parallel_gives_the_sequential_results()
    {
        using var session = new PowerShellSession();
        var sequential = session.Run(
            "'insecure-repo','hardened-repo','insecure-repo','hardened-repo' | ForEach-Object { $p = './examples/' + $_; \"$_ $(@(Test-GitOpsManifest $p).Count) $(@(Find-GitOpsSecret $p).Count) $(@(Get-RbacExposure $p).Count) $(@(Test-GitOpsManifest $p -Rule GOS1001 -Policy ./examples/policies).Count) $(@(Get-GitOpsImage $p).Count)\" }");
        var parallel = session.Run(
            "'insecure-repo','hardened-repo','insecure-repo','hardened-repo' | ForEach-Object -ThrottleLimit 4 -Parallel { Import-Module $using:module -ErrorAction Stop; $p = './examples/' + $_; \"$_ $(@(Test-GitOpsManifest $p).Count) $(@(Find-GitOpsSecret $p).Count) $(@(Get-RbacExposure $p).Count) $(@(Test-GitOpsManifest $p -Rule GOS1001 -Policy ./examples/policies).Count) $(@(Get-GitOpsImage $p).Count)\" }"
                .Replace("$using:module", "'" + TestPaths.Module + "'", StringComparison.Ordinal));
        parallel.AssertNoErrors();
        Assert.Equal(4, sequential.Output.Count);
        Assert.Equal(sequential.Output.Select(o => o.BaseObject.ToString()).Order(), parallel.Output.Select(o => o.BaseObject.ToString()).Order());
        Assert.Contains(sequential.Output, o => o.BaseObject.ToString()!.StartsWith("insecure-repo ", StringComparison.Ordinal) && !o.BaseObject.ToString()!.Contains(" 0 ", StringComparison.Ordinal));
    }
}
