using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Verification;

/// <summary>
/// Proves a backup restores. Checks run in order and stop at the first that does not pass, because a later check on a
/// file that already failed says nothing new. A check fails only on evidence about the backup's own bytes; one that could
/// not run (no space, no permission, an I/O error) makes the result Inconclusive (<see cref="VerificationEvidence"/>).
/// </summary>
/// <param name="scratchPath">Where decompressed copies go; null: beside the backup (see <see cref="ScratchDirectory"/>).</param>
/// <param name="keys">For encrypted backups: what opens them and whose manifests are trusted; Quick needs none.</param>
public sealed class BackupVerifier(ILogger? logger = null, string? scratchPath = null, Encryption.BackupKeys? keys = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public VerificationResult Verify(BackupInfo backup, VerificationLevel level, string? query = null,
        Action<BackupProgress>? progress = null, CancellationToken ct = default, bool record = true) =>
        Verify(backup, null, level, query, progress, ct, record, fresh: null);

    /// <summary>
    /// A backup in a store (<paramref name="backup"/> as listed from <paramref name="store"/>). Quick compares the size and
    /// the SHA-256 the service recorded, or reads the object back as a stream where it keeps none; Standard and Full read it
    /// once, as a stream, hashing it while it is decompressed into the scratch folder (the -ScratchPath, or the temporary
    /// directory): no compressed copy is downloaded. A recorded result goes back to the store with the manifest.
    /// </summary>
    public VerificationResult Verify(BackupInfo backup, IBackupStore store, VerificationLevel level, string? query = null,
        Action<BackupProgress>? progress = null, CancellationToken ct = default, bool record = true) =>
        Verify(backup, store, level, query, progress, ct, record, fresh: null);

    /// <param name="store">Where the data object is read from; null: the file at <see cref="BackupInfo.Path"/>.</param>
    /// <param name="fresh">
    /// For a backup just taken, what its capture proved (<see cref="FreshCapture"/>): the stored bytes are then decompressed
    /// and hashed in memory (they must give RawSha256) instead of into a scratch copy.
    /// </param>
    internal VerificationResult Verify(BackupInfo backup, IBackupStore? store, VerificationLevel level, string? query,
        Action<BackupProgress>? progress, CancellationToken ct, bool record, FreshCapture? fresh) =>
        Verify(backup, store, level, query, progress, ct, record, fresh, presenceOnly: false);

    /// <summary>
    /// Present and of the manifest's size, by stat alone, recorded nowhere: a restore checks that much before it touches
    /// anything, and hashes the bytes on the one read that decompresses them.
    /// </summary>
    internal VerificationResult CheckPresent(BackupInfo backup, IBackupStore? store, CancellationToken ct) =>
        Verify(backup, store, VerificationLevel.Quick, null, null, ct, record: false, fresh: null, presenceOnly: true);

    VerificationResult Verify(BackupInfo backup, IBackupStore? store, VerificationLevel level, string? query,
        Action<BackupProgress>? progress, CancellationToken ct, bool record, FreshCapture? fresh, bool presenceOnly)
    {
        if (level == VerificationLevel.None) throw new ArgumentException("Choose Quick, Standard or Full.", nameof(level));
        var started = DateTime.UtcNow;
        var total = Stopwatch.StartNew();
        var checks = new List<CheckResult>();
        string activity = "Verifying " + System.IO.Path.GetFileName(backup.Path);
        var m = backup.Manifest;
        ScratchDirectory? scratch = null;
        SqliteConnection? c = null;
        SqliteBackupException? error = null;
        InconclusiveCause? cause = null;
        Task<(bool, string)>? early = null;
        IBackupStore? opened = null;

        bool Run(string name, Func<(bool ok, string message)> check)
        {
            var sw = Stopwatch.StartNew();
            VerificationOutcome outcome;
            string message;
            try
            {
                var (ok, text) = check();
                (outcome, message) = (ok ? VerificationOutcome.Passed : VerificationOutcome.Failed, text);
            }
            // Cancelling stops the caller; it is not a result worth recording.
            catch (Exception e) when (e is not OperationCanceledException && VerificationEvidence.Classify(e) is { } verdict)
            {
                (outcome, message) = (verdict.Outcome, e.Message);
                if (verdict.Cause is { } why)
                {
                    cause = why;
                    // No identity, or not the right one: the caller's own error says what to give.
                    error = e is SqliteBackupException { ErrorId: "EncryptionIdentityMissing" or "EncryptionWrongIdentity" } own ? own
                        : BackupErrors.CheckCouldNotRun(backup.Path, name, why, e.Message, scratch?.Path ?? scratchPath, m.RawSize, e);
                }
            }
            checks.Add(new CheckResult(name, outcome, sw.Elapsed, message));
            if (outcome != VerificationOutcome.Passed) _log.LogDebug("Verification of {Backup}: {Check} {Outcome}: {Message}", backup.Path, name, outcome, message);
            return outcome == VerificationOutcome.Passed;
        }

        // The same checks on the database image, whichever way it was read back (decompressed, or reassembled from packs).
        void CheckDatabase(string db)
        {
            progress?.Invoke(new BackupProgress(activity, "PRAGMA quick_check", 50));
            bool ok = Run("QuickCheck", () =>
            {
                if (early != null) return early.GetAwaiter().GetResult();
                c = OpenImmutable(db);
                return Pragma(c, "PRAGMA quick_check");
            });
            if (ok && level >= VerificationLevel.Full)
            {
                progress?.Invoke(new BackupProgress(activity, "PRAGMA integrity_check", 65));
                ok = Run("IntegrityCheck", () => Pragma(c ??= OpenImmutable(db), "PRAGMA integrity_check"))
                    && Run("ForeignKeyCheck", () =>
                    {
                        var violations = SqliteFiles.Column(c!, "SELECT \"table\" FROM pragma_foreign_key_check");
                        return violations.Count == 0 ? (true, "no violations")
                            : (false, $"{violations.Count} foreign key violation(s), first in table '{violations[0]}'");
                    })
                    && Run("RowCounts", () => CompareRowCounts(m.TableRowCounts, SqliteFiles.RowCounts(c!)));
                if (ok && !string.IsNullOrWhiteSpace(query))
                {
                    progress?.Invoke(new BackupProgress(activity, "User query", 90));
                    ok = Run("Query", () => RunQuery(c!, query!));
                }
            }
        }

        // A snapshot has no data object: its packs are what must be present (Quick), and Standard and Full reassemble it into
        // the scratch folder (proving every block and the image's raw SHA-256) and check the image as a plain backup's copy.
        void VerifySnapshot()
        {
            progress?.Invoke(new BackupProgress(activity, "Checking the snapshot's packs are present", 0));
            bool ok = Run("PacksPresent", () =>
            {
                // Opened here, so that a directory gone or unreadable is judged like any check that could not run.
                store ??= opened = backup.IsRemote ? backup.OpenStore() : new LocalDirectoryStore(backup.Directory, new StoreOptions { AllowInsecureDirectory = true });
                var problems = SnapshotReader.QuickCheck(store, m, null, ct);
                return problems.Count == 0
                    ? (true, $"{m.Repository!.Packs.Count} pack(s) and their indexes present with their sizes")
                    : (false, $"{string.Join("; ", problems.Take(5))} in {store.Location}: the snapshot cannot be restored");
            });
            if (ok && !presenceOnly && level == VerificationLevel.Quick && m.IsEncrypted)
                checks.Add(new CheckResult("Authentic", VerificationOutcome.Passed, TimeSpan.Zero,
                    "not checked: the snapshot is encrypted and Quick uses no key, so its authenticity was not checked (Standard or Full with an identity checks it)"));
            if (!ok || presenceOnly || level == VerificationLevel.Quick) return;
            Repository.RepositoryKey? key = null;
            // Before any byte of the snapshot is used: its manifest's MAC, and the repository key opened.
            if (m.IsEncrypted && !Run("Authentic", () =>
                {
                    key = SnapshotReader.Unlock(store!, m, keys, backup.Path, ct);
                    return (true, m.Encryption!.Passphrase ? "the manifest's MAC verifies under the passphrase" : "the manifest's MAC verifies under the identity given, from a trusted writer");
                }))
                return;
            string db = "";
            ok = Run("Reassemble", () =>
            {
                scratch = ScratchDirectory.Create(scratchPath, store is IFileSystemStore ? backup.Directory : System.IO.Path.GetTempPath(), _log);
                db = scratch.File("snapshot.db");
                int lastPercent = -1;
                // Unencrypted: Unlock only proves it does not come from an encrypted repository.
                if (!m.IsEncrypted) key = SnapshotReader.Unlock(store!, m, keys, backup.Path, ct);
                SnapshotReader.Reassemble(store!, m, db, read =>
                {
                    int percent = m.StoredSize > 0 ? (int)Math.Min(100, read * 100 / m.StoredSize) : 100;
                    if (percent == lastPercent) return;
                    lastPercent = percent;
                    progress?.Invoke(new BackupProgress(activity, $"Reassembling from packs: {read / 1048576:N0} of {m.StoredSize / 1048576:N0} MiB", 5 + percent * 40 / 100));
                }, ct, key);
                return (true, $"{m.RawSize} bytes from {m.Repository!.Packs.Count} pack(s); every block and the raw SHA-256 match");
            });
            if (ok) CheckDatabase(db);
        }

        void VerifyFile()
        {
            progress?.Invoke(new BackupProgress(activity, "Checking size and SHA-256", 0));
            StoredObject? stat = null;
            bool ok = Run("FilePresent", () =>
                {
                    // Opened here, so that a directory gone or unreadable is judged like any check that could not run.
                    // A local backup's directory was judged by the catalog that listed it.
                    store ??= opened = backup.IsRemote ? backup.OpenStore() : new LocalDirectoryStore(backup.Directory, new StoreOptions { AllowInsecureDirectory = true });
                    if ((stat = store.Stat(m.File, ct)) != null) return (true, "present");
                    return (false, store is IFileSystemStore ? "the backup file is missing" : $"{m.File} is missing from {store.Location} (deleted behind our back?)");
                })
                && Run("Size", () =>
                {
                    long size = stat!.Size;
                    return size == m.StoredSize ? (true, $"{size} bytes") : (false, $"{size} bytes {(store is IFileSystemStore ? "on disk" : "stored")}, manifest says {m.StoredSize}");
                });
            if (presenceOnly) { }
            else if (ok && level == VerificationLevel.Quick)
            {
                ok = Run("Sha256", () =>
                {
                    // Without downloading where the service recorded the object's SHA-256 itself; otherwise read back, as a stream.
                    if (store is IFileSystemStore)
                    {
                        string onDisk = store.ReadBackSha256(m.File, ct: ct);
                        return onDisk == m.StoredSha256 ? (true, onDisk) : (false, $"SHA-256 is {onDisk}, manifest says {m.StoredSha256}");
                    }
                    if (store!.ServiceSha256(stat!, ct) is { } recorded)
                        return recorded == m.StoredSha256
                            ? (true, $"{recorded} (the service's own checksum; nothing downloaded)")
                            : (false, $"the service's checksum is SHA-256 {recorded}, manifest says {m.StoredSha256}");
                    string hash = HashObject(store!, m, activity, progress, ct);
                    return hash == m.StoredSha256 ? (true, $"{hash} (read back)") : (false, $"SHA-256 is {hash}, manifest says {m.StoredSha256}");
                });
                // Anyone can encrypt to public keys and recompute these hashes: Quick can not tell a forged backup.
                if (ok && m.IsEncrypted) checks.Add(new CheckResult("Authentic", VerificationOutcome.Passed, TimeSpan.Zero,
                    "not checked: the backup is encrypted and Quick uses no key, so its authenticity was not checked (Standard or Full with an identity checks it)"));
            }
            else if (ok && m.IsEncrypted && !Run("Authentic", () =>
                     {
                         Encryption.BackupKeys.Authenticate(m, keys, backup.Path, () => store!.OpenRead(m.File, ct));
                         return (true, m.Encryption!.Passphrase ? "the manifest's MAC verifies under the passphrase" : "the manifest's MAC verifies under the identity given, from a trusted writer");
                     }))
            {
                ok = false;
            }
            else if (ok)
            {
                // One read of the stored bytes proves them and their decompression together: hashed as they are decompressed
                // (into a scratch copy, or for a new backup, hashed in memory only), then the two checks are judged in order.
                string? rawCopy = fresh?.RawCopy;
                string db = rawCopy ?? "";
                early = fresh?.SnapshotQuickCheck is { } done ? Task.Run(done, ct) : rawCopy == null ? null : Task.Run(() =>
                {
                    using var raw = OpenImmutable(rawCopy);
                    return Pragma(raw, "PRAGMA quick_check");
                }, ct);
                Unpacked? pass = null;
                Exception? noScratch = null;
                ok = Run("Sha256", () =>
                {
                    string? copy = null;
                    if (fresh == null)
                    {
                        try
                        {
                            scratch = ScratchDirectory.Create(scratchPath, store is IFileSystemStore ? backup.Directory : System.IO.Path.GetTempPath(), _log);
                            db = copy = scratch.File("backup.db");
                        }
                        // Judged as the decompression's failure below; the stored bytes are still hashed.
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { noScratch = e; }
                    }
                    int lastPercent = -1;
                    void Report(long read)
                    {
                        int percent = m.StoredSize > 0 ? (int)Math.Min(100, read * 100 / m.StoredSize) : 100;
                        if (percent == lastPercent) return;
                        lastPercent = percent;
                        progress?.Invoke(new BackupProgress(activity, $"Reading, hashing and decompressing: {read / 1048576:N0} of {m.StoredSize / 1048576:N0} MiB", 5 + percent * 40 / 100));
                    }
                    using (var input = store!.OpenRead(m.File, ct))
                        pass = Unpacker.Run(input, backup.Compression, copy, Report, ct,
                            m.IsEncrypted ? stored => keys!.Decrypt(stored, backup.Path) : null);
                    return pass.StoredSha256 == m.StoredSha256 ? (true, pass.StoredSha256) : (false, $"SHA-256 is {pass.StoredSha256}, manifest says {m.StoredSha256}");
                })
                && Run("Decompress", () =>
                {
                    if ((noScratch ?? pass!.Failure) is { } failure) return Rethrow(failure);
                    if (pass!.RawSize != m.RawSize) return (false, $"decompressed to {pass.RawSize} bytes, manifest says {m.RawSize}");
                    return pass.RawSha256 == m.RawSha256 ? (true, $"{pass.RawSize} bytes, SHA-256 matches") : (false, $"raw SHA-256 is {pass.RawSha256}, manifest says {m.RawSha256}");
                });
                // Its connection must be closed before the raw copy goes, whatever the decompression found.
                try { early?.Wait(CancellationToken.None); } catch (AggregateException) { }
                if (ok) CheckDatabase(db);
            }
        }

        try
        {
            if (m.IsSnapshot) VerifySnapshot();
            else VerifyFile();
        }
        finally
        {
            // Whatever the checks found, no connection is left open on a copy about to be removed.
            try { early?.Wait(CancellationToken.None); } catch (AggregateException) { }
            c?.Dispose();
            scratch?.Dispose();
        }
        // Left open for the record below; a store this check opened is closed once that is written.
        using var _ = opened;

        var result = new VerificationResult(backup, level, started, checks, total.Elapsed, error, cause);
        if (presenceOnly) return result;
        progress?.Invoke(new BackupProgress(activity, result.Outcome.ToString(), 100, Completed: true));
        switch (result.Outcome)
        {
            case VerificationOutcome.Passed:
                _log.LogInformation(BackupEvents.VerificationPassed, "Verification ({Level}) of backup {Id} of {Database} passed: {Path}, {DurationMs} ms",
                    level, backup.Id, backup.Database, backup.Path, (long)result.Duration.TotalMilliseconds);
                break;
            case VerificationOutcome.Failed:
                _log.LogWarning(BackupEvents.VerificationFailed, "Verification ({Level}) of backup {Id} of {Database} failed: {Path}: {Error}",
                    level, backup.Id, backup.Database, backup.Path, result.Message);
                break;
            default:
                _log.LogWarning(BackupEvents.VerificationInconclusive, "Verification ({Level}) of backup {Id} of {Database} was inconclusive ({Cause}), nothing was found wrong with the backup: {Path}: {Error}",
                    level, backup.Id, backup.Database, result.Cause, backup.Path, result.Message);
                break;
        }
        // A store that could not even be opened holds no manifest to record in.
        if (record && store != null) Record(backup, store, result, ct);
        return result;
    }

    static (bool, string) Rethrow(Exception e)
    {
        ExceptionDispatchInfo.Throw(e);
        return default;
    }

    /// <summary>One streamed read of a stored object, for a service that keeps no SHA-256 of its own, with the transfer rate.</summary>
    static string HashObject(IBackupStore store, BackupManifest m, string activity, Action<BackupProgress>? progress, CancellationToken ct)
    {
        var rate = new Copies.TransferRate(m.StoredSize);
        return store.ReadBackSha256(m.File, done => progress?.Invoke(rate.Progress(activity, done, $"read back from {store.Location}")), ct);
    }

    /// <summary>
    /// The scratch copy is ours alone and never changes: immutable=1 reads it with no locks and no -wal, -shm or -journal,
    /// so the checks write nothing (a full or read-only scratch disk cannot make them fail once the copy is there).
    /// </summary>
    static SqliteConnection OpenImmutable(string path)
    {
        // The builder quotes the value: a ';' in a folder name must not end the Data Source and start a keyword.
        var csb = new SqliteConnectionStringBuilder { DataSource = new Uri(path).AbsoluteUri + "?immutable=1", Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        var c = new SqliteConnection(csb.ToString());
        c.Open();
        return c;
    }

    static (bool, string) Pragma(SqliteConnection c, string pragma)
    {
        var rows = SqliteFiles.Column(c, pragma);
        return rows is ["ok"] ? (true, "ok") : (false, string.Join("; ", rows.Take(5)));
    }

    internal static (bool, string) CompareRowCounts(IReadOnlyDictionary<string, long> expected, IReadOnlyDictionary<string, long> actual)
    {
        var diffs = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Where(t => !expected.TryGetValue(t, out var e) || !actual.TryGetValue(t, out var a) || e != a)
            .Select(t => $"{t}: manifest {(expected.TryGetValue(t, out var e) ? e : "absent")}, backup {(actual.TryGetValue(t, out var a) ? a : "absent")}")
            .ToList();
        return diffs.Count == 0 ? (true, $"{expected.Count} tables, {expected.Values.Sum()} rows") : (false, string.Join("; ", diffs.Take(5)));
    }

    /// <summary>The user's query passes when it returns a first value that is not NULL, 0, false or empty.</summary>
    static (bool, string) RunQuery(SqliteConnection c, string query)
    {
        object? value;
        try { value = SqliteFiles.Scalar(c, query); }
        // SQL the backup cannot answer (no such table, or a query that writes) is the user's query saying no; I/O, space or
        // memory are not.
        catch (SqliteException e) when (e.SqliteErrorCode is 1 or 8 || SqliteFiles.IsCorrupt(e)) { return (false, "query failed: " + e.Message); }
        bool truthy = value switch
        {
            null or DBNull => false,
            long l => l != 0,
            double d => d != 0,
            string s => s.Length > 0 && s != "0",
            byte[] b => b.Length > 0,
            _ => true,
        };
        return truthy ? (true, $"returned {value}") : (false, $"returned {(value is null or DBNull ? "no value" : value)}");
    }

    /// <summary>Appends the result to the manifest in the store, as read now. A store we may only read is not a reason to fail the check.</summary>
    void Record(BackupInfo backup, IBackupStore store, VerificationResult result, CancellationToken ct)
    {
        string name = backup.Manifest.File + BackupManifest.Suffix;
        try
        {
            var current = BackupManifest.TryParse(store.ReadAllBytes(name, ct), out string? problem) ?? throw new InvalidDataException(problem);
            if (current.File != backup.Manifest.File) throw new InvalidDataException($"it names '{current.File}', not '{backup.Manifest.File}'");
            current.Verifications.Add(result.ToRecord());
            using (var json = new MemoryStream(current.ToJson())) store.Put(name, json, createOnly: false, ct: ct);
            backup.Manifest.Verifications.Clear();
            backup.Manifest.Verifications.AddRange(current.Verifications);
        }
        catch (Exception e) when (e is SqliteBackupException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _log.LogWarning("Could not record the verification in {Manifest}: {Message}", backup.ManifestPath, e.Message);
        }
    }
}
