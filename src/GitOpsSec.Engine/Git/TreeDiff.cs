using System.Text;
using LibGit2Sharp;

namespace GitOpsSec.Git;

/// <summary>One file a commit adds or modifies: its path, its new blob, and the blob it replaced at that path (null when the path is new).</summary>
public readonly record struct FileChange(string Path, ObjectId Blob, ObjectId? Before);

/// <summary>
/// What each commit changed compared with its first parent, read from the raw tree objects (git's own
/// "mode name\0id" records) through libgit2's object database, as <c>git diff-tree -r</c> computes it: both
/// trees are walked together in git's order and identical entries, and whole identical subtrees, are skipped
/// by comparing their bytes, so the cost follows the size of the change, not of the repository. Going
/// through LibGit2Sharp's Tree objects instead costs several native calls and objects per entry of every
/// changed folder, which made a 5,000-commit walk take seconds.
/// Not thread-safe: one walker per thread, each over its own <see cref="GitObjectReader"/>.
/// </summary>
public sealed class TreeDiff
{
    private const int DirectoryMode = 0x4000;       // 040000
    private const int FileMode = 0x81A4;            // 100644
    private const int ExecutableMode = 0x81ED;      // 100755
    private const int GroupWritableMode = 0x81B4;   // 100664 (old git)

    /// <summary>Folders nested deeper than this are refused (git's own core.maxTreeDepth default): the walk recurses once per level.</summary>
    public const int MaxDepth = 4096;

    /// <summary>
    /// Longer folder paths are refused too (Linux's PATH_MAX: no checkout can hold such a file). Every level builds
    /// its path, so a deep tree of long names would otherwise cost memory quadratic in its depth.
    /// </summary>
    public const int MaxPathLength = 4096;

