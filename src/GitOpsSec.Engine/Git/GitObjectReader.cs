using System.Runtime.InteropServices;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>
/// The exact bytes of a git object (commit, tag) as stored, through libgit2's object database. Signature
/// verification needs them: LibGit2Sharp hands commit headers and messages over as .NET strings, and a
/// round trip through UTF-16 maps every invalid UTF-8 sequence to U+FFFD, so two different commits would
/// verify alike.
/// </summary>
public sealed class GitObjectReader : IDisposable
{
    /// <summary>LibGit2Sharp's own native library (LibGit2Sharp.Core.NativeDllName); a test pins the two together.</summary>
    internal const string NativeLibrary = "git2-5853918";

    private IntPtr _repo;
    private IntPtr _odb;

    /// <summary>Opens the object database of <paramref name="repository"/> (its libgit2 state is already initialised by LibGit2Sharp).</summary>
    public GitObjectReader(Repository repository)
        : this(repository.Info.Path)
    {
    }

    /// <summary>
    /// Opens the object database of the git directory <paramref name="gitDirectory"/> (after LibGit2Sharp has
    /// initialised libgit2). Each reader has its own libgit2 repository: one per thread.
    /// </summary>
    public GitObjectReader(string gitDirectory)
    {
        Check(git_repository_open(out _repo, gitDirectory), "open the repository");
        if (git_repository_odb(out _odb, _repo) != 0)
        {
            Dispose();
            throw new LibGit2SharpException("libgit2 could not open the object database.");
        }
    }

    /// <summary>The object's content (without git's "type size\0" header) and its type name.</summary>
    public (byte[] Data, string Type) Read(ObjectId id)
    {
        ObjectDisposedException.ThrowIf(_odb == IntPtr.Zero, this);
        CheckObject(git_odb_read(out IntPtr obj, _odb, id.RawId), id, "read object");
        try
        {
            int size = checked((int)git_odb_object_size(obj));
            var data = new byte[size];
            Marshal.Copy(git_odb_object_data(obj), data, 0, size);
            return (data, TypeName(git_odb_object_type(obj)));
        }
        finally
        {
            git_odb_object_free(obj);
        }
    }

    /// <summary>What <see cref="Read{T}"/> makes of an object's bytes while libgit2 still holds them.</summary>
    public delegate T ContentReader<T>(ReadOnlySpan<byte> data, string type);

    /// <summary>Hands the object's content to <paramref name="reader"/> without copying it to a managed array first (a blob is decoded straight to text).</summary>
    public unsafe T Read<T>(ObjectId id, ContentReader<T> reader)
    {
        ObjectDisposedException.ThrowIf(_odb == IntPtr.Zero, this);
        CheckObject(git_odb_read(out IntPtr obj, _odb, id.RawId), id, "read object");
        try
        {
            int size = checked((int)git_odb_object_size(obj));
            return reader(new ReadOnlySpan<byte>((void*)git_odb_object_data(obj), size), TypeName(git_odb_object_type(obj)));
        }
        finally
        {
            git_odb_object_free(obj);
        }
    }

    /// <summary>An object's size and type name without reading its content (a packed delta is resolved only as far as its header).</summary>
    public (long Size, string Type) ReadHeader(ObjectId id)
    {
        ObjectDisposedException.ThrowIf(_odb == IntPtr.Zero, this);
        CheckObject(git_odb_read_header(out nuint size, out int type, _odb, id.RawId), id, "read the header of object");
        return ((long)size, TypeName(type));
    }

