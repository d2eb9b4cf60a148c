using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Verification;

/// <summary>
/// Proves a backup restores. Checks run in order and stop at the first that does not pass, because a later check on a
/// file that already failed says nothing new. A check fails only on evidence about the backup's own bytes; one that could
/// not run (no space, no permission, an I/O error) makes the result Inconclusive (<see cref="VerificationEvidence"/>).
/// </summary>
/// <param name="scratchPath">Where decompressed copies go; null: beside the backup (see <see cref="ScratchDirectory"/>).</param>
public sealed class BackupVerifier(ILogger? logger = null, string? scratchPath = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public VerificationResult Verify(BackupInfo backup, VerificationLevel level, string? query = null,
        Action<BackupProgress>? progress = null, CancellationToken ct = default, bool record = true) =>
        Verify(backup, level, query, progress, ct, record, fresh: null);

    /// <param name="fresh">
    /// For a backup just taken, what its capture proved (<see cref="FreshCapture"/>): the stored file is then decompressed
    /// and hashed in memory (it must give RawSha256) instead of into a scratch copy.
    /// </param>
    internal VerificationResult Verify(BackupInfo backup, VerificationLevel level, string? query,
        Action<BackupProgress>? progress, CancellationToken ct, bool record, FreshCapture? fresh)
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
                    error = BackupErrors.CheckCouldNotRun(backup.Path, name, why, e.Message, scratch?.Path ?? scratchPath, m.RawSize, e);
                }
            }
            checks.Add(new CheckResult(name, outcome, sw.Elapsed, message));
            if (outcome != VerificationOutcome.Passed) _log.LogDebug("Verification of {Backup}: {Check} {Outcome}: {Message}", backup.Path, name, outcome, message);
            return outcome == VerificationOutcome.Passed;
        }

        // A new backup's stored file is decompressed and hashed from the start, beside the Quick checks.
        var hashing = fresh != null && level >= VerificationLevel.Standard ? Task.Run(() => Restorer.HashDecompressed(backup, ct), ct) : null;
        try
        {
            progress?.Invoke(new BackupProgress(activity, "Checking size and SHA-256", 0));
            bool ok = Run("FilePresent", () => FilePresent(backup))
                && Run("Size", () =>
                {
                    long size = new FileInfo(backup.Path).Length;
                    return size == m.StoredSize ? (true, $"{size} bytes") : (false, $"{size} bytes on disk, manifest says {m.StoredSize}");
                })
                && Run("Sha256", () =>
                {
                    string hash = HashingStream.HashFile(backup.Path, out _);
                    return hash == m.StoredSha256 ? (true, hash) : (false, $"SHA-256 is {hash}, manifest says {m.StoredSha256}");
                });

            if (ok && level >= VerificationLevel.Standard)
            {
                string? rawCopy = fresh?.RawCopy;
                string db = rawCopy ?? "";
                var early = fresh?.SnapshotQuickCheck is { } done ? Task.Run(done, ct) : rawCopy == null ? null : Task.Run(() =>
                {
                    using var raw = OpenImmutable(rawCopy);
                    return Pragma(raw, "PRAGMA quick_check");
                }, ct);
                progress?.Invoke(new BackupProgress(activity, "Decompressing", 30));
                ok = Run("Decompress", () =>
                {
                    (string Hash, long Length) r;
                    if (hashing != null) r = hashing.GetAwaiter().GetResult();
                    else
                    {
                        scratch = ScratchDirectory.Create(scratchPath, backup.Directory, _log);
                        db = scratch.File("backup.db");
                        r = Restorer.Decompress(backup, db, ct);
                    }
                    if (r.Length != m.RawSize) return (false, $"decompressed to {r.Length} bytes, manifest says {m.RawSize}");
                    return r.Hash == m.RawSha256 ? (true, $"{r.Length} bytes, SHA-256 matches") : (false, $"raw SHA-256 is {r.Hash}, manifest says {m.RawSha256}");
                });
                // Its connection must be closed before the raw copy goes, whatever the decompression found.
                try { early?.Wait(CancellationToken.None); } catch (AggregateException) { }
                if (ok)
                {
                    progress?.Invoke(new BackupProgress(activity, "PRAGMA quick_check", 50));
                    ok = Run("QuickCheck", () =>
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
            }
        }
        finally
        {
            // Whatever the checks found, the file is not left open behind us.
            try { hashing?.Wait(CancellationToken.None); } catch (AggregateException) { }
            c?.Dispose();
            scratch?.Dispose();
        }

        var result = new VerificationResult(backup, level, started, checks, total.Elapsed, error, cause);
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
        if (record) Record(backup, result);
        return result;
    }

    /// <summary>
    /// File.Exists is also false for a file we may not see, so only a readable folder that does not list the file proves
    /// it is gone; anything else is a check that could not run.
    /// </summary>
    static (bool, string) FilePresent(BackupInfo backup)
    {
        if (File.Exists(backup.Path)) return (true, "present");
        string name = System.IO.Path.GetFileName(backup.Path);
        bool listed = Directory.EnumerateFiles(backup.Directory).Any(f => System.IO.Path.GetFileName(f) == name);
        if (!listed) return (false, "the backup file is missing");
        throw new UnauthorizedAccessException($"'{backup.Path}' is in its folder but cannot be read.");
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

    /// <summary>Appends the result to the manifest on disk. A read-only backup directory is not a reason to fail the check.</summary>
    void Record(BackupInfo backup, VerificationResult result)
    {
        try
        {
            var current = BackupCatalog.ReadManifest(backup.ManifestPath, out string? problem) ?? throw new InvalidDataException(problem);
            current.Verifications.Add(result.ToRecord());
            AtomicFile.WriteAllBytes(backup.ManifestPath, current.ToJson(), overwrite: true);
            backup.Manifest.Verifications.Clear();
            backup.Manifest.Verifications.AddRange(current.Verifications);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _log.LogWarning("Could not record the verification in {Manifest}: {Message}", backup.ManifestPath, e.Message);
        }
    }
}
