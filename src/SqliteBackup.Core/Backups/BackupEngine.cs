using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Backups;

/// <summary>
/// Takes backups. The order of work is what makes a backup trustworthy: read one consistent snapshot, compress and
/// hash it in one pass into a private temporary file published by rename (or, for a store, straight into its upload:
/// see <see cref="BackupTarget"/>), verify what was published where it landed, and only then write the manifest, the one
/// thing that makes the backup exist.
/// </summary>
public sealed class BackupEngine(ILogger? logger = null)
{
    const int Buffer = 1 << 20;
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public BackupInfo Create(BackupRequest request, Action<BackupProgress>? progress = null, CancellationToken ct = default) =>
        request.Incremental ? Repository.IncrementalBackup.CreateLocal(request, _log, progress, ct)
        : Create(request, new DirectoryTarget(request.ResolveDestination()), progress, ct);

    /// <summary>A new backup straight into a store; local temporaries (a backup-API snapshot copy) go to <paramref name="tempFolder"/>.</summary>
    internal BackupInfo Create(BackupRequest request, IBackupStore store, string tempFolder, Action<BackupProgress>? progress = null, CancellationToken ct = default) =>
        Create(request, new StoreTarget(store, tempFolder), progress, ct);

    internal BackupInfo Create(BackupRequest request, BackupTarget target, Action<BackupProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string source = Path.GetFullPath(request.DatabasePath);
        string database = BackupNaming.DatabaseName(source);
        var temps = new List<string>();
        string? name = null;
        try
        {
            if (Directory.Exists(source)) throw BackupErrors.DatabasePathIsDirectory(source);
            if (!File.Exists(source)) throw BackupErrors.DatabaseNotFound(source);
            // Checked by name (stat only): no descriptor of ours is opened on the database.
            if (new FileInfo(source).Length == 0) throw BackupErrors.DatabaseFileEmpty(source);
            target.CheckBeforeOpen(request.AllowInsecureDirectory);
            // Opened before anything is written, so a file that is not a database leaves no trace.
            using var src = OpenSource(source, request.BusyTimeout);
            target.Prepare(request.AllowInsecureDirectory, _log);

            var createdUtc = DateTime.UtcNow;
            string id = BackupNaming.NewId();
            name = target is Repository.RepositoryTarget
                ? BackupNaming.SnapshotFileName(database, createdUtc, request.Type, id)
                : BackupNaming.FileName(database, createdUtc, request.Type, id, request.Compression, request.Encryption != null);
            string finalPath = target.PathOf(name);
            _log.LogInformation(BackupEvents.BackupStarted, "Backing up {Database} from {Source} to {Path}", database, source, finalPath);
            var manifest = new BackupManifest
            {
                Id = id,
                File = name,
                Database = database,
                SourcePath = source,
                CreatedUtc = createdUtc,
                Type = request.Type,
                Compression = request.Compression,
                Tags = request.Tags.Distinct(StringComparer.Ordinal).ToList(),
                Tool = $"SqliteBackup {typeof(BackupEngine).Assembly.GetName().Version?.ToString(3)}",
            };
            Capture(src, source, target, name, request, manifest, temps, progress, ct, out var fresh);
            _log.LogDebug("Snapshot, compression and hashing: {Ms} ms ({Method})", clock.ElapsedMilliseconds, manifest.SnapshotMethod);
            request.Encryption?.Seal(manifest);

            var info = target.Publish(name, manifest);

            var level = request.Verify;
            // A writer that is not among its own recipients can not decrypt a plain backup it wrote: its stored bytes are
            // still checked. Into a repository it holds the repository key, which is all the checks there need.
            if (request.Encryption != null && request.Encryption.OwnKeys == null && !target.OpensOwnEncryption && level > VerificationLevel.Quick)
            {
                _log.LogWarning("The writer's identity is not one of the recipients, so backup {Id} is verified at Quick level only (its stored SHA-256); add its public key to the recipients for {Level}", id, level);
                level = VerificationLevel.Quick;
            }
            if (level != VerificationLevel.None)
            {
                var phase = Stopwatch.StartNew();
                var result = target.Verify(new BackupVerifier(_log, request.ScratchPath, request.Encryption?.OwnKeys), info, level, fresh, progress, ct);
                // A check that could not run fails the backup with its real cause (DiskFull...), not as a bad backup.
                if (result.Inconclusive) throw BackupErrors.NewBackupNotVerified(result.Error!);
                if (!result.Passed) throw BackupErrors.VerificationFailed(finalPath, result.Message);
                manifest.Verifications.Add(result.ToRecord());
                _log.LogDebug("Verification: {Ms} ms", phase.ElapsedMilliseconds);
            }
            manifest.DurationMs = clock.ElapsedMilliseconds;
            target.WriteManifest(info, manifest.ToJson(), ct);
            _log.LogInformation(BackupEvents.BackupSucceeded, "Backup {Id} of {Database} written to {Path}: {StoredSize} bytes stored, {RawSize} raw, in {DurationMs} ms",
                id, database, finalPath, manifest.StoredSize, manifest.RawSize, manifest.DurationMs);
            progress?.Invoke(new BackupProgress("Backing up " + database, "Done", 100, Completed: true));
            return info;
        }
        catch (Exception e)
        {
            if (name != null) target.Discard(name, _log);
            if (e is OperationCanceledException) throw;
            var mapped = Map(e, source, target.TempFolder);
            _log.LogError(BackupEvents.BackupFailed, mapped, "Backup of {Database} from {Source} failed ({ErrorId}): {Error}", database, source, mapped.ErrorId, mapped.Message);
            throw mapped;
        }
        finally
        {
            foreach (var t in temps)
            foreach (var side in new[] { "", "-journal", "-wal", "-shm" })
                AtomicFile.TryDelete(t + side);
        }
    }

