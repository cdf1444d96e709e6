using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;
using GitOpsSec.Git;
using GitOpsSec.Reports;
using LibGit2Sharp;

namespace GitOpsSec.Secrets;

/// <summary>Settings of one secret scan.</summary>
public sealed class SecretScanOptions
{
    public const long DefaultMaxFileSize = 10 * 1024 * 1024;

    public SecretScanner Scanner { get; init; } = SecretScanner.Default;
    public long MaxFileSize { get; init; } = DefaultMaxFileSize;
    public bool ShowSecret { get; init; }
    public SecretConfidence MinConfidence { get; init; } = SecretConfidence.Low;
    public GitOpsConfig Config { get; init; } = GitOpsConfig.Default;
    public Baseline? Baseline { get; init; }
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Scan files git ignores too (.gitignore, .git/info/exclude, the global excludes file); off by default, as in git and the peers.</summary>
    public bool NoIgnore { get; init; }
}

/// <summary>Which commits a history scan reads.</summary>
public sealed class HistoryOptions
{
    /// <summary>A revision range "a..b" (commits reachable from b and not from a).</summary>
    public string? Range { get; init; }

    /// <summary>Only history reachable from this revision; default: every branch, tag and remote ref.</summary>
    public string? Revision { get; init; }

    public DateTimeOffset? Since { get; init; }
    public int? MaxCount { get; init; }
}

/// <summary>What a scan read and skipped: binary files are skipped and counted, not errors.</summary>
public sealed class SecretScanStatistics
{
    private long _files, _bytes, _binary, _tooLarge, _excluded, _ignored, _commits, _blobs;

    public long FilesScanned => Interlocked.Read(ref _files);
    public long BytesScanned => Interlocked.Read(ref _bytes);
    public long BinarySkipped => Interlocked.Read(ref _binary);
    public long TooLarge => Interlocked.Read(ref _tooLarge);
    /// <summary>Files and folders left out by the configuration's exclude globs.</summary>
    public long Excluded => Interlocked.Read(ref _excluded);
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Files and folders git ignores (.gitignore and friends), left out unless NoIgnore.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>History: distinct blobs read (each once however many commits carry it).</summary>
    public long UniqueBlobs => Interlocked.Read(ref _blobs);

    internal void Scanned(long bytes)
    {
        Interlocked.Increment(ref _files);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void Binary() => Interlocked.Increment(ref _binary);
    internal void Large() => Interlocked.Increment(ref _tooLarge);
    internal void Exclude() => Interlocked.Increment(ref _excluded);
    internal void Ignore() => Interlocked.Increment(ref _ignored);
    internal void Commit() => Interlocked.Increment(ref _commits);
    internal void Blob() => Interlocked.Increment(ref _blobs);

    public override string ToString() =>
        $"{FilesScanned} file(s) scanned ({BytesScanned:N0} bytes), {BinarySkipped} binary skipped, {TooLarge} too large, {Excluded} excluded, {Ignored} ignored by git" +
        (Commits > 0 ? $", {Commits} commit(s), {UniqueBlobs} unique blob(s)" : string.Empty);
}

/// <summary>
/// Secret scans of a working tree, of the git index (what the next commit records) and of history
/// (each unique blob once; findings name the first commit that introduced the content at that path).
/// Work runs on all cores; results and errors come back in a stable order on the caller's thread.
/// </summary>
public static class SecretSearch
{
    private sealed record ContentResult(IReadOnlyList<SecretHit> Hits, ScanError? Error);

    private static readonly ContentResult Nothing = new(Array.Empty<SecretHit>(), null);

