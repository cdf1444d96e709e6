using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace GitOpsSec.Commands.Loading;

/// <summary>
/// Hooks the default AssemblyLoadContext so that a request for GitOpsSec.Engine (made when a cmdlet
/// first touches an engine type) is answered from the module's own context. Only that one name is
/// answered; everything else the engine needs is resolved inside <see cref="ModuleLoadContext"/>.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private const string EngineAssemblyName = "GitOpsSec.Engine";
    private static readonly object Gate = new();
    private static ModuleLoadContext? _context;

    /// <summary>Called by PowerShell when the module is imported.</summary>
    public void OnImport() => Register();

    /// <summary>Runs when GitOpsSec.dll is first used, whoever loads it (a host that skips OnImport too).</summary>
#pragma warning disable CA2255 // Intended: a library that must hook assembly resolution before first use.
    [ModuleInitializer]
    internal static void InitializeOnLoad() => Register();
#pragma warning restore CA2255

    internal static ModuleLoadContext Context
    {
        get
        {
            Register();
            return _context!;
        }
    }

    internal static void Register()
    {
        lock (Gate)
        {
            if (_context is not null)
            {
                return;
            }
            string moduleDir = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
            _context = new ModuleLoadContext(Path.Combine(moduleDir, "dependencies"));
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
        }
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        if (!string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal))
        {
            return null;
        }
        return _context!.LoadFromAssemblyName(name);
    }
}