    /// <summary>
    /// Commits reachable from <paramref name="include"/> and not from <paramref name="exclude"/>, newest first in
    /// topological and time order (as LibGit2Sharp's Topological | Time sort), from libgit2's revision walk.
    /// </summary>
    public IEnumerable<ObjectId> Walk(IEnumerable<ObjectId> include, ObjectId? exclude)
    {
        ObjectDisposedException.ThrowIf(_repo == IntPtr.Zero, this);
        Check(git_revwalk_new(out IntPtr walk, _repo), "start a revision walk");
        try
        {
            Check(git_revwalk_sorting(walk, 1 | 2), "sort the revision walk"); // GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME
            foreach (ObjectId id in include)
            {
                Check(git_revwalk_push(walk, id.RawId), $"walk from {id.Sha}");
            }
            if (exclude is not null)
            {
                Check(git_revwalk_hide(walk, exclude.RawId), $"hide {exclude.Sha}");
            }
            int code;
            for (var next = new byte[20]; (code = git_revwalk_next(next, walk)) == 0; next = new byte[20])
            {
                yield return new ObjectId(next); // ObjectId keeps the array it is given
            }
            if (code != IterOver)
            {
                Check(code, "walk the history");
            }
        }
        finally
        {
            git_revwalk_free(walk);
        }
    }

    /// <summary>When a commit was committed, from its committer line ("committer Name &lt;email&gt; seconds +hhmm").</summary>
    public DateTimeOffset CommitTime(ObjectId commit)
    {
        (byte[] data, string type) = Read(commit);
        if (type != "commit")
        {
            throw new LibGit2SharpException($"Object {commit.Sha} is a {type}, not a commit.");
        }
        foreach (string line in System.Text.Encoding.UTF8.GetString(data).Split('\n'))
        {
            if (line.Length == 0)
            {
                break; // the end of the header
            }
            if (line.StartsWith("committer ", StringComparison.Ordinal))
            {
                string[] tail = line[(line.LastIndexOf('>') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (tail.Length == 2 && long.TryParse(tail[0], out long seconds) && tail[1].Length == 5 && int.TryParse(tail[1][1..3], out int hours) && int.TryParse(tail[1][3..], out int minutes))
                {
                    var offset = new TimeSpan(hours, minutes, 0);
                    return DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(tail[1][0] == '-' ? -offset : offset);
                }
            }
        }
        throw new LibGit2SharpException($"Commit {commit.Sha} has no readable committer time.");
    }

    private const int IterOver = -31; // GIT_ITEROVER

    private static string TypeName(int type) => type switch { 1 => "commit", 2 => "tree", 3 => "blob", 4 => "tag", _ => "unknown" };

    public void Dispose()
    {
        if (_odb != IntPtr.Zero)
        {
            git_odb_free(_odb);
            _odb = IntPtr.Zero;
        }
        if (_repo != IntPtr.Zero)
        {
            git_repository_free(_repo);
            _repo = IntPtr.Zero;
        }
    }

    /// <summary>Like <see cref="Check"/>, with a missing object (a partial or shallow clone, a pruned pack) said as such.</summary>
    private static void CheckObject(int code, ObjectId id, string what)
    {
        if (code == NotFound)
        {
            throw new NotFoundException($"Object {id.Sha[..12]} is missing from the object database.");
        }
        Check(code, $"{what} {id.Sha}");
    }

    private const int NotFound = -3; // GIT_ENOTFOUND

    private static void Check(int code, string what)
    {
        if (code != 0)
        {
            throw new LibGit2SharpException($"libgit2 could not {what} (error {code}).");
        }
    }

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_repository_open(out IntPtr repo, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_repository_odb(out IntPtr odb, IntPtr repo);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_odb_read(out IntPtr obj, IntPtr odb, byte[] id);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_revwalk_new(out IntPtr walk, IntPtr repo);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_revwalk_sorting(IntPtr walk, uint mode);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_revwalk_push(IntPtr walk, byte[] id);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_revwalk_hide(IntPtr walk, byte[] id);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_revwalk_next(byte[] id, IntPtr walk);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern void git_revwalk_free(IntPtr walk);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_odb_read_header(out nuint size, out int type, IntPtr odb, byte[] id);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern IntPtr git_odb_object_data(IntPtr obj);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern nuint git_odb_object_size(IntPtr obj);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern int git_odb_object_type(IntPtr obj);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern void git_odb_object_free(IntPtr obj);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern void git_odb_free(IntPtr odb);

    [DllImport(NativeLibrary, CallingConvention = CallingConvention.Cdecl)]
    private static extern void git_repository_free(IntPtr repo);
}
