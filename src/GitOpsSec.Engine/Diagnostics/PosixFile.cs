using System.Runtime.InteropServices;

namespace GitOpsSec.Diagnostics;

/// <summary>
/// Reading a small regular file on Linux in four system calls (statx, open, read, close) instead of .NET's nine
/// (lstat, geteuid, open, fstat, flock, fstat, pread, flock, close): a repository scan reads every file twice, and
/// on a virtual machine a system call costs about a microsecond. Only the plain case is taken here; anything
/// else (another system, a missing or unreadable file, a link that does not resolve, a pipe, a device, a folder, a
/// file over the bound, a file that changed under the read) answers null, and the caller reads the file the .NET
/// way, which reports what is wrong as it always did.
/// </summary>
internal static unsafe class PosixFile
{
    private static volatile bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Whether this process takes the short path (Linux with glibc's or musl's statx); tests read it.</summary>
    internal static bool Available => !s_unavailable;

    /// <summary>The size and last write time of the file a path names (links followed, as File.Open follows them), or null.</summary>
    internal static (long Length, DateTime LastWriteUtc, bool Regular)? Stat(string path)
    {
        if (s_unavailable || path.Contains('\0'))
        {
            return null;
        }
        StatxBuffer buffer;
        try
        {
            if (statx(AtFdCwd, path, 0, StatxType | StatxSize | StatxMtime, &buffer) != 0)
            {
                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return null;
        }
        if ((buffer.Mask & (StatxType | StatxSize | StatxMtime)) != (StatxType | StatxSize | StatxMtime))
        {
            return null;
        }
        bool regular = (buffer.Mode & SIfMt) == SIfReg;
        // As .NET converts a Unix time (FileStatus.UnixTimeToDateTimeOffset), so a time from here equals FileInfo's.
        DateTime written = DateTime.UnixEpoch.AddTicks(buffer.MtimeSeconds * TimeSpan.TicksPerSecond + buffer.MtimeNanoseconds / 100);
        return ((long)buffer.Size, written, regular);
    }

    /// <summary>
    /// The bytes of a non-empty regular file of at most <paramref name="maxBytes"/> bytes and its last write time,
    /// or null when the caller must read it the .NET way.
    /// </summary>
    internal static byte[]? TryRead(string path, long maxBytes, out DateTime lastWriteUtc)
    {
        lastWriteUtc = default;
        if (Stat(path) is not (long length, DateTime written, true) || length == 0 || length > maxBytes || length > Array.MaxLength)
        {
            return null;
        }
        // Non-blocking, so a file swapped for a pipe since the stat cannot hold the scan.
        int fd = open(path, ORdOnly | OCloExec | ONonBlock, 0);
        if (fd < 0)
        {
            return null;
        }
        try
        {
            var bytes = new byte[length];
            int read = 0;
            fixed (byte* p = bytes)
            {
                while (read < bytes.Length)
                {
                    nint n = ReadInto(fd, p + read, bytes.Length - read);
                    if (n <= 0)
                    {
                        return null; // it shrank, or will not be read: the .NET way reports it
                    }
                    read += (int)n;
                }
            }
            lastWriteUtc = written;
            return bytes;
        }
        finally
        {
            close(fd);
        }
    }

    private static nint ReadInto(int fd, byte* target, int count)
    {
        while (true)
        {
            nint n = read(fd, target, count);
            if (n >= 0 || Marshal.GetLastPInvokeError() != EIntr)
            {
                return n;
            }
        }
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1, StatxMtime = 0x40, StatxSize = 0x200;
    private const ushort SIfMt = 0xF000, SIfReg = 0x8000;
    private const int ORdOnly = 0, ONonBlock = 0x800, OCloExec = 0x80000;
    private const int EIntr = 4;

    /// <summary>struct statx, the same on every Linux architecture (linux/stat.h).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
    }

    private const string Libc = "libc";

    [DllImport(Libc, SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, StatxBuffer* buffer);

    [DllImport(Libc, SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport(Libc, SetLastError = true)]
    private static extern nint read(int fd, byte* buffer, nint count);

    [DllImport(Libc)]
    private static extern int close(int fd);
}
