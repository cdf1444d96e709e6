using System.Runtime.InteropServices;
using System.Text;

namespace GitOpsSec.Diagnostics;

/// <summary>
/// A folder's entries with their types as the directory itself records them (readdir's d_type), on 64-bit Linux.
/// .NET's enumerator gives the type too, but not whether an entry is a symbolic link without an lstat of it, so a
/// scan asked every entry with a readlink: on a 100,000-file tree a third of the listing's time, each one walking
/// the whole path again. Here a link costs its readlink only when it is one. Anything else (another system, a
/// folder that cannot be opened or read, a file system that does not record types) answers null, and the caller
/// lists the folder the .NET way, which reports what is wrong as it always did.
/// </summary>
internal static unsafe class PosixDirectory
{
    private static volatile bool s_unavailable = !OperatingSystem.IsLinux() || IntPtr.Size != 8;

    /// <summary>Whether this process lists folders here (Linux, 64-bit, libc found); tests read it.</summary>
    internal static bool Available => !s_unavailable;

    /// <summary>Set by a test to list the .NET way, the reference this listing is held to.</summary>
    internal static bool Disabled { get; set; }

    /// <summary>One entry of a folder: its name (decoded as .NET decodes file names) and what the folder says it is.</summary>
    internal readonly record struct Entry(string Name, EntryType Type);

    internal enum EntryType
    {
        /// <summary>A regular file, or anything else that is not a folder or a link (a pipe, a socket, a device).</summary>
        Other,
        Directory,
        Link,
    }

    /// <summary>The entries of <paramref name="path"/> but . and .., in the order the folder gives them, or null.</summary>
    internal static List<Entry>? TryList(string path)
    {
        if (s_unavailable || Disabled || path.Contains('\0'))
        {
            return null;
        }
        nint dir;
        try
        {
            dir = opendir(path);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return null;
        }
        if (dir == 0)
        {
            return null;
        }
        try
        {
            var entries = new List<Entry>();
            while (true)
            {
                Marshal.SetLastSystemError(0); // readdir leaves errno as it was at the end, and sets it on an error
                byte* entry = readdir(dir);
                if (entry == null)
                {
                    // The end, or an error part way (errno set): the .NET way lists it again and reports the error.
                    return Marshal.GetLastPInvokeError() == 0 ? entries : null;
                }
                var name = new ReadOnlySpan<byte>(entry + NameOffset, NameLength(entry + NameOffset));
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }
                EntryType type;
                switch (entry[TypeOffset])
                {
                    case DtDir:
                        type = EntryType.Directory;
                        break;
                    case DtLnk:
                        type = EntryType.Link;
                        break;
                    case DtUnknown:
                        return null; // this file system does not record types: .NET asks each entry
                    default:
                        type = EntryType.Other;
                        break;
                }
                entries.Add(new Entry(Encoding.UTF8.GetString(name), type));
            }
        }
        finally
        {
            closedir(dir);
        }
    }

    private static int NameLength(byte* name)
    {
        int n = 0;
        while (n < MaxName && name[n] != 0)
        {
            n++;
        }
        return n;
    }

    // struct dirent of glibc and musl on 64-bit Linux: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name[256].
    private const int TypeOffset = 18, NameOffset = 19, MaxName = 256;
    private const byte DtUnknown = 0, DtDir = 4, DtLnk = 10;

    private const string Libc = "libc";

    [DllImport(Libc, SetLastError = true)]
    private static extern nint opendir([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport(Libc, SetLastError = true)]
    private static extern byte* readdir(nint dir);

    [DllImport(Libc)]
    private static extern int closedir(nint dir);
}
