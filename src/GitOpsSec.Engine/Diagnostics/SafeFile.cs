using System.Text;

namespace GitOpsSec.Diagnostics;

/// <summary>A file larger than the caller's bound: not read into memory.</summary>
public sealed class FileTooLargeException : IOException
{
    public FileTooLargeException(string path, long length, long limit)
        : base($"'{path}' has {length:N0} bytes, more than the limit of {limit:N0}; it was not read.")
    {
        Length = length;
        Limit = limit;
    }

    public long Length { get; }
    public long Limit { get; }
}

/// <summary>
/// Reading one named file (a report, a config, a key, a baseline) as untrusted input: bounded in size,
/// and a file that reports no size (empty, or a named pipe, socket or device) is never opened, so it
/// cannot block the caller. Failures are IOExceptions, as File.ReadAll* throws them.
/// </summary>
public static class SafeFile
{
    /// <summary>The default bound for single input files: 256 MiB.</summary>
    public const long DefaultLimit = 256L * 1024 * 1024;

    public static byte[] ReadAllBytes(string path, long maxBytes = DefaultLimit) => ReadAllBytes(path, maxBytes, out _);

    /// <summary>The file's bytes and its last write time as the size check before opening saw it (no further system call).</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, out DateTime lastWriteUtc)
    {
        if (PosixFile.TryRead(path, maxBytes, out lastWriteUtc) is byte[] quick)
        {
            return quick;
        }
        var info = new FileInfo(path);
        lastWriteUtc = info.Exists ? info.LastWriteTimeUtc : default;
        if (info.Exists && info.Length == 0)
        {
            return Array.Empty<byte>();
        }
        if (info.Exists && info.Length > maxBytes)
        {
            throw new FileTooLargeException(path, info.Length, maxBytes);
        }
        // A missing file, a dangling link or a link loop fails here, with the system's own reason. One open, one
        // size query and positioned reads, without FileStream's buffer: a repository scan reads every file.
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long length = RandomAccess.GetLength(handle);
        if (length > maxBytes)
        {
            throw new FileTooLargeException(path, length, maxBytes);
        }
        var buffer = new byte[length];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(read), read);
            if (n == 0)
            {
                Array.Resize(ref buffer, read); // the file shrank while being read
                break;
            }
            read += n;
        }
        return buffer;
    }

    /// <summary>The text of a file, its encoding taken from a byte order mark (UTF-8 without one), as File.ReadAllText reads it.</summary>
    public static string ReadAllText(string path, long maxBytes = DefaultLimit)
    {
        byte[] bytes = ReadAllBytes(path, maxBytes);
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }
}