    /// <summary>
    /// Scans files and folders (recursively; .git and symbolic links are not followed). Folders are walked
    /// while the files found so far are scanned, on all cores; findings come back in walk order.
    /// </summary>
    public static IEnumerable<SecretFinding> ScanPaths(IEnumerable<string> paths, SecretScanOptions options, IScanHost host, SecretScanStatistics stats)
    {
        foreach (string path in paths)
        {
            string full = System.IO.Path.GetFullPath(path);
            IEnumerable<(string Full, string Relative)> files;
            var walkErrors = new ConcurrentQueue<ScanError>();
            if (File.Exists(full))
            {
                files = new[] { (full, System.IO.Path.GetFileName(full)) };
            }
            else if (Directory.Exists(full) && GitOpsSec.Git.GitHistory.IsGitDirectory(full))
            {
                host.Warning($"'{full}' is a git directory (a bare repository or a .git folder) with no working tree: no files to scan there; its history is scanned with -History.");
                continue;
            }
            else if (Directory.Exists(full))
            {
                files = new FileWalk(full, options.Config, stats, walkErrors, options.NoIgnore ? null : GitIgnore.For(full)).AsEnumerable();
            }
            else
            {
                host.Error(new ScanError(ErrorIds.PathNotFound, ScanErrorCategory.ObjectNotFound, $"'{full}' does not exist.", full));
                continue;
            }
            var results = files
                .AsParallel().AsOrdered()
                .WithDegreeOfParallelism(Math.Max(1, options.Parallelism))
                .WithCancellation(host.Cancellation)
                .Select(f => (f.Relative, Result: ScanFile(f.Full, f.Relative, options, stats)));
            long done = 0;
            foreach (var (relative, result) in results)
            {
                if (++done % 2000 == 0)
                {
                    host.Progress("Scanning files for secrets", $"{done:N0} files of {full}", -1); // the walk runs ahead: no total yet
                }
                foreach (SecretFinding finding in Report(result, relative, SecretSource.WorkingTree, options, host))
                {
                    yield return finding;
                }
            }
            while (walkErrors.TryDequeue(out ScanError? error))
            {
                host.Error(error);
            }
        }
    }

    /// <summary>One pass over a folder tree: prunes .git and excluded folders, skips symbolic links, records unreadable folders.</summary>
    private sealed class FileWalk : System.IO.Enumeration.FileSystemEnumerator<(string Full, string Relative)>
    {
        private readonly string _root;
        private readonly GitOpsConfig _config;
        private readonly SecretScanStatistics _stats;
        private readonly ConcurrentQueue<ScanError> _errors;

        private readonly GitIgnore? _ignore;

        public FileWalk(string root, GitOpsConfig config, SecretScanStatistics stats, ConcurrentQueue<ScanError> errors, GitIgnore? ignore)
            : base(root, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false })
        {
            _root = root.TrimEnd(System.IO.Path.DirectorySeparatorChar);
            _config = config;
            _stats = stats;
            _errors = errors;
            _ignore = ignore;
        }

        public IEnumerable<(string Full, string Relative)> AsEnumerable()
        {
            using (this)
            {
                while (MoveNext())
                {
                    yield return Current;
                }
            }
        }

        private bool Ignored(ref System.IO.Enumeration.FileSystemEntry entry, bool directory)
        {
            if (_ignore is null || !_ignore.IsIgnored(entry.ToFullPath(), directory))
            {
                return false;
            }
            _stats.Ignore();
            return true;
        }

        private string Relative(string full) => full[(_root.Length + 1)..].Replace('\\', '/');

        private string Relative(ref System.IO.Enumeration.FileSystemEntry entry) => Relative(entry.ToFullPath());

        protected override bool ShouldRecurseIntoEntry(ref System.IO.Enumeration.FileSystemEntry entry)
        {
            if (entry.FileName.SequenceEqual(".git") || GitOpsSec.Git.GitHistory.IsGitDirectory(entry.ToFullPath()))
            {
                return false; // git's own files (a .git folder, a bare repository inside the tree)
            }
            if (_config.Exclude.Count > 0 && _config.IsExcluded(Relative(ref entry)))
            {
                _stats.Exclude();
                return false;
            }
            return !Ignored(ref entry, directory: true);
        }

        protected override bool ShouldIncludeEntry(ref System.IO.Enumeration.FileSystemEntry entry)
        {
            if (entry.IsDirectory || entry.Length == 0)
            {
                return false; // an empty file holds nothing; a named pipe or socket reports no size and is never opened
            }
            if (_config.Exclude.Count > 0 && _config.IsExcluded(Relative(ref entry)))
            {
                _stats.Exclude();
                return false;
            }
            return !Ignored(ref entry, directory: false);
        }