    static SqliteBackupException Map(Exception e, string source, string destDir) => e switch
    {
        SqliteBackupException sbe => sbe,
        SqliteException se when SqliteFiles.IsBusy(se) => BackupErrors.DatabaseLocked(source, TimeSpan.Zero, se),
        SqliteException se when SqliteFiles.IsCorrupt(se) => BackupErrors.DatabaseCorrupt(source, se.Message, se),
        _ when BackupErrors.IsDiskFull(e) => BackupErrors.DiskFull(destDir, e),
        // The destination is a fresh file of ours without a journal: a hot journal or an unreadable WAL is the source's.
        SqliteException se when SqliteFailureCauses.IsHotJournal(se) => BackupErrors.SourceNeedsRecovery(source, se),
        SqliteException se when SqliteFailureCauses.IsUnreadableWal(source, se) => BackupErrors.SourceReadOnlyWal(source, se),
        SqliteException se when se.SqliteErrorCode is 14 or 8 or 10 => BackupErrors.DestinationNotWritable(destDir, se), // CANTOPEN, READONLY, IOERR
        IOException or UnauthorizedAccessException => BackupErrors.DestinationNotWritable(destDir, e),
        _ => BackupErrors.BackupFailed(source, e),
    };

    /// <summary>Reads one consistent snapshot into the target's stored bytes; fills the manifest's metadata, sizes and hashes.</summary>
    /// <param name="fresh">What the capture already proved for the verification that follows (see <see cref="FreshCapture"/>).</param>
    void Capture(SqliteConnection src, string source, BackupTarget target, string name, BackupRequest request, BackupManifest manifest, List<string> temps,
        Action<BackupProgress>? progress, CancellationToken ct, out FreshCapture? fresh)
    {
        fresh = null;
        var started = DateTime.UtcNow;
        var own = SqliteOwnFile.Of(src);
        string journalMode = SnapshotCopier.JournalMode(src, source, request.BusyTimeout, started);
        manifest.JournalMode = journalMode;
        if (journalMode == "wal" && request.AllowFileRead && own != null)
        {
            if (TryCaptureByFileRead(src, own, source, target, name, request, manifest, temps, started, progress, ct, out fresh)) return;
        }
        CaptureByBackupApi(src, source, target, name, request, manifest, temps, progress, ct, out string rawTemp);
        // The backup API's own copy is the raw snapshot, already on disk; without compression it is the stored file, which
        // SQLite must not open once published, so the verifier decompresses as usual.
        if (request.Verify >= VerificationLevel.Standard && (request.Compression != CompressionKind.None || !target.AdoptsRawCopy)) fresh = new FreshCapture(rawTemp, null);
    }

