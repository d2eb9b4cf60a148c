using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Trust;
using SqliteBackup.Core.Verification;
using ZstdSharp;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// A snapshot into an incremental repository: the engine's capture is reused unchanged, and <see cref="Write"/> reads the
/// raw snapshot block by block, hashing each block and the whole image; a block whose hash the parent snapshot's packs
/// (or this backup) already hold is referenced, a new one is compressed into a pack. Packs and their indexes are put
/// before the manifest, which is written last and create-only: a snapshot exists only when its manifest does, and every
/// pack it names is there. A failure after packs became visible leaves them for prune (nothing references them).
/// </summary>
internal sealed class RepositoryTarget(IBackupStore store, string tempFolder, string? localDirectory, int? blockSize,
    Encryption.BackupEncryption? encryption = null) : BackupTarget, IDisposable
{
    const int ReadChunk = 1 << 20;

    ILogger _log = NullLogger.Instance;
    RepositoryConfig? _config;
    RepositoryKey? _key;
    IDisposable? _lock;
    IReadOnlyList<StoredObject> _listing = [];
    List<PackRef> _added = [];
    PackLocks _locks = PackLocks.None;
    string? _scratchPath;

    /// <summary>What the last <see cref="Write"/> did, for tests and measurements.</summary>
    public WriteStats? Stats { get; private set; }

    /// <param name="Rested">How long reading rested for the application's writer (see <see cref="ImageReader"/>).</param>
    public sealed record WriteStats(long Blocks, long NewBlocks, long NewRawBytes, long PacksWritten, long BytesWritten, string? Parent, TimeSpan Elapsed,
        TimeSpan Rested = default);

    public override string TempFolder => tempFolder;

    /// <summary>Standard and Full decrypt packs with the repository key this writer unlocked (see <see cref="Verify"/>), never with a recipient's identity.</summary>
    public override bool OpensOwnEncryption => true;

    public override void CheckBeforeOpen(bool allowInsecureDirectory)
    {
        // A location that asks for a lock it cannot give (?lock-mode= on a bucket without Object Lock) writes nothing,
        // not even the repository's config.
        (store as IObjectLockStore)?.CanLock();
        // Refused before the database is opened, so a wrong -BlockSize or a config from a newer module leaves no trace.
        if (RepositoryConfig.Read(store) is { } existing)
        {
            RepositoryConfig.CheckBlockSize(existing, store.Location, blockSize);
            RepositoryConfig.CheckEncryption(existing, store.Location, encryption);
            // A writer that cannot open the repository key (another identity, another passphrase) stops here too.
            if (encryption != null)
            {
                _key = RepositoryKey.Open(store, encryption.WriterKeys);
                RepositoryConfig.CheckKey(existing, store.Location, _key);
            }
        }
    }

    public override void Prepare(bool allowInsecureDirectory, ILogger log)
    {
        _log = log;
        _config = RepositoryConfig.OpenOrCreate(store, blockSize, encryption, out var key);
        _key ??= key;
        _lock = RepositoryLockSeam.Shared(store, "backup", TimeSpan.FromSeconds(30), log, CancellationToken.None);
    }

    public override string PathOf(string name) => localDirectory != null ? Path.Combine(localDirectory, name) : store.Location.TrimEnd('/') + "/" + name;

    public override Task Write(string name, Func<Stream> openInput, long length, BackupRequest request, BackupManifest manifest, Task? alongside,
        string activity, string status, Action<BackupProgress>? progress, List<string> temps, CancellationToken ct)
    {
        _scratchPath = request.ScratchPath;
        // On low-priority threads, as a plain backup compresses: the application's own writers come first. Progress is
        // reported here, the only thread allowed to.
        ImageReader? reader = null;
        var work = BackgroundPriority.Run(() =>
        {
            using var input = openInput();
            WriteBlocks(name, input, length, manifest, r => reader = r, ct);
        });
        // The other reader of the snapshot finishes before the caller rolls the snapshot back, whatever happened here.
        WaitReporting(alongside == null ? work : Task.WhenAll(work, alongside), () => Volatile.Read(ref reader)?.Consumed ?? 0, length, activity,
            "Reading, hashing and packing new blocks: ", progress);
        return work;
    }

    void WriteBlocks(string name, Stream input, long length, BackupManifest manifest, Action<ImageReader> started, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        int size = _config!.BlockSize;
        long blockCount = (length + size - 1) / size;
        // Reading (and the whole-image hash) starts at once, beside the parent's indexes being loaded.
        // A snapshot read from the database file itself can see the application's writer committing (see ImageReader).
        var writerActive = input is Snapshot.SqliteOwnFileStream own ? Snapshot.WalIndex.WriterWatch(own.File, TimeSpan.FromMilliseconds(250)) : null;
        using var reader = new ImageReader(input, length, Math.Max(ReadChunk, size), ct, writerActive);
        started(reader);
        _listing = store.List(ct);
        BackupNaming.TryParseSnapshot(name, out var parsed);
        var parent = ParentSnapshot.Find(store, _listing, parsed.Database, manifest.Database, size, _log, ct);
        // As a plain backup to a store is locked: until the retention that applies without one could keep it.
        _locks = PackLocks.For(store, Retention.RetentionPolicy.Default, manifest.CreatedUtc, ct);
        var loaded = clock.Elapsed;

        // Every pack a block may live in, by key: a parent's pack by name, a new one by its pending object.
        var keys = new List<object>();
        var known = new Dictionary<BlockHash, (int Key, int Entry, int Stored)>(parent?.Indexes.Sum(i => i.Count) ?? 0);
        if (parent != null)
            for (int p = 0; p < parent.Packs.Count; p++)
            {
                keys.Add(parent.Packs[p].Name);
                for (int e = 0; e < parent.Indexes[p].Count; e++) known.TryAdd(parent.Indexes[p][e].Hash, (p, e, parent.Indexes[p][e].StoredLength));
            }
        var keyOfPending = new Dictionary<PackWriter.Pending, int>();

        var refs = new (int Key, int Entry)[blockCount];
        var counted = new HashSet<long>();
        long storedSize = 0;
        using var packs = new PackWriter(store, ct, _locks, _key);
        // The same list as it grows: a failure part-way still tells Discard what was left behind.
        _added = packs.Written;
        long block = 0;
        foreach (var chunk in reader.Chunks())
        {
            ct.ThrowIfCancellationRequested();
            var bytes = chunk.Span;
            for (int at = 0; at < bytes.Length; at += size, block++)
            {
                var data = bytes.Slice(at, Math.Min(size, bytes.Length - at));
                var hash = _key?.BlockId(data) ?? BlockHash.Of(data);
                if (!known.TryGetValue(hash, out var where))
                {
                    var (pending, entry, stored) = packs.Add(data, hash);
                    if (!keyOfPending.TryGetValue(pending, out int key))
                    {
                        keyOfPending[pending] = key = keys.Count;
                        keys.Add(pending);
                    }
                    known[hash] = where = (key, entry, stored);
                }
                refs[block] = (where.Key, where.Entry);
                if (counted.Add(((long)where.Key << 32) | (uint)where.Entry)) storedSize += where.Stored;
            }
        }
        packs.Finish();
        var rawSha256 = reader.Sha256();

        // Packs of the new snapshot, in order of first use.
        var order = new int[keys.Count];
        Array.Fill(order, -1);
        var used = new List<object>();
        var list = new List<BlockRef>(refs.Length);
        foreach (var (key, entry) in refs)
        {
            if (order[key] < 0)
            {
                order[key] = used.Count;
                used.Add(keys[key]);
            }
            list.Add(new BlockRef(order[key], entry));
        }
        var sizes = _listing.ToDictionary(o => o.Name, o => o.Size, StringComparer.Ordinal);
        foreach (var w in packs.Written) sizes[w.Name] = w.Size;
        string NameOf(object key) => key as string ?? ((PackWriter.Pending)key).Name!;
        var packList = used.Select(k => new PackRef(NameOf(k), sizes[NameOf(k)])).ToList();
        // Before the manifest names them: no snapshot exists whose packs may go before it.
        _locks.Extend(used.OfType<string>(), _log, store.Location, ct);
        var (blocks, blocksSha) = BlockList.Encode(list);

        manifest.SchemaVersion = BackupManifest.SnapshotSchemaVersion;
        manifest.Compression = CompressionKind.Zstd;
        manifest.RawSize = length;
        manifest.RawSha256 = Convert.ToHexString(rawSha256).ToLowerInvariant();
        manifest.StoredSize = storedSize;
        // A snapshot has no stored object of its own; the hash of its block list is what identifies its stored form.
        manifest.StoredSha256 = blocksSha;
        manifest.Repository = new SnapshotRepository
        {
            BlockSize = size,
            BlockCount = blockCount,
            Packs = packList,
            Blocks = blocks,
            BlocksSha256 = blocksSha,
            AddedPacks = packs.Written.Select(p => p.Name).ToList(),
            AddedSize = packs.Written.Sum(p => p.Size),
            Parent = parent?.Manifest.Id,
        };
        Stats = new WriteStats(blockCount, packs.BlocksWritten, packs.RawBytesWritten, packs.Written.Count, packs.Written.Sum(p => p.Size), parent?.Manifest.Id, clock.Elapsed, reader.Rested);
        _log.LogDebug("Snapshot {Name}: {Blocks} blocks, {New} new ({NewBytes} bytes raw) in {Packs} pack(s) of {Stored} bytes; parent {Parent} loaded in {LoadMs} ms; {Ms} ms, of which {RestedMs} ms rested for a writer",
            name, blockCount, packs.BlocksWritten, packs.RawBytesWritten, packs.Written.Count, Stats.BytesWritten, parent?.Manifest.File ?? "none",
            (long)loaded.TotalMilliseconds, clock.ElapsedMilliseconds, (long)reader.Rested.TotalMilliseconds);
    }

    public override BackupInfo Publish(string name, BackupManifest manifest) => localDirectory != null
        ? new BackupInfo(manifest, Path.Combine(localDirectory, name + BackupManifest.Suffix))
        : new BackupInfo(manifest, store.Location, name + BackupManifest.Suffix);

    public override VerificationResult Verify(BackupVerifier verifier, BackupInfo info, VerificationLevel level, FreshCapture? fresh,
        Action<BackupProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var total = Stopwatch.StartNew();
        var m = info.Manifest;
        var checks = new List<CheckResult>();
        string? note = null;
        bool Run(string check, Func<(bool, string)> body)
        {
            var sw = Stopwatch.StartNew();
            (bool ok, string message) r;
            try { r = body(); }
            catch (SqliteBackupException e) when (e.ErrorId is "RepositoryDamaged" or "RepositoryPackMissing") { r = (false, e.Message); }
            checks.Add(new CheckResult(check, r.ok ? VerificationOutcome.Passed : VerificationOutcome.Failed, sw.Elapsed, r.message, r.ok ? note : null));
            note = null;
            _log.LogDebug("Check {Check}: {Ms} ms, {Message}", check, sw.ElapsedMilliseconds, r.message);
            return r.ok;
        }
        string activity = "Verifying " + m.File;
        progress?.Invoke(new BackupProgress(activity, "Checking the packs are present", 0));
        bool ok = Run("PacksPresent", () =>
        {
            var problems = SnapshotReader.QuickCheck(store, m, null, ct);
            return problems.Count == 0 ? (true, $"{m.Repository!.Packs.Count} pack(s) present with their sizes") : (false, string.Join("; ", problems.Take(5)));
        });
        if (ok && level == VerificationLevel.Standard)
        {
            ok = Run("QuickCheck", () => fresh?.SnapshotQuickCheck is { } q ? q() : fresh?.RawCopy is { } raw ? QuickCheckFile(raw)
                : (false, "no fresh capture to check"))
                && Run("PacksReadBack", () => ReadBack(m.File, progress, activity, ct))
                && Run("ReusedPacks", () => HashReused(m, progress, activity, ct, out note));
        }
        else if (ok && level >= VerificationLevel.Full)
        {
            // Reassembled into a private file and checked exactly as a plain backup is.
            using var scratch = ScratchDirectory.Create(_scratchPath, localDirectory ?? Path.GetTempPath(), _log);
            string image = scratch.File(m.File + ".db");
            ok = Run("Reassemble", () =>
            {
                progress?.Invoke(new BackupProgress(activity, "Reassembling the snapshot", 10));
                SnapshotReader.Reassemble(store, m, image, null, ct, _key);
                return (true, $"{m.RawSize} bytes, every block and the image match their SHA-256");
            });
            if (ok)
            {
                var plain = new BackupManifest
                {
                    Id = m.Id, File = Path.GetFileName(image), Database = m.Database, CreatedUtc = m.CreatedUtc, Type = m.Type,
                    Compression = CompressionKind.None, RawSize = m.RawSize, StoredSize = m.RawSize, RawSha256 = m.RawSha256, StoredSha256 = m.RawSha256,
                    PageSize = m.PageSize, PageCount = m.PageCount, TableRowCounts = m.TableRowCounts,
                };
                var inner = verifier.Verify(new BackupInfo(plain, image + BackupManifest.Suffix), null, level, null, progress, ct, record: false, fresh: null);
                checks.AddRange(inner.Checks);
                return new VerificationResult(info, level, started, checks, total.Elapsed, inner.Error, inner.Cause);
            }
        }
        return new VerificationResult(info, level, started, checks, total.Elapsed);
    }


    static (bool, string) QuickCheckFile(string path)
    {
        var csb = new SqliteConnectionStringBuilder { DataSource = new Uri(path).AbsoluteUri + "?immutable=1", Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var c = new SqliteConnection(csb.ToString());
        c.Open();
        var rows = Snapshot.SqliteFiles.Column(c, "PRAGMA quick_check");
        return rows is ["ok"] ? (true, "ok (on the snapshot as it was read)") : (false, string.Join("; ", rows.Take(5)));
    }

    /// <summary>Each pack this backup wrote, read back once: its bytes give its name, and each block decompresses to its hash.</summary>
    (bool, string) ReadBack(string snapshot, Action<BackupProgress>? progress, string activity, CancellationToken ct)
    {
        using var decompressor = new Decompressor();
        long bytes = 0;
        foreach (var pack in _added)
        {
            ct.ThrowIfCancellationRequested();
            var index = PackIndex.Read(store, pack.Name, snapshot, ct);
            byte[] data;
            try { data = store.ReadAllBytes(pack.Name, ct, PackWriter.PackTargetBytes + (RepositoryConfig.MaxBlockSize * 2)); }
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { return (false, $"{pack.Name} is missing"); }
            string sha = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
            if (sha != RepositoryNames.HashOfPack(pack.Name)) return (false, $"{pack.Name} reads back with SHA-256 {sha}");
            if (!PackIndex.SizeFits(index, data.Length, _key != null)) return (false, $"{pack.Name} is {data.Length} bytes, its index describes {PackIndex.PackSize(index)} bytes of frames");
            var frames = data;
            if (_key != null)
            {
                using var plain = new MemoryStream((int)PackIndex.PackSize(index));
                try { using (var open = _key.OpenPack(new MemoryStream(data), pack.Name)) open.CopyTo(plain); }
                catch (SqliteBackupException e) when (e.ErrorId is "EncryptedDataDamaged") { return (false, e.Message); }
                frames = plain.ToArray();
                if (frames.Length != PackIndex.PackSize(index)) return (false, $"{pack.Name} decrypts to {frames.Length} bytes, its index describes {PackIndex.PackSize(index)}");
            }
            var raw = new byte[RepositoryConfig.MaxBlockSize];
            for (int i = 0; i < index.Count; i++)
            {
                var e = index[i];
                int n = decompressor.Unwrap(frames.AsSpan((int)e.Offset, e.StoredLength), raw);
                if (n != e.RawLength || (_key?.BlockId(raw.AsSpan(0, n)) ?? BlockHash.Of(raw.AsSpan(0, n))) != e.Hash) return (false, $"entry {i} of {pack.Name} does not decompress to its block id");
            }
            bytes += data.Length;
            progress?.Invoke(new BackupProgress(activity, $"Read back {bytes / 1048576:N0} MiB of new packs", 60));
        }
        return (true, $"{_added.Count} new pack(s), {bytes} bytes, read back and every block matches its SHA-256");
    }

    /// <summary>
    /// The packs this snapshot shares with earlier ones, hashed against their names: a byte damaged since they were
    /// written would otherwise pass as a Standard snapshot that cannot be restored. In a directory a pack whose file is
    /// provably the one hashed before (see <see cref="PackHashLedger"/>) is trusted, apart from a rolling share re-read
    /// for media decay; the message says which were read and which were trusted. On a remote store every backup would
    /// download the whole repository, so there they are only checked present with their sizes. Test-SqliteBackup
    /// -VerificationLevel Standard and Test-SqliteBackupRepository read them all.
    /// </summary>
    (bool, string) HashReused(BackupManifest m, Action<BackupProgress>? progress, string activity, CancellationToken ct, out string? note)
    {
        note = null;
        var added = _added.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var reused = m.Repository!.Packs.Where(p => !added.Contains(p.Name)).ToList();
        if (reused.Count == 0) return (true, "no pack shared with earlier snapshots");
        if (localDirectory == null)
        {
            note = $"{reused.Count} shared pack(s) checked present with their sizes, not read back from the remote store";
            return (true, $"{reused.Count} pack(s) shared with earlier snapshots present with their sizes (not read back from a remote store)");
        }
        // Without the status-change time (Windows) nothing can prove a file unchanged: every shared pack is hashed.
        var ledger = Posix.Supported ? PackHashLedger.Load(store, _log, ct) : null;
        var plan = ledger?.Split(reused, name => Posix.Lstat(Path.Combine(localDirectory, name)), PackHashLedger.RacyMargin)
            ?? new PackHashLedger.Plan(reused, [], reused.Count, 0, null);
        long bytes = 0;
        foreach (var pack in plan.Hash)
        {
            ct.ThrowIfCancellationRequested();
            var hashedUtc = DateTime.UtcNow;
            string sha;
            FileStatus? identity = null;
            try
            {
                using var input = store.OpenRead(pack.Name, ct);
                var before = Posix.Supported && input is FileStream fs ? Posix.Fstat(fs.SafeFileHandle) : (FileStatus?)null;
                sha = Convert.ToHexString(SHA256.HashData(input)).ToLowerInvariant();
                // Changed while it was read: proves this read only, not the file as it is now.
                if (before is { } b && Posix.Fstat(((FileStream)input).SafeFileHandle) == b) identity = b;
            }
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { return (false, $"{pack.Name} is missing"); }
            if (sha != RepositoryNames.HashOfPack(pack.Name))
                return (false, $"{pack.Name}, shared with earlier snapshots, is damaged (it reads back with SHA-256 {sha}); this snapshot and the earlier ones that use it can not be restored. Run Test-SqliteBackupRepository to see which, and take a full backup into a new repository");
            if (identity is { } id) ledger?.Record(pack.Name, PackHashLedger.Entry.Of(id, hashedUtc));
            bytes += pack.Size;
            progress?.Invoke(new BackupProgress(activity, $"Hashed {bytes / 1048576:N0} MiB of shared packs", 80));
        }
        ledger?.Save(store, _log, ct);
        string read = $"{plan.Hash.Count} read back ({bytes} bytes: {plan.Changed} not hashed since they last changed, {plan.Rolling} the oldest-hashed share) and match their names' SHA-256";
        if (plan.Trusted.Count == 0) return (true, $"{reused.Count} pack(s) shared with earlier snapshots, {bytes} bytes, read back: they match their names' SHA-256");
        long trustedBytes = plan.Trusted.Sum(p => p.Size);
        note = $"{plan.Hash.Count} of {reused.Count} shared pack(s) read back; {plan.Trusted.Count} trusted: their files are unchanged since they were hashed";
        return (true, $"{reused.Count} pack(s) shared with earlier snapshots: {read}; {plan.Trusted.Count} ({trustedBytes} bytes) not read: "
            + $"their files (size, inode, modification and status-change times) are unchanged since each was hashed in full, the oldest at {plan.OldestTrustedHashUtc:yyyy-MM-dd HH:mm:ss} UTC; "
            + $"each backup re-reads the oldest-hashed 1/{PackHashLedger.RollingCycle} of them. Test-SqliteBackup -VerificationLevel Standard reads them all");
    }

    public override void WriteManifest(BackupInfo info, byte[] json, CancellationToken ct)
    {
        string name = info.Manifest.File + BackupManifest.Suffix;
        store.PutManifest(name, json, ms => _locks.Put(store, name, ms, null, ct), ct);
        Release();
    }

    public override void Discard(string name, ILogger log)
    {
        if (_added.Count > 0)
            log.LogInformation("The failed snapshot {Name} left {Count} pack(s) in {Location}; nothing references them, and the next prune removes them",
                name, _added.Count, store.Location);
        Release();
    }

    void Release()
    {
        try { _lock?.Dispose(); }
        catch (Exception e) when (e is SqliteBackupException or IOException or TimeoutException)
        {
            _log.LogWarning("Could not release the repository lock in {Location}: {Message}; it goes stale and is removed later", store.Location, e.Message);
        }
        _lock = null;
    }

    public void Dispose() => Release();
}
