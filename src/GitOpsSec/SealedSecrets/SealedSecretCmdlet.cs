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

/// <summary>Shared by the Sealed Secrets cmdlets: the certificate parameters, inputs and value conversion.</summary>
public abstract class SealedSecretCmdlet : GitOpsCmdlet
{
    private object? _certificate;

    /// <summary>Reports an engine failure for one input as a non-terminating error.</summary>
    internal void WriteOperationError(GitOpsSecOperationException e) => WriteError(ToErrorRecord(e.ToScanError()));

    /// <summary>Stops the command: used only when nothing can go on (no usable certificate or key).</summary>
    internal void ThrowOperationError(GitOpsSecOperationException e) => ThrowTerminatingError(ToErrorRecord(e.ToScanError()));

    /// <summary>The certificate from -Certificate, -CertificatePath or -CertificateUri; terminating when none is usable.</summary>
    internal SealedSecretCertificate ResolveCertificate(object? certificate, string? path, Uri? uri)
    {
        if (_certificate is SealedSecretCertificate cached)
        {
            return cached;
        }
        int given = (certificate is null ? 0 : 1) + (path is null ? 0 : 1) + (uri is null ? 0 : 1);
        if (given != 1)
        {
            ThrowOperationError(new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.InvalidArgument,
                "Give the controller's certificate once: -Certificate (from Get-SealedSecretCertificate), -CertificatePath or -CertificateUri."));
        }
        try
        {
            SealedSecretCertificate result = certificate switch
            {
                SealedSecretCertificate c => c,
                PSObject { BaseObject: SealedSecretCertificate c } => c,
                not null => throw new GitOpsSecOperationException(ErrorIds.CertificateInvalid, ScanErrorCategory.InvalidArgument,
                    "-Certificate takes the object Get-SealedSecretCertificate returns."),
                null when path is not null => SealedSecretCertificate.FromFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path)),
                _ => SealedSecretCertificate.FromUriAsync(uri!, TimeSpan.FromSeconds(30), ScanHost.Cancellation).GetAwaiter().GetResult(),
            };
            if (result.IsExpired)
            {
                WriteWarning($"The sealing certificate {result.Subject} expired on {result.NotAfter:yyyy-MM-dd}; the controller may have rotated its key.");
            }
            _certificate = result;
            return result;
        }
        catch (GitOpsSecOperationException e)
        {
            ThrowOperationError(e);
            throw; // not reached: ThrowTerminatingError throws
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
