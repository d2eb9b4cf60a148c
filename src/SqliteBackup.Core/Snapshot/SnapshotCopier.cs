using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Snapshot;

/// <summary>
/// Copies a live database through SQLite's online backup API, in steps so progress can be reported.
/// In WAL mode the copy runs inside one read transaction on the source: a stable snapshot that includes
/// committed WAL content and never blocks writers. In rollback-journal mode a held read lock would stall
/// writers, so the copy steps without one and SQLite restarts it when another process writes; after a
/// few restarts it finishes in a single step under a short read lock rather than starve.
/// </summary>
internal sealed class SnapshotCopier(ILogger logger, int pagesPerStep = SnapshotCopier.DefaultPagesPerStep)
{
    public const int DefaultPagesPerStep = 4096;
    const int RestartsBeforeSingleStep = 3;

    public sealed record Result(long PageCount, string JournalMode, int Restarts);

    /// <param name="journalMode">The source's journal mode when the caller already asked; otherwise it is read here.</param>
    public Result Copy(SqliteConnection source, SqliteConnection dest, string sourcePath, TimeSpan busyTimeout,
        Action<long, long>? progress, CancellationToken ct, string? journalMode = null)
    {
        var started = DateTime.UtcNow;
        journalMode ??= JournalMode(source, sourcePath, busyTimeout, started);
        bool wal = journalMode == "wal";
        SqliteTransaction? snapshot = null;
        try
        {
            if (wal)
            {
                snapshot = source.BeginTransaction(deferred: true);
                // A deferred transaction starts reading at its first statement; this pins the snapshot.
                RetryBusy(() => SqliteFiles.Scalar(source, "SELECT count(*) FROM sqlite_schema"), sourcePath, busyTimeout, started);
            }
            var (pages, restarts) = RunBackup(source, dest, sourcePath, wal, busyTimeout, started, progress, ct);
            return new Result(pages, journalMode, restarts);
        }
        finally
        {
            snapshot?.Rollback();
            snapshot?.Dispose();
        }
    }

    /// <summary>
    /// One backup_init..finish cycle. SQLite restarts the copy itself when another connection writes; after a few
    /// restarts the rest is copied in one step under one read lock. The copy is never abandoned half-way and begun
    /// again: the destination may have no journal, so an abandoned copy could not be rolled back.
    /// </summary>
    (long Pages, int Restarts) RunBackup(SqliteConnection source, SqliteConnection dest, string sourcePath, bool wal, TimeSpan busyTimeout,
        DateTime started, Action<long, long>? progress, CancellationToken ct)
    {
        var b = raw.sqlite3_backup_init(dest.Handle, "main", source.Handle, "main");
        if (b == null || b.IsInvalid)
            throw new SqliteException($"sqlite3_backup_init failed: {raw.sqlite3_errmsg(dest.Handle).utf8_to_string()}", raw.sqlite3_errcode(dest.Handle));
        int rc, restarts = 0;
        long lastRemaining = long.MaxValue, total = 0;
        var delay = 1;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                int step = wal || restarts < RestartsBeforeSingleStep ? pagesPerStep : -1;
                rc = raw.sqlite3_backup_step(b, step);
                long remaining = raw.sqlite3_backup_remaining(b);
                total = raw.sqlite3_backup_pagecount(b);
                if (rc == raw.SQLITE_DONE) { progress?.Invoke(total, total); break; }
                if (rc == raw.SQLITE_OK)
                {
                    delay = 1;
                    // remaining only grows when SQLite restarted the copy because another connection wrote.
                    if (remaining > lastRemaining)
                    {
                        restarts++;
                        logger.LogDebug("Backup of {Path} restarted by a concurrent writer ({Restarts})", sourcePath, restarts);
                    }
                    lastRemaining = remaining;
                    progress?.Invoke(total - remaining, total);
                    continue;
                }
                if (rc == raw.SQLITE_BUSY || rc == raw.SQLITE_LOCKED)
                {
                    if (DateTime.UtcNow - started > busyTimeout) throw BackupErrors.DatabaseLocked(sourcePath, busyTimeout);
                    Thread.Sleep(delay);
                    delay = Math.Min(delay * 2, 100);
                    continue;
                }
                break;
            }
        }
        finally
        {
            raw.sqlite3_backup_finish(b);
        }
        if (rc != raw.SQLITE_DONE)
        {
            string msg = raw.sqlite3_errstr(rc).utf8_to_string();
            var ex = new SqliteException($"SQLite backup step failed: {msg}", rc);
            if (rc is 11 or 26) throw BackupErrors.DatabaseCorrupt(sourcePath, msg, ex);
            throw ex;
        }
        return (total, restarts);
    }
    internal static string JournalMode(SqliteConnection source, string sourcePath, TimeSpan busyTimeout, DateTime started) =>
        Convert.ToString(RetryBusy(() => SqliteFiles.Scalar(source, "PRAGMA journal_mode"), sourcePath, busyTimeout, started))!.ToLowerInvariant();

    internal static T RetryBusy<T>(Func<T> action, string path, TimeSpan busyTimeout, DateTime started)
    {
        while (true)
        {
            try { return action(); }
            catch (SqliteException e) when (SqliteFiles.IsBusy(e))
            {
                if (DateTime.UtcNow - started > busyTimeout) throw BackupErrors.DatabaseLocked(path, busyTimeout, e);
                Thread.Sleep(20);
            }
            catch (SqliteException e) when (SqliteFiles.IsCorrupt(e))
            {
                throw BackupErrors.DatabaseCorrupt(path, e.Message, e);
            }
        }
    }
}
