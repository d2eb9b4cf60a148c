using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core;

/// <summary>
/// Proves a backup restores. Checks run in order and stop at the first failure, because a later check
/// on a file that already failed says nothing new.
/// </summary>
public sealed class BackupVerifier(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public VerificationResult Verify(BackupInfo backup, VerificationLevel level, string? query = null,
        Action<BackupProgress>? progress = null, CancellationToken ct = default, bool record = true) =>
        Verify(backup, level, query, progress, ct, record, rawCopy: null);

    /// <param name="rawCopy">
    /// For a backup just taken: the uncompressed bytes it was made from, already on disk and hashed into the manifest's
    /// RawSha256 as they were written. The same facts are then proven without writing a decompressed copy: the stored
    /// file is decompressed and hashed in memory (it must give RawSha256), while SQLite checks the raw copy on another core.
    /// </param>
    internal VerificationResult Verify(BackupInfo backup, VerificationLevel level, string? query,
        Action<BackupProgress>? progress, CancellationToken ct, bool record, string? rawCopy)
    {
        if (level == VerificationLevel.None) throw new ArgumentException("Choose Quick, Standard or Full.", nameof(level));
        var started = DateTime.UtcNow;
        var total = Stopwatch.StartNew();
        var checks = new List<CheckResult>();
        string activity = "Verifying " + System.IO.Path.GetFileName(backup.Path);
        var m = backup.Manifest;

        bool Run(string name, Func<(bool ok, string message)> check)
        {
            var sw = Stopwatch.StartNew();
            (bool ok, string message) r;
            try { r = check(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException or InvalidDataException or ZstdSharp.ZstdException)
            {
                r = (false, e.Message);
            }
            checks.Add(new CheckResult(name, r.ok, sw.Elapsed, r.message));
            if (!r.ok) _log.LogDebug("Verification of {Backup}: {Check} failed: {Message}", backup.Path, name, r.message);
            return r.ok;
        }

        progress?.Invoke(new BackupProgress(activity, "Checking size and SHA-256", 0));
        bool ok = Run("FilePresent", () => File.Exists(backup.Path) ? (true, "present") : (false, "the backup file is missing"))
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
            using var scratch = rawCopy == null ? new ScratchDirectory("verify") : null;
            string db = rawCopy ?? scratch!.File("backup.db");
            var early = rawCopy == null ? null : Task.Run(() =>
            {
                using var raw = SqliteFiles.Open(db, SqliteOpenMode.ReadWrite);
                return Pragma(raw, "PRAGMA quick_check");
            }, ct);
            progress?.Invoke(new BackupProgress(activity, "Decompressing", 30));
            ok = Run("Decompress", () =>
            {
                var (hash, length) = rawCopy == null ? Restorer.Decompress(backup, db, ct) : Restorer.Decompress(backup, Stream.Null, ct);
                if (length != m.RawSize) return (false, $"decompressed to {length} bytes, manifest says {m.RawSize}");
                return hash == m.RawSha256 ? (true, $"{length} bytes, SHA-256 matches") : (false, $"raw SHA-256 is {hash}, manifest says {m.RawSha256}");
            });
            // Its connection must be closed before the scratch files go, whatever the decompression found.
            try { early?.Wait(CancellationToken.None); } catch (AggregateException) { }
            if (ok)
            {
                using var c = SqliteFiles.Open(db, SqliteOpenMode.ReadWrite);
                progress?.Invoke(new BackupProgress(activity, "PRAGMA quick_check", 50));
                ok = Run("QuickCheck", () => early?.GetAwaiter().GetResult() ?? Pragma(c, "PRAGMA quick_check"));
                if (ok && level >= VerificationLevel.Full)
                {
                    progress?.Invoke(new BackupProgress(activity, "PRAGMA integrity_check", 65));
                    ok = Run("IntegrityCheck", () => Pragma(c, "PRAGMA integrity_check"))
                        && Run("ForeignKeyCheck", () =>
                        {
                            var violations = SqliteFiles.Column(c, "SELECT \"table\" FROM pragma_foreign_key_check");
                            return violations.Count == 0 ? (true, "no violations")
                                : (false, $"{violations.Count} foreign key violation(s), first in table '{violations[0]}'");
                        })
                        && Run("RowCounts", () => CompareRowCounts(m.TableRowCounts, SqliteFiles.RowCounts(c)));
                    if (ok && !string.IsNullOrWhiteSpace(query))
                    {
                        progress?.Invoke(new BackupProgress(activity, "User query", 90));
                        ok = Run("Query", () => RunQuery(c, query!));
                    }
                }
            }
        }

        var result = new VerificationResult(backup, level, started, checks, total.Elapsed);
        progress?.Invoke(new BackupProgress(activity, result.Passed ? "Passed" : "Failed", 100, Completed: true));
        if (result.Passed)
            _log.LogInformation(BackupEvents.VerificationPassed, "Verification ({Level}) of backup {Id} of {Database} passed: {Path}, {DurationMs} ms",
                level, backup.Id, backup.Database, backup.Path, (long)result.Duration.TotalMilliseconds);
        else
            _log.LogWarning(BackupEvents.VerificationFailed, "Verification ({Level}) of backup {Id} of {Database} failed: {Path}: {Error}",
                level, backup.Id, backup.Database, backup.Path, result.Message);
        if (record) Record(backup, result);
        return result;
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
        catch (SqliteException e) { return (false, "query failed: " + e.Message); }
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