    bool TryCaptureByFileRead(SqliteConnection src, SqliteOwnFile own, string source, BackupTarget target, string name, BackupRequest request, BackupManifest manifest,
        List<string> temps, DateTime started, Action<BackupProgress>? progress, CancellationToken ct, out FreshCapture? fresh)
    {
        fresh = null;
        using var snapshot = PinCheckpointedSnapshot(src, own, source, request, started, out long length, ct);
        if (snapshot == null) return false;
        manifest.SnapshotMethod = SnapshotMethod.FileRead;
        var frozen = WalIndex.CheckpointState(own);
        // Standard's quick_check reads every page of the image again through SQLite: through a mapping of the file rather
        // than one pread per page (half its CPU time on the bench VM, where a system call is dear). Row counts alone read
        // few pages and measured slower mapped (page faults beside the image's reader), so Quick stays on pread. The file
        // cannot shrink while it is mapped: our read transaction holds the lock every checkpoint must take before it
        // writes or truncates the file (the tripwire below checks that none began).
        if (request.Verify == VerificationLevel.Standard) SqliteFiles.Exec(src, $"PRAGMA mmap_size={length}");
        request.OnFileReadPinned?.Invoke();
        // The file is frozen while our read transaction lasts, so it can be compressed (into a temporary file, or into a
        // store's upload) while another thread counts rows through the same snapshot.
        // Row counts scan the whole snapshot too, so they also run at background priority, beside the compression; so does
        // Standard verification's quick_check, on the very pages being compressed (the file is frozen; see below).
        Func<(bool, string)>? quickCheck = null;
        var metadata = BackgroundPriority.Run(() =>
        {
            FillMetadata(src, source, manifest);
            if (request.Verify == VerificationLevel.Standard) quickCheck = SnapshotQuickCheck(src);
        });
        var store = target.Write(name, () => new SqliteOwnFileStream(own, length), length, request, manifest, metadata,
            "Backing up " + manifest.Database, "Reading and compressing: ", progress, temps, ct);
        // A tripwire behind the locking argument: no checkpoint began while the file was read (a checkpoint records that
        // it began, in nBackfillAttempted, before it writes). It must never fire; if it does, nothing is published, and
        // damage seen meanwhile is blamed on the moving file, not on a healthy source.
        bool moved = frozen is not { } before || WalIndex.CheckpointState(own) is not { } after || WalIndex.Checkpoints.CheckpointedBetween(before, after);
        try
        {
            store.GetAwaiter().GetResult();
            metadata.GetAwaiter().GetResult();
        }
        catch (Exception e) when (moved && e is not OperationCanceledException) { throw BackupErrors.SnapshotMoved(source, e); }
        if (moved) throw BackupErrors.SnapshotMoved(source);
        snapshot.Rollback();
        if (quickCheck != null) fresh = new FreshCapture(null, quickCheck);
        return true;
    }

