using System.Collections;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using GitOpsSec.Commands.Common;
using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.SealedSecrets;

namespace GitOpsSec.Commands.SealedSecrets;

/// <summary>Shared by the Sealed Secrets cmdlets: error reporting, key rings, inputs and value conversion.</summary>
public abstract class SealedSecretCmdlet : GitOpsCmdlet
{
    private object? _keys;

    /// <summary>Reports an engine failure for one input as a non-terminating error.</summary>
    internal void WriteOperationError(GitOpsSecOperationException e) => WriteError(ToErrorRecord(e.ToScanError()));

    /// <summary>Stops the command: used only when nothing can go on (no usable certificate or key).</summary>
    internal void ThrowOperationError(GitOpsSecOperationException e) => ThrowTerminatingError(ToErrorRecord(e.ToScanError()));

    /// <summary>The file's text, or null after reporting ReadFailed for it.</summary>
    internal string? ReadTextOrReport(string file)
    {
        try
        {
            return GitOpsSec.Diagnostics.SafeFile.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteOperationError(new GitOpsSecOperationException(ErrorIds.ReadFailed, ScanErrorCategory.ReadError, e.Message, file, e));
            return null;
        }
    }

    /// <summary>Loads every key file; a bad file is an error, and no usable key at all stops the command.</summary>
    internal SealedSecretKeyRing Keys(string[]? privateKeyPaths)
    {
        if (_keys is SealedSecretKeyRing cached)
        {
            return cached;
        }
        var ring = new SealedSecretKeyRing();
        foreach (string path in privateKeyPaths ?? Array.Empty<string>())
        {
            try
            {
                ring.AddFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
            }
            catch (GitOpsSecOperationException e)
            {
                WriteOperationError(e);
            }
        }
        if (ring.Count == 0)
        {
            ThrowOperationError(new GitOpsSecOperationException(ErrorIds.PrivateKeyInvalid, ScanErrorCategory.InvalidArgument,
                "None of the -PrivateKeyPath files holds a usable RSA private key."));
        }
        WriteVerbose($"{ring.Count} private key(s) loaded from {string.Join(", ", ring.Sources.Distinct())}");
        _keys = ring;
        return ring;
    }

    /// <summary>The SealedSecret of an input document; NotASealedSecret reported otherwise.</summary>
    internal SealedSecret? SealedSecretOf(InputDocument doc)
    {
        if (doc.Model is not null)
        {
            return doc.Model;
        }
        try
        {
            return SealedSecret.FromNode(doc.Node!, doc.Target);
        }
        catch (GitOpsSecOperationException e)
        {
            WriteOperationError(e);
            return null;
        }
    }

    internal static SealingScope? ParseScope(string? scope) =>
        scope is null ? null : Enum.Parse<SealingScope>(scope, ignoreCase: true);

    /// <summary>Bytes of a value given as string (UTF-8), byte[] or SecureString.</summary>
    internal static byte[] ValueBytes(object? value, string key)
    {
        value = value is PSObject pso ? pso.BaseObject : value;
        switch (value)
        {
            case byte[] bytes:
                return bytes;
            case string s:
                return Encoding.UTF8.GetBytes(s);
            case SecureString secure:
                IntPtr ptr = Marshal.SecureStringToGlobalAllocUnicode(secure);
                try
                {
                    return Encoding.UTF8.GetBytes(Marshal.PtrToStringUni(ptr) ?? string.Empty);
                }
                finally
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(ptr);
                }
            case object[] array when array.All(o => o is byte or PSObject { BaseObject: byte }):
                return array.Select(o => o is PSObject p ? (byte)p.BaseObject : (byte)o).ToArray();
            default:
                throw new GitOpsSecOperationException(ErrorIds.InvalidSecretData, ScanErrorCategory.InvalidArgument,
                    $"The value for '{key}' is a {value?.GetType().Name ?? "null"}; give a string, a byte array or a SecureString.", key);
        }
    }

    /// <summary>Hashtable entries as ordered string-keyed values.</summary>
    internal static SortedDictionary<string, string> Strings(Hashtable? table)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in table ?? new Hashtable())
        {
            result[e.Key.ToString()!] = e.Value?.ToString() ?? string.Empty;
        }
        return result;
    }

    /// <summary>
    /// Manifest documents from pipeline input: Get-GitOpsManifest objects, YAML text, FileInfo,
    /// or SealedSecret objects (returned as-is in <c>Model</c>).
    /// </summary>
    internal IEnumerable<InputDocument> Documents(object? input)
    {
        object? value = input is PSObject pso ? pso.BaseObject : input;
        switch (value)
        {
            case ManifestObject obj:
                yield return new InputDocument(obj.Node, $"{obj.Path}:{obj.Line}", obj.FullPath, obj.DocumentIndex, null);
                break;
            case SealedSecret model:
                yield return new InputDocument(null, model.ToString(), null, 0, model);
                break;
            case FileSystemInfo file:
                foreach (InputDocument d in FromPath(file.FullName))
                {
                    yield return d;
                }
                break;
            case string text:
                var errors = new List<ScanError>();
                foreach (YamlDocument doc in YamlDocumentReader.Read(text, "input", LoadLimits.Default, errors.Add))
                {
                    if (doc.Root is YMapping map)
                    {
                        yield return new InputDocument(map, $"input:{map.Line}", null, doc.Index, null);
                    }
                }
                foreach (ScanError e in errors)
                {
                    WriteError(ToErrorRecord(e));
                }
                break;
            default:
                WriteError(ToErrorRecord(new ScanError(ErrorIds.NotASealedSecret, ScanErrorCategory.InvalidArgument,
                    $"Input of type {value?.GetType().Name ?? "null"} is not a manifest: pipe Get-GitOpsManifest output, YAML text or files.", value?.ToString())));
                break;
        }
    }

    /// <summary>Every object of the files under a path, read as written (no kustomize rendering).</summary>
    internal IEnumerable<InputDocument> FromPath(string path)
    {
        using IManifestTree? tree = ManifestSource.Open(path, null, ScanHost);
        if (tree is null)
        {
            yield break;
        }
        foreach (ManifestObject obj in new ManifestLoader(new ManifestLoadOptions { RenderKustomize = false }, ScanHost).Load(tree))
        {
            yield return new InputDocument(obj.Node, $"{obj.Path}:{obj.Line}", obj.FullPath, obj.DocumentIndex, null);
        }
    }

    /// <summary>Resolved file system paths of -Path.</summary>
    internal IEnumerable<string> ResolvePaths(string[]? paths) => PathResolver.Resolve(this, ScanHost, paths, literal: false);
}

/// <summary>One manifest document of the input, with the file it came from when there is one.</summary>
internal sealed record InputDocument(YMapping? Node, string Target, string? FullPath, int DocumentIndex, SealedSecret? Model);
