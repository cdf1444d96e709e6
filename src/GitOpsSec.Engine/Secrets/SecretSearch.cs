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
/// (what each commit adds to each file, as `git log -p` shows it; findings name the first commit that introduced a secret at that path).
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
        return Scan(text, relative, options, error);
    }

    private static ContentResult Scan(string text, string relative, SecretScanOptions options, ScanError? error,
        IReadOnlyList<(int Start, int Length)>? regions = null)
    {
        try
        {
            return new ContentResult(options.Scanner.Scan(text, relative, regions), error);
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

    /// <summary>What each commit of the selected history adds (the lines new to each file it adds or changes, with context), each change scanned once.</summary>
    public static IEnumerable<SecretFinding> ScanHistory(string path, HistoryOptions history, SecretScanOptions options, IScanHost host, SecretScanStatistics stats)
    {
        using Repository? repo = GitHistory.OpenRepository(path, host);
        if (repo is null)
        {
            yield break;
        }
        // libgit2's object cache would keep every commit and tree of the walk, once per thread's repository
        // (about 100 MB each for 30,000 commits); the walk keeps the trees it needs itself. The setting is
        // process-wide: it is off while any history scan runs (runspaces of a fleet scan run several).
        lock (CachingGate)
        {
            if (++_uncachedScans == 1)
            {
                GlobalSettings.SetEnableCaching(false);
            }
        }
        try
        {
            foreach (SecretFinding finding in ScanHistory(repo, path, history, options, host, stats))
            {
                yield return finding;
            }
        }
        finally
        {
            lock (CachingGate)
            {
                if (--_uncachedScans == 0)
                {
                    GlobalSettings.SetEnableCaching(true);
                }
            }
        }
    }

    private static readonly object CachingGate = new();
    private static int _uncachedScans;

    private static IEnumerable<SecretFinding> ScanHistory(Repository repo, string path, HistoryOptions history, SecretScanOptions options, IScanHost host, SecretScanStatistics stats)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<ObjectId>? commits;
        using (var walker = new GitObjectReader(repo))
        {
            commits = GitHistory.SelectCommitIds(repo, walker, history.Range, history.Revision, history.Since, history.MaxCount, host);
        }
        TimeSpan selected = clock.Elapsed;
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

        // Pass 1: what each commit changes, from the raw trees. Contiguous slices of history go to one thread
        // each, every thread with its own libgit2 repository (its objects are not shared across threads).
        var changes = new List<FileChange>?[commits.Count];
        var failures = new LibGit2SharpException?[commits.Count];
        int slices = Math.Max(1, Math.Min(options.Parallelism, commits.Count / 200));
        string gitDir = repo.Info.Path;
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = slices, CancellationToken = host.Cancellation }, slice =>
        {
            int from = commits.Count * slice / slices, to = commits.Count * (slice + 1) / slices;
            using var objects = new GitObjectReader(gitDir);
            var trees = new TreeDiff(objects);
            for (int i = from; i < to && !host.Cancellation.IsCancellationRequested; i++)
            {
                try
                {
                    changes[i] = trees.Changes(commits[i]);
                }
                catch (LibGit2SharpException e)
                {
                    failures[i] = e;
                }
            }
        });
        host.Cancellation.ThrowIfCancellationRequested();

        // Then in history order, on this thread: the first commit to carry a (blob, path) introduced it.
        var introduced = new List<(int Commit, string Path, FileChange Change)>();
        var seenPairs = new HashSet<(ObjectId, string)>();
        var seenBlobs = new HashSet<ObjectId>();
        for (int i = 0; i < commits.Count; i++)
        {
            stats.Commit();
            if (failures[i] is LibGit2SharpException e)
            {
                host.Error(new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                    $"Commit {commits[i].Sha[..12]} could not be read: {e.Message}; the other commits are still scanned.", commits[i].Sha, Exception: e));
                continue;
            }
            foreach (FileChange change in changes[i]!)
            {
                string file = change.Path;
                if (prefix.Length > 0 && !file.StartsWith(prefix, StringComparison.Ordinal) || onlyFile is not null && file != onlyFile)
                {
                    continue; // -Path is a sub-folder (or a file): history stays inside it, as the working-tree scan does
                }
                string relative = file[prefix.Length..];
                if (options.Config.IsExcluded(relative) || !seenPairs.Add((change.Blob, relative)))
                {
                    continue;
                }
                introduced.Add((i, relative, change));
                if (seenBlobs.Add(change.Blob))
                {
                    stats.Blob();
                }
            }
            changes[i] = null;
        }
        TimeSpan walked = clock.Elapsed;
        host.Progress("Find-GitOpsSecret -History", $"{commits.Count} commits walked", 50);

        // Pass 2: what each introduction adds to the file it changes, read and scanned on all cores. Each path
        // belongs to one worker, which keeps the text of the version it scanned last: the next change at that
        // path usually replaces it, so the old version is not read and decoded again.
        var results = new ContentResult?[introduced.Count];
        int finished = 0;
        int workerCount = Math.Max(1, Math.Min(options.Parallelism, introduced.Count));
        var shares = Enumerable.Range(0, workerCount).Select(_ => new List<int>()).ToArray();
        for (int k = 0; k < introduced.Count; k++)
        {
            shares[(introduced[k].Path.GetHashCode() & int.MaxValue) % workerCount].Add(k);
        }
        var whole = new ConcurrentDictionary<(ObjectId, bool), ContentResult>();
        var workers = shares.Select(share => Task.Run(() =>
        {
            using var scanner = new ChangeScanner(gitDir, options, stats, whole, share.Select(k => introduced[k].Path));
            foreach (int k in share)
            {
                if (host.Cancellation.IsCancellationRequested)
                {
                    break;
                }
                results[k] = scanner.Scan(introduced[k].Change, introduced[k].Path);
                Interlocked.Increment(ref finished);
            }
        })).ToArray();
        while (!Task.WaitAll(workers, 250))
        {
            host.Progress("Find-GitOpsSecret -History", $"{Volatile.Read(ref finished):N0} of {introduced.Count:N0} changes", 50 + (int)(50L * Volatile.Read(ref finished) / Math.Max(1, introduced.Count)));
        }
        host.Cancellation.ThrowIfCancellationRequested();
        host.Verbose($"History: {commits.Count} commit(s) selected in {selected.TotalSeconds:0.00} s and walked in {(walked - selected).TotalSeconds:0.00} s, {introduced.Count} change(s) of {seenBlobs.Count} unique blob(s) read and scanned in {(clock.Elapsed - walked).TotalSeconds:0.00} s");

        var reported = new HashSet<ObjectId>();
        // A secret is reported once per path, at the commit that introduced it there (oldest first), as a
        // diff-based scanner reports it: later versions of the file that still carry it add nothing.
        var secretsAtPath = new HashSet<(string Path, string Rule, string Secret)>();
        for (int k = 0; k < introduced.Count; k++)
        {
            var (i, file, change) = introduced[k];
            ContentResult result = results[k]!;
            var fresh = result.Hits.Where(h => secretsAtPath.Add((file, h.Detector.Id, h.Secret))).ToList();
            // A blob's error is reported once, at its first path; its findings at every path that introduced them.
            ContentResult toReport = (result.Error is null || reported.Add(change.Blob) ? result : result with { Error = null }) with { Hits = fresh };
            if (toReport.Hits.Count == 0 && toReport.Error is null)
            {
                continue;
            }
            foreach (SecretFinding finding in Report(toReport, file, SecretSource.History, options, host, repo.Lookup<Commit>(commits[i])))
            {
                yield return finding;
            }
        }
    }

    /// <summary>
    /// What one commit added to one file, scanned: the lines the previous version at that path did not have,
    /// with <see cref="AddedText.Context"/> lines around them (all of a new file). A hit counts when one of
    /// its lines is added. Patterns run in those windows only; a Kubernetes Secret's values are still read
    /// from the whole document, because they are only secrets under their kind. One per worker thread.
    /// </summary>
    private sealed class ChangeScanner : IDisposable
    {
        /// <summary>Text kept per worker for the next change at the same path; beyond it the cache starts over.</summary>
        private const long CacheChars = 4L * 1024 * 1024;

        private readonly GitObjectReader _objects;
        private readonly SecretScanOptions _options;
        private readonly SecretScanStatistics _stats;
        private readonly ConcurrentDictionary<(ObjectId, bool), ContentResult> _whole;
        private readonly Dictionary<string, int> _remaining = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (ObjectId Blob, string Text)> _latest = new(StringComparer.Ordinal);
        private long _cached;

        /// <summary>
        /// <paramref name="whole"/> is shared by the workers: what scanning a whole blob found (a file added, copied
        /// or moved), by blob and by whether it is read as a manifest. <paramref name="paths"/> are the paths of the
        /// changes this worker will scan, so that it forgets a text after its path's last change.
        /// </summary>
        public ChangeScanner(string gitDir, SecretScanOptions options, SecretScanStatistics stats, ConcurrentDictionary<(ObjectId, bool), ContentResult> whole, IEnumerable<string> paths)
        {
            _objects = new GitObjectReader(gitDir);
            _options = options;
            _stats = stats;
            _whole = whole;
            foreach (string path in paths)
            {
                _remaining[path] = _remaining.GetValueOrDefault(path) + 1;
            }
        }

        public void Dispose() => _objects.Dispose();

        public ContentResult Scan(FileChange change, string relative)
        {
            string? before = null;
            if (change.Before is ObjectId old)
            {
                before = _latest.TryGetValue(relative, out var latest) && latest.Blob == old ? latest.Text : Text(old);
            }
            bool manifest = SecretScanner.IsManifestPath(relative);
            if (before is null && _whole.TryGetValue((change.Blob, manifest), out ContentResult? known))
            {
                Forget(relative);
                return known;
            }
            ContentResult result = Scan(change.Blob, before, relative, out string? text);
            if (before is null)
            {
                _whole.TryAdd((change.Blob, manifest), result);
            }
            Remember(relative, change.Blob, text);
            return result;
        }

        private ContentResult Scan(ObjectId blob, string? before, string relative, out string? text)
        {
            text = null;
            ContentKind kind;
            int invalidAt, length;
            try
            {
                (long size, _) = _objects.ReadHeader(blob);
                if (size > _options.MaxFileSize)
                {
                    _stats.Large();
                    return TooLarge(relative, size, _options);
                }
                // Decoded straight from libgit2's buffer: no managed copy of the bytes.
                (text, kind, invalidAt, length) = _objects.Read(blob, (data, _) => (SecretText.Decode(data, out ContentKind k, out int at), k, at, data.Length));
            }
            catch (LibGit2SharpException e)
            {
                return new ContentResult(Array.Empty<SecretHit>(), new ScanError(ErrorIds.GitReadFailed, ScanErrorCategory.ReadError,
                    e is NotFoundException ? $"Blob {blob.Sha[..12]} is missing from the object database (a partial or shallow clone?)." : $"Blob {blob.Sha[..12]} could not be read: {e.Message}", relative, Exception: e));
            }
            if (text is null)
            {
                _stats.Binary();
                return Nothing;
            }
            ScanError? encoding = kind == ContentKind.InvalidText
                ? new ScanError(ErrorIds.SecretInvalidEncoding, ScanErrorCategory.InvalidData,
                    $"The file is not valid UTF-8 (invalid byte at offset {invalidAt}); it was scanned with the invalid bytes replaced.", relative)
                : null;
            if (before is null)
            {
                _stats.Scanned(length);
                return SecretSearch.Scan(text, relative, _options, encoding);
            }
            int[] starts = SecretText.LineStarts(text);
            List<(int From, int To)> added = AddedText.Lines(before, SecretText.LineStarts(before), text, starts);
            if (added.Count == 0)
            {
                return Nothing; // lines removed or reordered: nothing new to find
            }
            var regions = new List<(int Start, int Length)>();
            foreach (var (from, to) in AddedText.Windows(added, starts.Length))
            {
                int start = starts[from - 1], end = to < starts.Length ? starts[to] : text.Length;
                regions.Add((start, end - start));
                _stats.Scanned(end - start);
            }
            ContentResult scanned = SecretSearch.Scan(text, relative, _options, encoding, regions);
            return scanned with { Hits = scanned.Hits.Where(h => AddedText.Touches(added, h.FirstLine, h.EndLine)).ToList() };
        }

        /// <summary>The text of a version a change replaced, or null when it is unreadable, too large or binary (then all of the new version counts as added).</summary>
        private string? Text(ObjectId id)
        {
            try
            {
                return _objects.ReadHeader(id).Size <= _options.MaxFileSize ? _objects.Read(id, (data, type) => SecretText.Decode(data, out ContentKind _, out int _)) : null;
            }
            catch (LibGit2SharpException)
            {
                return null;
            }
        }

        private void Remember(string path, ObjectId blob, string? text)
        {
            Forget(path);
            if (text is null || _remaining[path] == 0)
            {
                return;
            }
            if (_cached + text.Length > CacheChars)
            {
                _latest.Clear();
                _cached = 0;
            }
            _latest[path] = (blob, text);
            _cached += text.Length;
        }

        /// <summary>Counts one change at <paramref name="path"/> done and drops the text kept for it.</summary>
        private void Forget(string path)
        {
            _remaining[path]--;
            if (_latest.Remove(path, out var kept))
            {
                _cached -= kept.Text.Length;
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