    /// <summary>How long a backup waits for an application that is committing to checkpoint its WAL (see below).</summary>
    static readonly TimeSpan CheckpointWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A read transaction begun while every WAL frame is in the database file, so that the file is the snapshot (null: none
    /// could be had, copy through the backup API). An application committing all the time leaves the WAL fully backfilled
    /// only between its checkpoint and its next commit; the backup API's copy instead writes the whole database once more
    /// to disk, beside the application's own fsyncs (measured: a writer's p99 commit latency 2-3x). So while the WAL keeps
    /// moving, the wal-index is watched (for up to <see cref="CheckpointWait"/>) for such a moment; a WAL nobody is
    /// writing to will not be checkpointed by waiting, and is copied at once.
    /// </summary>
    SqliteTransaction? PinCheckpointedSnapshot(SqliteConnection src, SqliteOwnFile own, string source, BackupRequest request, DateTime started,
        out long length, CancellationToken ct)
    {
        length = 0;
        var waited = Stopwatch.StartNew();
        Func<bool>? writing = null;
        while (true)
        {
            var snapshot = src.BeginTransaction(deferred: true);
            try
            {
                // A deferred transaction starts reading at its first statement; this pins the snapshot until Rollback.
                SnapshotCopier.RetryBusy(() => SqliteFiles.Scalar(src, "SELECT count(*) FROM sqlite_schema"), source, request.BusyTimeout, started);
                int pageSize = Convert.ToInt32(SqliteFiles.Scalar(src, "PRAGMA page_size"));
                long pageCount = Convert.ToInt64(SqliteFiles.Scalar(src, "PRAGMA page_count"));
                length = pageSize * pageCount;
                // Checked after the transaction began: if every WAL frame is in the file now, our snapshot is the file.
                bool backfilled = WalIndex.IsFullyBackfilled(own);
                if (backfilled && own.Length() >= length)
                {
                    if (waited.ElapsedMilliseconds > 1) _log.LogDebug("Waited {Ms} ms for the WAL of {Source} to be checkpointed", waited.ElapsedMilliseconds, source);
                    return snapshot;
                }
                snapshot.Rollback();
                snapshot.Dispose();
                if (backfilled) return null;
            }
            catch
            {
                snapshot.Dispose();
                throw;
            }
            writing ??= WalIndex.WriterWatch(own, TimeSpan.FromMilliseconds(100));
            while (!WalIndex.IsFullyBackfilled(own))
            {
                ct.ThrowIfCancellationRequested();
                bool moving = writing();
                if (waited.Elapsed > CheckpointWait || (waited.ElapsedMilliseconds > 100 && !moving))
                {
                    _log.LogDebug("The WAL of {Source} holds frames not yet checkpointed; copying through the backup API", source);
                    return null;
                }
                Thread.Sleep(1);
            }
        }
    }

    void CaptureByBackupApi(SqliteConnection src, string source, BackupTarget target, string name, BackupRequest request, BackupManifest manifest,
        List<string> temps, Action<BackupProgress>? progress, CancellationToken ct, out string rawTemp)
    {
        manifest.SnapshotMethod = SnapshotMethod.BackupApi;
        rawTemp = AtomicFile.TempPathBeside(Path.Combine(target.TempFolder, name));
        temps.Add(rawTemp);
        try { using (PrivateFiles.CreateNew(rawTemp)) { } }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(target.TempFolder, e); }

        string activity = "Backing up " + manifest.Database;
        using (var dest = SqliteFiles.Open(rawTemp, SqliteOpenMode.ReadWrite))
        {
            // The temporary copy needs no crash safety of its own: a crash leaves a stale temporary, never a backup.
            SqliteFiles.Exec(dest, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
            int lastPercent = -1;
            var result = new SnapshotCopier(_log, request.PagesPerStep).Copy(src, dest, source, request.BusyTimeout, (done, total) =>
            {
                int percent = total == 0 ? 100 : (int)(done * 100 / total);
                if (percent == lastPercent) return;
                lastPercent = percent;
                progress?.Invoke(new BackupProgress(activity, $"Copying pages: {done:N0} of {total:N0}", percent));
            }, ct, manifest.JournalMode);
            if (result.Restarts > 0) _log.LogInformation("Concurrent writers restarted the copy {Restarts} time(s)", result.Restarts);
            FillMetadata(dest, source, manifest);
        }

        if (request.Compression == CompressionKind.None && request.Encryption == null && target is DirectoryTarget local)
        {
            manifest.RawSha256 = manifest.StoredSha256 = HashingStream.HashFile(rawTemp, out long length);
            manifest.RawSize = manifest.StoredSize = length;
            local.Adopt(rawTemp);
            return;
        }
        string raw = rawTemp;
        long rawLength = new FileInfo(raw).Length;
        target.Write(name, () => new FileStream(raw, FileMode.Open, FileAccess.Read, FileShare.Read, Buffer, FileOptions.SequentialScan), rawLength,
            request, manifest, null, "Compressing " + manifest.Database, "", progress, temps, ct).GetAwaiter().GetResult();
    }

    /// <summary>quick_check through the snapshot; its outcome (or what it threw) is handed to the verifier to record.</summary>
    static Func<(bool, string)> SnapshotQuickCheck(SqliteConnection c)
    {
        try
        {
            var rows = SqliteFiles.Column(c, "PRAGMA quick_check");
            (bool, string) r = rows is ["ok"] ? (true, "ok (on the snapshot as it was read, the file unchanged meanwhile)") : (false, string.Join("; ", rows.Take(5)));
            return () => r;
        }
        catch (SqliteException e) { return () => throw e; }
    }

    static void FillMetadata(SqliteConnection c, string source, BackupManifest manifest)
    {
        try
        {
            manifest.PageSize = Convert.ToInt32(SqliteFiles.Scalar(c, "PRAGMA page_size"));
            manifest.PageCount = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA page_count"));
            manifest.UserVersion = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA user_version"));
            manifest.SqliteVersion = Convert.ToString(SqliteFiles.Scalar(c, "SELECT sqlite_version()"))!;
            manifest.TableRowCounts = SqliteFiles.RowCounts(c);
        }
        catch (SqliteException e) when (SqliteFiles.IsCorrupt(e))
        {
            throw BackupErrors.DatabaseCorrupt(source, e.Message, e);
        }
    }

    /// <summary>
    /// Read-only, so closing our connection can never checkpoint or otherwise rewrite the source. No memory map until a
    /// file-read snapshot is pinned (the backup API's copy reads while checkpoints may move the file): see there.
    /// </summary>
    static SqliteConnection OpenSource(string source, TimeSpan busyTimeout)
    {
        try
        {
            var c = SqliteFiles.Open(source, SqliteOpenMode.ReadOnly, busyTimeout);
            try
            {
                // The header is read through SQLite's descriptor: a FileStream of ours closed now would drop the locks
                // that another connection of this process (an application hosting the engine) holds on the file.
                var own = SqliteOwnFile.Of(c);
                if (!(own != null ? SqliteFiles.HasSqliteHeader(own) : SqliteFiles.HasSqliteHeader(source))) throw BackupErrors.NotASqliteDatabase(source);
                SqliteFiles.Exec(c, "PRAGMA mmap_size=0");
            }
            catch { c.Dispose(); throw; }
            return c;
        }
        catch (SqliteException e) when (SqliteFiles.IsCorrupt(e)) { throw BackupErrors.NotASqliteDatabase(source); }
    }
}