    private readonly GitObjectReader _objects;
    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);
    private Dictionary<ObjectId, byte[]> _current = new();
    private Dictionary<ObjectId, byte[]> _previous = new();
    private (ObjectId Commit, ObjectId Tree) _lastCommit;

    public TreeDiff(GitObjectReader objects) => _objects = objects;

    /// <summary>
    /// Files <paramref name="commit"/> adds or modifies compared with its first parent (every file for a root
    /// commit, and for a commit whose parent is missing, as at a shallow clone's boundary). Consecutive
    /// commits share trees: the previous commit's trees are kept, so a parent's trees are read once.
    /// </summary>
    /// <exception cref="LibGit2SharpException">The commit or one of its trees cannot be read.</exception>
    public List<FileChange> Changes(ObjectId commit)
    {
        (ObjectId tree, ObjectId? parent) = Commit(commit);
        ObjectId? parentTree = null;
        if (parent is not null)
        {
            try
            {
                parentTree = parent == _lastCommit.Commit ? _lastCommit.Tree : Commit(parent).Tree;
            }
            catch (LibGit2SharpException)
            {
                // A shallow clone's boundary: the parent is not in the object database, as `git log -p` shows it.
            }
        }
        (_previous, _current) = (_current, _previous);
        _current.Clear();
        var into = new List<FileChange>();
        Diff(parentTree is null ? null : Tree(parentTree), Tree(tree), string.Empty, into, 0);
        _lastCommit = (commit, tree);
        return into;
    }

    /// <summary>A commit's tree and first parent, from the header of the raw commit object.</summary>
    private (ObjectId Tree, ObjectId? Parent) Commit(ObjectId id)
    {
        (byte[] data, string type) = _objects.Read(id);
        if (type != "commit")
        {
            throw new LibGit2SharpException($"Object {id.Sha} is a {type}, not a commit.");
        }
        ObjectId? tree = null, parent = null;
        int at = 0;
        while (at < data.Length && data[at] != (byte)'\n')
        {
            int end = Array.IndexOf(data, (byte)'\n', at);
            end = end < 0 ? data.Length : end;
            var line = data.AsSpan(at, end - at);
            if (line.StartsWith("tree "u8) && tree is null)
            {
                tree = new ObjectId(Encoding.ASCII.GetString(line[5..]));
            }
            else if (line.StartsWith("parent "u8) && parent is null)
            {
                parent = new ObjectId(Encoding.ASCII.GetString(line[7..]));
            }
            at = end + 1;
        }
        return (tree ?? throw new LibGit2SharpException($"Commit {id.Sha} has no tree."), parent);
    }

    private byte[] Tree(ObjectId id)
    {
        if (_current.TryGetValue(id, out byte[]? data))
        {
            return data;
        }
        if (!_previous.TryGetValue(id, out data))
        {
            (data, string type) = _objects.Read(id);
            if (type != "tree")
            {
                throw new LibGit2SharpException($"Object {id.Sha} is a {type}, not a tree.");
            }
        }
        _current[id] = data;
        return data;
    }

    private void Diff(byte[]? before, byte[] after, string prefix, List<FileChange> into, int depth)
    {
        if (depth > MaxDepth || prefix.Length > MaxPathLength)
        {
            throw new LibGit2SharpException($"The tree under '{prefix[..Math.Min(prefix.Length, 200)]}...' is nested more than {MaxDepth} folders or {MaxPathLength} characters deep; the commit is not walked.");
        }
        var old = new Entries(before ?? Array.Empty<byte>());
        bool hasOld = old.Next();
        var now = new Entries(after);
        while (now.Next())
        {
            int order = -1;
            while (hasOld && (order = Entries.Compare(ref old, ref now)) < 0)
            {
                hasOld = old.Next(); // removed in this commit
            }
            bool same = hasOld && order == 0;
            if (same && old.Mode == now.Mode && old.Id.SequenceEqual(now.Id))
            {
                continue; // unchanged file, or a whole unchanged folder
            }
            if (now.Mode == DirectoryMode)
            {
                Diff(same && old.Mode == DirectoryMode ? Tree(new ObjectId(old.Id.ToArray())) : null, Tree(new ObjectId(now.Id.ToArray())),
                    Path(prefix, now.Name, folder: true), into, depth + 1);
            }
            else if (now.Mode is FileMode or ExecutableMode or GroupWritableMode)
            {
                ObjectId? replaced = same && old.Mode is FileMode or ExecutableMode or GroupWritableMode ? new ObjectId(old.Id.ToArray()) : null;
                into.Add(new FileChange(Path(prefix, now.Name, folder: false), new ObjectId(now.Id.ToArray()), replaced));
            }
            // Symbolic links (120000) and submodules (160000) hold no file content of this repository.
        }
    }

    /// <summary>The path of an entry, one string per distinct path however many commits touch it.</summary>
    private string Path(string prefix, ReadOnlySpan<byte> name, bool folder)
    {
        string path = prefix + Encoding.UTF8.GetString(name) + (folder ? "/" : string.Empty);
        if (_paths.TryGetValue(path, out string? known))
        {
            return known;
        }
        _paths[path] = path;
        return path;
    }

    /// <summary>A cursor over a raw tree object: "octal-mode SP name NUL 20-byte-id", in git's order.</summary>
    private ref struct Entries
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _at;

        public Entries(ReadOnlySpan<byte> data)
        {
            _data = data;
            _at = 0;
            Mode = 0;
            Name = default;
            Id = default;
        }

        public int Mode;
        public ReadOnlySpan<byte> Name;
        public ReadOnlySpan<byte> Id;

        public bool Next()
        {
            if (_at >= _data.Length)
            {
                return false;
            }
            int mode = 0, i = _at;
            for (; i < _data.Length && _data[i] != (byte)' '; i++)
            {
                int digit = _data[i] - '0';
                if (digit is < 0 or > 7)
                {
                    throw new LibGit2SharpException("A tree object holds an entry with a malformed mode.");
                }
                mode = mode * 8 + digit;
            }
            int nul = i + 1 < _data.Length ? _data[(i + 1)..].IndexOf((byte)0) : -1;
            if (nul < 0 || i + 1 + nul + 1 + 20 > _data.Length)
            {
                throw new LibGit2SharpException("A tree object is truncated.");
            }
            Mode = mode;
            Name = _data.Slice(i + 1, nul);
            Id = _data.Slice(i + 1 + nul + 1, 20);
            _at = i + 1 + nul + 1 + 20;
            return true;
        }

        /// <summary>git's tree order (base_name_compare): names as bytes, a folder's name read as if it ended in '/'.</summary>
        public static int Compare(ref Entries a, ref Entries b)
        {
            int common = Math.Min(a.Name.Length, b.Name.Length);
            int c = a.Name[..common].SequenceCompareTo(b.Name[..common]);
            if (c != 0)
            {
                return c;
            }
            int ca = a.Name.Length > common ? a.Name[common] : a.Mode == DirectoryMode ? '/' : 0;
            int cb = b.Name.Length > common ? b.Name[common] : b.Mode == DirectoryMode ? '/' : 0;
            return ca - cb;
        }
    }
}
