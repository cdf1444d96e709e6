using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Xunit;
namespace GitOpsSec.Module.Tests;
public class Smoke
{
    [Fact]
    public void Loads()
    {
        var y = typeof(YamlDotNet.Core.Parser).Assembly.GetName().Version;
        using var ps = PowerShell.Create(InitialSessionState.CreateDefault2());
        ps.AddScript("Import-Module /work/main/out/GitOpsSec; Test-GitOpsProbe -Repo /tmp/probe");
        var r = ps.Invoke();
        foreach (var e in ps.Streams.Error) Console.WriteLine("ERR " + e + " " + e.Exception);
        foreach (var o in r) Console.WriteLine("OUT " + o);
        Console.WriteLine("host yaml " + y);
        Assert.Empty(ps.Streams.Error);
    }
}