        protected override (string Full, string Relative) TransformEntry(ref System.IO.Enumeration.FileSystemEntry entry)
        {
            string full = entry.ToFullPath();
            return (full, Relative(full));
        }

        protected override bool ContinueOnError(int error)
        {
            _errors.Enqueue(new ScanError(ErrorIds.SecretReadFailed, ScanErrorCategory.ReadError,
                $"A folder under '{_root}' could not be listed (system error {error}); the rest was scanned.", _root));
            return true;
        }
    }

    private static ContentResult ScanFile(string full, string relative, SecretScanOptions options, SecretScanStatistics stats)
    {
        byte[] bytes;
        try
        {
            // One open, one size query, one read: this runs for every file of the tree.
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            if (length > options.MaxFileSize)
            {
                stats.Large();
                return TooLarge(relative, length, options);
            }
            bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0)
                {
                    Array.Resize(ref bytes, read); // the file shrank while being read
                    break;
                }
                read += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ContentResult(Array.Empty<SecretHit>(),
                new ScanError(ErrorIds.SecretReadFailed, ScanErrorCategory.ReadError, $"The file could not be read: {e.Message}", relative, Exception: e));
        }
        return ScanBytes(bytes, relative, options, stats);
    }

    private static ContentResult TooLarge(string relative, long length, SecretScanOptions options) =>
        new(Array.Empty<SecretHit>(), new ScanError(ErrorIds.SecretFileTooLarge, ScanErrorCategory.LimitsExceeded,
            $"The file has {length:N0} bytes, more than the limit of {options.MaxFileSize:N0} (-MaxFileSize); it was not scanned.", relative));

    private static ContentResult ScanBytes(byte[] bytes, string relative, SecretScanOptions options, SecretScanStatistics stats)
    {
        string? text = SecretText.Decode(bytes, out ContentKind kind, out int invalidAt);
        if (text is null)
        {
            stats.Binary();
            return Nothing;
        }
        stats.Scanned(bytes.Length);
        ScanError? error = kind == ContentKind.InvalidText
            ? new ScanError(ErrorIds.SecretInvalidEncoding, ScanErrorCategory.InvalidData,
                $"The file is not valid UTF-8 (invalid byte at offset {invalidAt}); it was scanned with the invalid bytes replaced.", relative)
            : null;
        try
        {
            return new ContentResult(options.Scanner.Scan(text, relative), error);
        }
        catch (RegexMatchTimeoutException)
        {
            return new ContentResult(Array.Empty<SecretHit>(), new ScanError(ErrorIds.SecretScanTimeout, ScanErrorCategory.LimitsExceeded,
                $"A detector ran past its time limit ({SecretDetector.MatchTimeout.TotalSeconds:0} s per match) on this file; it was not fully scanned.", relative));
        }
    }

    private static IEnumerable<SecretFinding> Report(ContentResult result, string path, SecretSource source, SecretScanOptions options, IScanHost host,
        Commit? commit = null)
    {
        if (result.Error is not null)
        {
            host.Error(result.Error with { Target = path });
        }
        foreach (SecretHit hit in result.Hits)
        {
            if (hit.Confidence < options.MinConfidence)
            {
                continue;
            }
            SecretFinding finding = SecretFinding.From(hit, path, source, options.ShowSecret,
                commit?.Sha, commit is null ? null : GitHistory.Person(commit.Author), commit?.Author.When);
            if (options.Config.SeverityOverrides.TryGetValue(finding.RuleId, out Severity severity))
            {
                finding = finding with { Severity = severity };
            }
            if (options.Baseline?.Contains(finding.Fingerprint) == true)
            {
                finding = finding with { Baselined = true };
            }
            yield return finding;
        }
    }

    /// <summary>What <c>git commit</c> would record: index entries whose content differs from HEAD.</summary>
    public static IEnumerable<SecretFinding> ScanIndex(string path, SecretScanOptions options, IScanHost host, SecretScanStatistics stats)
    {
        using Repository? repo = GitHistory.OpenRepository(path, host);
        if (repo is null)
        {
            yield break;
        }
        Tree? head = repo.Head.Tip?.Tree;
        var staged = new List<(string Path, ObjectId Id)>();
        foreach (IndexEntry entry in repo.Index)
        {
            if (entry.Mode is Mode.GitLink or Mode.Directory || options.Config.IsExcluded(entry.Path))
            {
                continue;
            }
            if (head?[entry.Path]?.Target.Id != entry.Id)
            {
                staged.Add((entry.Path, entry.Id));
            }
        }
        host.Verbose($"{staged.Count} staged file(s) differ from HEAD");
        foreach (var (file, id) in staged)
        {
            ContentResult result = ReadBlob(repo, id, file, options, stats);
            foreach (SecretFinding finding in Report(result, file, SecretSource.Index, options, host))
            {
                yield return finding;
            }
        }
    }

    /// <summary>Every blob reachable in the selected history, each scanned once.</summary>
    public static IEnumerable<SecretFinding> ScanHistory(string path, HistoryOptions history, SecretScanOptions options, IScanHost host, SecretScanStatistics stats)
    {
        using Repository? repo = GitHistory.OpenRepository(path, host);
        if (repo is null)
        {
            yield break;
        }
        List<Commit>? commits = GitHistory.SelectCommits(repo, history.Range, history.Revision, history.Since, history.MaxCount, host);
        if (commits is null)
        {
            yield break;
        }
        commits.Reverse(); // oldest first: the first commit to carry a blob at a path is the one that introduced it
        string prefix = GitHistory.PathInside(repo, path);
        // -Path names one file: its own history only, reported under its name as the working-tree scan reports it.
        string? onlyFile = File.Exists(path) && prefix.Length > 0 ? prefix.TrimEnd('/') : null;
        if (onlyFile is not null)
        {
            prefix = onlyFile.Contains('/') ? onlyFile[..(onlyFile.LastIndexOf('/') + 1)] : string.Empty;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Pass 1: what each commit changes. Contiguous slices of history go to one thread each, every thread
        // with its own Repository (libgit2 objects are not shared across threads) and its own tree cache.
        var changes = new List<(string Path, ObjectId Blob)>?[commits.Count];
        var failures = new LibGit2SharpException?[commits.Count];
        int slices = Math.Max(1, Math.Min(options.Parallelism, commits.Count / 200));
        string gitDir = repo.Info.Path;
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = slices, CancellationToken = host.Cancellation }, slice =>
        {
            int from = commits.Count * slice / slices, to = commits.Count * (slice + 1) / slices;
            using var own = slice == 0 ? null : new Repository(gitDir);
            Repository r = own ?? repo;
            var trees = new TreeCache(r);
            for (int i = from; i < to; i++)
            {
                host.Cancellation.ThrowIfCancellationRequested();
                try
                {
                    Commit c = own is null ? commits[i] : r.Lookup<Commit>(commits[i].Id);
                    changes[i] = GitHistory.Changes(c, trees);
                }
                catch (LibGit2SharpException e)
                {
                    failures[i] = e;
                }
            }
        });

        // Then in history order, on this thread: the first commit to carry a (blob, path) introduced it.
        var introduced = new List<(Commit Commit, string Path, ObjectId Blob)>();
        var seenPairs = new HashSet<(ObjectId, string)>();
        var blobOrder = new List<(ObjectId Id, string Path)>();
        var seenBlobs = new HashSet<ObjectId>();
        for (int i = 0; i < commits.Count; i++)
        {
            Commit commit = commits[i];
            stats.Commit();
            if (failures[i] is LibGit2SharpException e)
            {
                host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                    $"Commit {commit.Sha[..12]} could not be read: {e.Message}; the other commits are still scanned.", commit.Sha, Exception: e));
                continue;
            }
            foreach (var (file, id) in changes[i]!)
            {
                if (prefix.Length > 0 && !file.StartsWith(prefix, StringComparison.Ordinal) || onlyFile is not null && file != onlyFile)
                {
                    continue; // -Path is a sub-folder (or a file): history stays inside it, as the working-tree scan does
                }
                string relative = file[prefix.Length..];
                if (options.Config.IsExcluded(relative) || !seenPairs.Add((id, relative)))
                {
                    continue;
                }
                introduced.Add((commit, relative, id));
                if (seenBlobs.Add(id))
                {
                    blobOrder.Add((id, file));
                }
            }
        }
        host.Progress("Find-GitOpsSecret -History", $"{commits.Count} commits walked", 50);

        TimeSpan walked = clock.Elapsed;
        // Pass 2: blobs read on this thread, scanned on all cores.
        var results = new ConcurrentDictionary<ObjectId, ContentResult>();
        using (var queue = new BlockingCollection<(ObjectId Id, string Path, byte[]? Bytes, ContentResult? Early)>(boundedCapacity: 256))
        {
            var workers = Enumerable.Range(0, Math.Max(1, options.Parallelism)).Select(_ => Task.Run(() =>
            {
                foreach (var item in queue.GetConsumingEnumerable())
                {
                    results[item.Id] = item.Early ?? ScanBytes(item.Bytes!, item.Path, options, stats);
                }
            })).ToArray();
            try
            {
                int read = 0;
                foreach (var (id, file) in blobOrder)
                {
                    host.Cancellation.ThrowIfCancellationRequested();
                    stats.Blob();
                    if (++read % 1000 == 0)
                    {
                        host.Progress("Find-GitOpsSecret -History", $"{read} of {blobOrder.Count} blobs", 50 + read * 50 / blobOrder.Count);
                    }
                    var (bytes, early) = ReadBlobBytes(repo, id, file, options, stats);
                    queue.Add((id, file, bytes, early));
                }
            }
            finally
            {
                queue.CompleteAdding();
                Task.WaitAll(workers);
            }
        }
        host.Verbose($"History: {commits.Count} commit(s) walked in {walked.TotalSeconds:0.00} s, {blobOrder.Count} unique blob(s) read and scanned in {(clock.Elapsed - walked).TotalSeconds:0.00} s");

        var reported = new HashSet<ObjectId>();
        // A secret is reported once per path, at the commit that introduced it there (oldest first), as a
        // diff-based scanner reports it: later versions of the file that still carry it add nothing.
        var secretsAtPath = new HashSet<(string Path, string Rule, string Secret)>();
        foreach (var (commit, file, id) in introduced)
        {
            if (!results.TryGetValue(id, out ContentResult? result))
            {
                continue;
            }
            var fresh = result.Hits.Where(h => secretsAtPath.Add((file, h.Detector.Id, h.Secret))).ToList();
            // A blob's error is reported once, at its first path; its findings at every path that introduced them.
            ContentResult toReport = (reported.Add(id) ? result : result with { Error = null }) with { Hits = fresh };
            foreach (SecretFinding finding in Report(toReport, file, SecretSource.History, options, host, commit))
            {
                yield return finding;
            }
        }
    }

    private static ContentResult ReadBlob(Repository repo, ObjectId id, string path, SecretScanOptions options, SecretScanStatistics stats)
    {
        var (bytes, early) = ReadBlobBytes(repo, id, path, options, stats);
        return early ?? ScanBytes(bytes!, path, options, stats);
    }

    private static (byte[]? Bytes, ContentResult? Early) ReadBlobBytes(Repository repo, ObjectId id, string path, SecretScanOptions options, SecretScanStatistics stats)
    {
        try
        {
            var blob = repo.Lookup<Blob>(id);
            if (blob is null)
            {
                return (null, new ContentResult(Array.Empty<SecretHit>(), new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                    $"Blob {id.Sha[..12]} is missing from the object database.", path)));
            }
            if (blob.Size > options.MaxFileSize)
            {
                stats.Large();
                return (null, TooLarge(path, blob.Size, options));
            }
            using Stream stream = blob.GetContentStream();
            using var buffer = new MemoryStream((int)blob.Size);
            stream.CopyTo(buffer);
            return (buffer.ToArray(), null);
        }
        catch (LibGit2SharpException e)
        {
            return (null, new ContentResult(Array.Empty<SecretHit>(), new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                $"Blob {id.Sha[..12]} could not be read: {e.Message}", path, Exception: e)));
        }
    }
}
