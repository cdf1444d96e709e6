using GitOpsSec.Diagnostics;

namespace GitOpsSec.Manifests;

/// <summary>
/// Replaces chosen documents of a multi-document YAML file and keeps every other byte (other
/// documents, comments, separators) as it was.
/// </summary>
public static class DocumentRewriter
{
    /// <summary>
    /// The new text, or null when no document was replaced. <paramref name="replace"/> returns the
    /// new content for a document or null to keep it.
    /// </summary>
    public static string? Rewrite(string text, string target, Func<YamlDocument, string?> replace, Action<ScanError> error)
    {
        var edits = new List<(int Start, int End, string Text)>();
        foreach (YamlDocument doc in YamlDocumentReader.Read(text, target, LoadLimits.Default, error))
        {
            string? replacement = replace(doc);
            if (replacement is not null)
            {
                edits.Add((doc.StartOffset, Math.Max(doc.StartOffset, doc.EndOffset), replacement));
            }
        }
        if (edits.Count == 0)
        {
            return null;
        }
        var result = new System.Text.StringBuilder(text);
        foreach (var (start, end, replacement) in edits.OrderByDescending(e => e.Start))
        {
            string content = replacement.TrimEnd('\n') + "\n";
            result.Remove(start, end - start).Insert(start, content);
        }
        return result.ToString();
    }
}

/// <summary>Writes a file so that readers see the old or the new content, never half of it.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/>. As PowerShell's file cmdlets do:
    /// <paramref name="noClobber"/> refuses to replace an existing file (GitOpsSec.File.Exists), and a read-only one
    /// is replaced only with <paramref name="force"/> (GitOpsSec.File.ReadOnly).
    /// </summary>
    public static void WriteAllText(string path, string content, bool noClobber = false, bool force = true)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            if (noClobber)
            {
                throw new GitOpsSecOperationException("GitOpsSec.File.Exists", ScanErrorCategory.InvalidOperation,
                    $"'{path}' already exists and -NoClobber was given; it was left as it was.", path);
            }
            bool readOnly = OperatingSystem.IsWindows()
                ? File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly)
                : (File.GetUnixFileMode(full) & UnixFileMode.UserWrite) == 0;
            if (readOnly && !force)
            {
                throw new GitOpsSecOperationException("GitOpsSec.File.ReadOnly", ScanErrorCategory.PermissionDenied,
                    $"'{path}' is read-only; use -Force to replace it.", path);
            }
        }
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, content, new System.Text.UTF8Encoding(false));
            if (File.Exists(full) && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // nothing more to do: the target is untouched either way
            }
            throw new GitOpsSecOperationException(ErrorIds.WriteFailed, ScanErrorCategory.PermissionDenied,
                $"'{path}' could not be written: {e.Message}. It was left as it was.", path, e);
        }
    }
}
