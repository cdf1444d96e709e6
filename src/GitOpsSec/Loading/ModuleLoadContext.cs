using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace GitOpsSec.Commands.Loading;

/// <summary>
/// The module's own AssemblyLoadContext: GitOpsSec.Engine and every third-party dependency
/// (YamlDotNet, LibGit2Sharp, ...) load here from the dependencies/ folder, so another module in the
/// same session with a different version of those assemblies does not break this one (or the other).
/// It also resolves libgit2 from runtimes/&lt;rid&gt;/native, which a PowerShell host does not probe.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    private readonly string _dependencyDir;

    internal ModuleLoadContext(string dependencyDir) : base("GitOpsSec", isCollectible: false)
    {
        _dependencyDir = dependencyDir;
    }

    internal string DependencyDirectory => _dependencyDir;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Only what we ship in dependencies/ loads here; framework assemblies come from the default context.
        string candidate = Path.Combine(_dependencyDir, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (string path in NativeLibraryCandidates(_dependencyDir, unmanagedDllName))
        {
            if (File.Exists(path))
            {
                return LoadUnmanagedDllFromPath(path);
            }
        }
        return IntPtr.Zero;
    }

    /// <summary>Paths to try for a native library, most specific runtime identifier first.</summary>
    internal static IEnumerable<string> NativeLibraryCandidates(string root, string name)
    {
        string file = NativeFileName(name);
        foreach (string rid in RuntimeIdentifiers())
        {
            yield return Path.Combine(root, "runtimes", rid, "native", file);
        }
        yield return Path.Combine(root, file);
    }

    private static string NativeFileName(string name)
    {
        if (OperatingSystem.IsWindows())
        {
            return name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? name : name + ".dll";
        }
        string ext = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
        string file = name.StartsWith("lib", StringComparison.Ordinal) ? name : "lib" + name;
        return file.EndsWith(ext, StringComparison.Ordinal) ? file : file + ext;
    }

    /// <summary>The runtime identifiers that match this process, e.g. linux-musl-x64 then linux-x64.</summary>
    internal static IEnumerable<string> RuntimeIdentifiers()
    {
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            Architecture.Ppc64le => "ppc64le",
            var other => other.ToString().ToLowerInvariant(),
        };
        if (OperatingSystem.IsWindows())
        {
            yield return "win-" + arch;
        }
        else if (OperatingSystem.IsMacOS())
        {
            yield return "osx-" + arch;
        }
        else
        {
            if (IsMusl())
            {
                yield return "linux-musl-" + arch;
            }
            yield return "linux-" + arch;
        }
    }

    private static bool IsMusl()
    {
        try
        {
            return Directory.Exists("/lib") && Directory.EnumerateFiles("/lib", "ld-musl-*").Any();
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
