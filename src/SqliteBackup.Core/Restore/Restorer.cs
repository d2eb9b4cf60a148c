using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Trust;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Restore;

/// <summary>
/// Restores so the target is never half-written: the backup is checked, decompressed and opened beside the
/// target first; an existing database is saved as a PreRestore backup and then overwritten in one SQLite
/// transaction (safe with other connections open); a missing one is created by rename.
/// </summary>
public sealed class Restorer(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;
    static readonly string[] SideFiles = ["-wal", "-shm", "-journal"];

    /// <summary>A backup from its own store: its directory, or the remote location it was listed from, reached as it was listed.</summary>
    public RestoreResult Restore(BackupInfo backup, RestoreRequest request, Action<BackupProgress>? progress = null, CancellationToken ct = default) =>
        RestoreFrom(backup, null, request, progress, ct);

    /// <summary>
    /// A backup in a store (<paramref name="backup"/> as listed from <paramref name="store"/>): its data object is read once,
    /// as a stream, hashed while it is decompressed into a private folder beside the target (the disk the database goes
    /// to), so no compressed copy is downloaded. The PreRestore backup stays local (<see cref="RestoreRequest.PreRestoreDirectory"/>,
    /// else 'backups' beside the target).
    /// </summary>
    public RestoreResult Restore(BackupInfo backup, IBackupStore store, RestoreRequest request, Action<BackupProgress>? progress = null, CancellationToken ct = default) =>
        RestoreFrom(backup, store, request, progress, ct);

    RestoreResult RestoreFrom(BackupInfo backup, IBackupStore? store, RestoreRequest request, Action<BackupProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string target = ResolveTarget(Path.GetFullPath(request.Destination), request.FollowSymlink);
        if (Directory.Exists(target)) throw BackupErrors.RestoreTargetIsDirectory(target);
        bool exists = File.Exists(target);
        if (exists && !request.Force) throw BackupErrors.RestoreTargetExists(target);
        string activity = $"Restoring {backup.Database} to {target}";
        // What is restored is decided by the manifest as stored now, after the catalogue's trust check, not by the object given.
        // A local backup's directory is a store like any other; it is judged (trust, symlinks, owners) as it is opened.
        using var opened = store != null ? null
            : backup.IsRemote ? backup.OpenStore()
            : new LocalDirectoryStore(backup.Directory, new StoreOptions { AllowInsecureDirectory = request.AllowInsecureDirectory });
        store ??= opened!;
        backup = new StoreCatalog(_log).Check(backup, store, ct);

        progress?.Invoke(new BackupProgress(activity, "Checking the backup", 0));
        // Present and of its size before anything is touched; its bytes are hashed on the one read that decompresses them.
        var present = new BackupVerifier(_log).CheckPresent(backup, store, ct);
        // A check that could not run (no permission, an I/O error) is not a damaged backup: say what stopped it.
        if (present.Inconclusive) throw present.Error!;
        if (!present.Passed) throw BackupErrors.ChecksumMismatch(backup.Path, present.Message);
        // Before anything is touched or decrypted: a backup anyone could have encrypted to our public keys is refused.
        Repository.RepositoryKey? repositoryKey = null;
        if (backup.Manifest.IsSnapshot) repositoryKey = Repository.SnapshotReader.Unlock(store, backup.Manifest, request.Keys, backup.Path, ct);
        else if (backup.Manifest.IsEncrypted)
        {
            var m = backup.Manifest;
            var from = store;
            Encryption.BackupKeys.Authenticate(m, request.Keys, backup.Path, () => from.OpenRead(m.File, ct));
        }

        string targetDir = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(targetDir)) throw BackupErrors.ForWriteFailure(targetDir, new DirectoryNotFoundException($"The folder '{targetDir}' does not exist."));
        RestoreLock restoreLock;
        try { restoreLock = RestoreLock.Acquire(target); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(targetDir, e); }
        using var _ = restoreLock;
        RestoreLock.RemoveLeftovers(target, DateTime.UtcNow, _log);
        // The decompressed copy is checked and read from a private folder in the backup's own (trusted) directory, never
        // beside the target: a user who can write the target's folder could swap a file there, between our writing it and
        // reopening it by name, for a link to a database they may not read (a hostile-user test made root copy one in).
        // A remote backup has no such directory: its private (0700) folder goes in the target's folder, on the same disk.
        using var scratch = ScratchDirectory.Create(null, store is IFileSystemStore ? backup.Directory : targetDir, _log);
        string temp = scratch.File("restore.db");
        string beside = AtomicFile.TempPathBeside(target, RestoreLock.TempTag(target));
        try
        {
            progress?.Invoke(new BackupProgress(activity, "Reading, hashing and decompressing", 20));
            var (hash, length) = ReadOnce(backup, store, temp, targetDir, scratch.Path, request.Keys, repositoryKey, ct);
            if (hash != backup.Manifest.RawSha256 || length != backup.Manifest.RawSize)
                throw BackupErrors.ChecksumMismatch(backup.Path, "the decompressed database does not match the raw SHA-256 in the manifest");
            progress?.Invoke(new BackupProgress(activity, "PRAGMA quick_check", 50));
            try
            {
                using var check = SqliteFiles.Open(temp, SqliteOpenMode.ReadWrite);
                var rows = SqliteFiles.Column(check, "PRAGMA quick_check");
                if (rows is not ["ok"]) throw BackupErrors.VerificationFailed(backup.Path, "quick_check: " + string.Join("; ", rows.Take(3)));
            }
            // The copy matches the manifest's raw hash, so a database that does not open is the backup's fault, not the target's.
            catch (SqliteException e) when (SqliteFiles.IsCorrupt(e))
            {
                throw BackupErrors.VerificationFailed(backup.Path, "the decompressed database does not open: " + e.Message);
            }

            BackupInfo? preRestore = null;
            string? preserved = null;
            bool usable = exists && IsUsableDatabase(target);
            if (exists && usable)
            {
                // Both decided before anything is changed: a refusal leaves no PreRestore backup and no altered target behind.
                string? preRestoreDir = request.NoPreRestoreBackup ? null : ChoosePreRestoreDirectory(request, backup, target);
                using var src = SqliteFiles.Open(temp, SqliteOpenMode.ReadOnly);
                bool leftWal = LeaveWalForPageSize(target, Convert.ToInt64(SqliteFiles.Scalar(src, "PRAGMA page_size")), request.BusyTimeout);
                try
                {
                    if (preRestoreDir != null)
                    {
                        progress?.Invoke(new BackupProgress(activity, "Taking a PreRestore backup of the current database", 60));
                        try
                        {
                            preRestore = new BackupEngine(_log).Create(new BackupRequest(target)
                            {
                                Destination = preRestoreDir,
                                AllowInsecureDirectory = request.AllowInsecureDirectory,
                                Type = BackupType.PreRestore,
                                Verify = VerificationLevel.Quick,
                                BusyTimeout = request.BusyTimeout,
                            }, null, ct);
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(preRestoreDir, e); }
                    }
                    else _log.LogWarning("Replacing {Target} without a PreRestore backup, as asked (-NoPreRestoreBackup)", target);
                    progress?.Invoke(new BackupProgress(activity, "Copying into the live database", 80));
                    // Checked again just before SQLite opens it by name: the PreRestore backup may have taken a while.
                    ResolveTarget(target, followSymlink: false);
                    using var dst = SqliteFiles.Open(target, SqliteOpenMode.ReadWrite, request.BusyTimeout);
                    new SnapshotCopier(_log).Copy(src, dst, target, request.BusyTimeout, null, ct);
                }
                finally
                {
                    // The application expects the journal mode it chose; WAL comes back whatever the backup's header said.
                    if (leftWal) ReturnToWal(target, request.BusyTimeout);
                }
            }
            else
            {
                // The rename needs the copy on the target's file system. It is written, given its owner and mode, and
                // flushed through the descriptor we created, so nothing swapped in by name can be written or chowned.
                PlaceBeside(temp, beside, exists ? target : null);
                if (exists)
                {
                    // A damaged database cannot be backed up through SQLite, but it is still the user's data: keep it aside.
                    preserved = $"{target}.before-restore-{DateTime.UtcNow:yyyyMMddHHmmss}";
                    File.Move(target, preserved);
                    foreach (var side in SideFiles) if (File.Exists(target + side)) File.Move(target + side, preserved + side);
                    _log.LogWarning("{Target} was not a usable database; it was kept as {Preserved}", target, preserved);
                }
                // Side files without their database belong to something else; left in place they could be replayed into ours.
                foreach (var side in SideFiles) AtomicFile.TryDelete(target + side);
                File.Move(beside, target, overwrite: true);
                AtomicFile.FlushDirectory(targetDir);
            }
            var result = new RestoreResult(backup, target, usable ? RestoreMethod.BackupApi : RestoreMethod.Rename, preRestore, preserved, clock.Elapsed);
            _log.LogInformation(BackupEvents.RestoreCompleted, "Restored backup {Id} of {Database} to {Path} by {Method} in {DurationMs} ms",
                backup.Id, backup.Database, target, result.Method, (long)clock.Elapsed.TotalMilliseconds);
            progress?.Invoke(new BackupProgress(activity, "Done", 100, Completed: true));
            return result;
        }
        catch (Exception e) when (e is not SqliteBackupException and not OperationCanceledException)
        {
            throw e switch
            {
                SqliteException se when SqliteFiles.IsBusy(se) => BackupErrors.DatabaseLocked(target, request.BusyTimeout, se),
                // Only the database being replaced can have a journal; the decompressed copy is a fresh file of ours.
                SqliteException se when SqliteFailureCauses.IsHotJournal(se) => BackupErrors.RestoreTargetNeedsRecovery(target, se),
                _ => BackupErrors.ForWriteFailure(target, e),
            };
        }
        finally
        {
            // The scratch folder goes with everything in it; the copy beside the target is gone once renamed.
            AtomicFile.TryDelete(beside);
        }
    }

    /// <summary>
    /// A symlink at the target is never followed, and never silently replaced by a regular file: it is refused, or, when
    /// the caller asks, resolved to the file it finally points to, which is then restored in place of the link's target.
    /// A link created after this check (in a folder others can write) is either replaced by our rename, never followed,
    /// or caught by the second check before SQLite opens the target; Linux's fs.protected_symlinks closes what is left.
    /// </summary>
    static string ResolveTarget(string target, bool followSymlink)
    {
        var info = new FileInfo(target);
        if (info.LinkTarget == null) return target;
        var final = File.ResolveLinkTarget(target, returnFinalTarget: true);
        if (!followSymlink || final == null) throw BackupErrors.RestoreTargetIsSymlink(target, info.LinkTarget);
        return final.FullName;
    }

    /// <summary>
    /// The default is the restored backup's directory; when that is read-only the PreRestore backup goes to a 'backups'
    /// folder beside the target, with a warning saying so. A place chosen by the caller is never replaced by another.
    /// </summary>
    string ChoosePreRestoreDirectory(RestoreRequest request, BackupInfo backup, string target)
    {
        if (request.PreRestoreDirectory is { } chosen)
            return DirectoryAccess.CanCreateFilesIn(chosen) ? chosen : throw BackupErrors.PreRestoreLocationNotWritable(chosen, target);
        if (!backup.IsRemote && DirectoryAccess.CanCreateFilesIn(backup.Directory)) return backup.Directory;
        string beside = Path.Combine(Path.GetDirectoryName(target)!, "backups");
        if (!DirectoryAccess.CanCreateFilesIn(beside)) throw BackupErrors.PreRestoreLocationNotWritable(backup.Directory, target);
        _log.LogWarning("The backup directory {Directory} is read-only, so the PreRestore backup of {Target} goes to {Fallback} instead (choose the place with -PreRestorePath)",
            backup.Directory, target, beside);
        return beside;
    }

    /// <summary>
    /// SQLite cannot change the page size of a WAL database, so the backup API fails ("readonly database") when the
    /// backup's page size differs. Such a target is switched out of WAL first, which works only when no other
    /// connection has it open; otherwise the restore is refused with that reason before anything is written.
    /// </summary>
    static bool LeaveWalForPageSize(string target, long backupPageSize, TimeSpan busyTimeout)
    {
        using var c = SqliteFiles.Open(target, SqliteOpenMode.ReadWrite, busyTimeout);
        long pageSize = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA page_size"));
        if (pageSize == backupPageSize || SqliteFiles.Scalar(c, "PRAGMA journal_mode") as string != "wal") return false;
        try
        {
            if (SqliteFiles.Scalar(c, "PRAGMA journal_mode=DELETE") as string == "delete") return true;
        }
        catch (SqliteException e) when (SqliteFiles.IsBusy(e)) { throw BackupErrors.RestoreWalPageSizeMismatch(target, pageSize, backupPageSize, e); }
        throw BackupErrors.RestoreWalPageSizeMismatch(target, pageSize, backupPageSize, null);
    }

    void ReturnToWal(string target, TimeSpan busyTimeout)
    {
        try
        {
            using var c = SqliteFiles.Open(target, SqliteOpenMode.ReadWrite, busyTimeout);
            SqliteFiles.Scalar(c, "PRAGMA journal_mode=WAL");
        }
        catch (SqliteException e)
        {
            _log.LogWarning("{Target} was restored but could not be switched back to WAL mode: {Message}. Run PRAGMA journal_mode=WAL on it.", target, e.Message);
        }
    }

    /// <summary>Gives the new file the owner, group and mode of the one it replaces (chown needs root; without it, the mode alone).</summary>
    /// <summary>Copies the checked database to a new file beside the target, owned and moded like <paramref name="original"/>.</summary>
    void PlaceBeside(string checkedCopy, string beside, string? original)
    {
        using var output = PrivateFiles.CreateNew(beside, 1 << 20);
        using (var input = new FileStream(checkedCopy, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            input.CopyTo(output);
        // The application must still be able to open its database: same owner, group and mode as the file replaced.
        if (original != null) KeepOwnership(original, output.SafeFileHandle);
        output.Flush(flushToDisk: true);
    }

    void KeepOwnership(string original, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (!Trust.Posix.Supported || Trust.Posix.Lstat(original) is not { } st) return;
        try
        {
            if (st.Uid != Trust.Posix.EffectiveUid || st.Gid != Trust.Posix.Fstat(handle).Gid) Trust.Posix.ChangeOwner(handle, st.Uid, st.Gid);
        }
        catch (IOException e)
        {
            _log.LogWarning("Could not give {Target} its previous owner (uid {Uid}, gid {Gid}): {Message}", original, st.Uid, st.Gid, e.Message);
        }
        File.SetUnixFileMode(handle, (UnixFileMode)(st.Permissions & 0x1FF));
    }

    /// <summary>
    /// Reads the stored object once: hashed (it must match the manifest, as a Quick check would), decompressed into
    /// <paramref name="temp"/> and the decompressed bytes hashed, all in one pass. Returns the raw SHA-256 and length.
    /// </summary>
    static (string, long) ReadOnce(BackupInfo backup, IBackupStore store, string temp, string targetDir, string scratch, Encryption.BackupKeys? keys,
        Repository.RepositoryKey? repositoryKey, CancellationToken ct)
    {
        var m = backup.Manifest;
        if (m.IsSnapshot)
        {
            // Reassembled from its packs, every block and the whole image proven against their SHA-256 on the way; a pack
            // that is gone or damaged is a RepositoryPackMissing or RepositoryDamaged naming it.
            try { Repository.SnapshotReader.Reassemble(store, m, temp, null, ct, repositoryKey); }
            // The store's own failures are SqliteBackupExceptions already; what is left is writing the copy (space, permission).
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(targetDir, e); }
            return (m.RawSha256, m.RawSize);
        }
        Unpacked pass;
        try
        {
            using var input = store.OpenRead(m.File, ct);
            pass = Unpacker.Run(input, m.Compression, temp, null, ct, m.IsEncrypted ? stored => keys!.Decrypt(stored, backup.Path) : null);
        }
        // The object could not be read: nothing is proven against it (a store's own errors already say what to do).
        catch (Exception e) when (e is not SqliteBackupException && VerificationEvidence.Classify(e) is { Cause: { } cause } && cause != InconclusiveCause.Cancelled)
        {
            throw BackupErrors.CheckCouldNotRun(backup.Path, "Sha256", cause, e.Message, scratch, m.RawSize, e);
        }
        if (pass.StoredSha256 != m.StoredSha256 || pass.StoredSize != m.StoredSize)
            throw BackupErrors.ChecksumMismatch(backup.Path, $"Sha256: SHA-256 is {pass.StoredSha256}, manifest says {m.StoredSha256}");
        switch (pass.Failure)
        {
            case null: return (pass.RawSha256, pass.RawSize);
            // What was decrypted before the damage is in the private scratch copy, which goes unused with its folder.
            case SqliteBackupException { ErrorId: "EncryptedDataDamaged" or "EncryptionWrongIdentity" } damaged: throw damaged;
            case InvalidDataException or ZstdSharp.ZstdException: throw BackupErrors.ChecksumMismatch(backup.Path, "it does not decompress: " + pass.Failure.Message);
            case IOException or UnauthorizedAccessException: throw BackupErrors.ForWriteFailure(targetDir, pass.Failure);
            default:
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(pass.Failure);
                return default;
        }
    }

    static bool IsUsableDatabase(string path)
    {
        try
        {
            // An empty file is no database to take a PreRestore backup of; it is kept aside like a damaged one.
            if (new FileInfo(path).Length == 0 || !SqliteFiles.HasSqliteHeader(path)) return false;
            using var c = SqliteFiles.Open(path, SqliteOpenMode.ReadOnly);
            SqliteFiles.Scalar(c, "SELECT count(*) FROM sqlite_schema");
            return true;
        }
        catch (SqliteException e) when (SqliteFiles.IsCorrupt(e)) { return false; }
    }
}
