using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;

namespace SqliteBackup.Core.Guard;

/// <summary>
/// Runs an operation (a migration, a bulk import, a repair) only after a verified backup of every database it may
/// touch, and offers the way back if it fails. The order is the promise: all backups first (one failure and the
/// operation never starts), then the operation, then, on failure and only when asked, a restore of each database from
/// the backup just taken, through <see cref="Restorer"/>, which keeps the failed state as a PreRestore backup. The
/// operation's own exception is handed back untouched, for the caller to rethrow.
/// </summary>
/// <param name="loggerFor">The logger for a backup directory, so each database's events land in its own backup log.</param>
public sealed class OperationGuard(Func<string, ILogger> loggerFor)
{
    public GuardResult Run(GuardRequest request, Func<IReadOnlyList<object?>> operation, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(operation);
        var clock = Stopwatch.StartNew();
        var dbs = request.Databases.Select(p => Path.GetFullPath(p)).Distinct(StringComparer.Ordinal).ToList();
        var loggers = dbs.ToDictionary(d => d, d => loggerFor(request.BackupOf(d).ResolveDestination()), StringComparer.Ordinal);
        var guarded = new List<GuardedDatabase>();

        foreach (var db in dbs)
        {
            var log = loggers[db];
            var entry = new GuardedDatabase(BackupNaming.DatabaseName(db), db);
            try
            {
                var backup = new BackupEngine(log).Create(request.BackupOf(db), progress, ct);
                guarded.Add(entry with { Backup = backup, SchemaBefore = SchemaState.Read(db, request.BusyTimeout) });
            }
            catch (SqliteBackupException e)
            {
                var error = BackupErrors.GuardBackupFailed(db, request.Operation, e);
                // Every backup log involved says why the operation did not run, once, not only the failing database's.
                foreach (var d in dbs.DistinctBy(d => request.BackupOf(d).ResolveDestination(), StringComparer.Ordinal))
                    loggers[d].LogError(BackupEvents.GuardedOperationNotRun, "Not run: {Operation}, because the backup of {Database} failed: {Error}", request.Operation, entry.Database, error.Message);
                guarded.Add(entry);
                return new GuardResult { Operation = request.Operation, Outcome = GuardOutcome.NotRun, Databases = guarded, Error = error, Duration = clock.Elapsed };
            }
        }

        IReadOnlyList<object?> output = [];
        Exception? failure = null;
        try { output = operation(); }
        catch (Exception e) { failure = e; }

        // A migration that leaves the database unreadable (overwritten, removed) has not changed its schema: it broke it.
        var after = guarded.ToDictionary(g => g.Path, g => ReadSchema(g.Path, request.BusyTimeout), StringComparer.Ordinal);
        if (failure == null && request.ExpectSchemaChange && guarded.FirstOrDefault(g => after[g.Path].Error != null) is { } broken)
            failure = BackupErrors.SchemaUnreadable(broken.Path, request.Operation, after[broken.Path].Error!);

        var done = new List<GuardedDatabase>();
        foreach (var g in guarded)
        {
            var log = loggers[g.Path];
            var d = g;
            if (failure != null)
            {
                log.LogError(BackupEvents.GuardedOperationFailed, "Failed for {Database}: {Operation} (backup {Id} was taken before it): {Error}",
                    g.Database, request.Operation, g.Backup!.Id, failure.Message);
                if (request.RestoreOnFailure) d = RestoreAfterFailure(g, request, log);
            }
            // After a restore the schema is read again: it is the restored one.
            d = d with { SchemaAfter = d.Restore != null ? ReadSchema(g.Path, request.BusyTimeout).State : after[g.Path].State };
            if (failure == null)
                log.LogInformation(BackupEvents.GuardedOperationSucceeded, "Succeeded for {Database}: {Operation} (backup {Id} was taken before it; {Before} -> {After})",
                    d.Database, request.Operation, d.Backup!.Id, d.SchemaBefore?.ToString() ?? "schema unreadable", d.SchemaAfter?.ToString() ?? "schema unreadable");
            if (request.ExpectSchemaChange && failure == null)
            {
                string change = $"user_version {d.SchemaBefore!.UserVersion} -> {d.SchemaAfter!.UserVersion}, schema {d.SchemaBefore.SchemaHash[..12]} -> {d.SchemaAfter.SchemaHash[..12]}";
                if (d.SchemaChanged == false)
                    log.LogWarning(BackupEvents.SchemaChangeChecked, "Schema of {Database} NOT changed by {Operation}, which was expected to change it ({Change})", d.Database, request.Operation, change);
                else
                    log.LogInformation(BackupEvents.SchemaChangeChecked, "Schema of {Database} changed by {Operation} ({Change})", d.Database, request.Operation, change);
            }
            done.Add(d);
        }

        return new GuardResult
        {
            Operation = request.Operation,
            Outcome = failure == null ? GuardOutcome.Succeeded : GuardOutcome.Failed,
            Databases = done,
            OperationError = failure,
            SchemaUnchanged = request.ExpectSchemaChange && failure == null ? done.Where(d => d.SchemaChanged == false).Select(d => d.Database).ToList() : [],
            Output = output,
            Duration = clock.Elapsed,
        };
    }

    /// <summary>
    /// Not cancellable: once the operation has failed, a half-finished way back helps nobody, and Ctrl+C during the
    /// operation is exactly when the restore is wanted. A restore that fails leaves the database as the operation did.
    /// </summary>
    static GuardedDatabase RestoreAfterFailure(GuardedDatabase g, GuardRequest request, ILogger log)
    {
        try
        {
            var restored = new Restorer(log).Restore(g.Backup!, new RestoreRequest(g.Path)
            {
                Force = true, AllowInsecureDirectory = request.AllowInsecureDirectory, BusyTimeout = request.BusyTimeout,
            });
            if (restored.PreRestoreBackup is { } pre)
                log.LogWarning(BackupEvents.GuardRestored, "Restored {Database} from backup {Id} after {Operation} failed; its failed state is kept as the PreRestore backup {PreRestore}",
                    g.Database, g.Backup!.Id, request.Operation, pre.Id);
            else
                // The operation left no database to keep (removed, overwritten with something else): nothing to back up.
                log.LogWarning(BackupEvents.GuardRestored, "Restored {Database} from backup {Id} after {Operation} failed; its failed state was not kept (no readable database was left)",
                    g.Database, g.Backup!.Id, request.Operation);
            return g with { Restore = restored };
        }
        catch (SqliteBackupException e)
        {
            log.LogCritical(BackupEvents.GuardRestoreFailed, "Could NOT restore {Database} from backup {Id} after {Operation} failed ({ErrorId}): {Error}",
                g.Database, g.Backup!.Id, request.Operation, e.ErrorId, e.Message);
            return g with { RestoreError = e };
        }
    }

    static (SchemaState? State, Exception? Error) ReadSchema(string db, TimeSpan busy)
    {
        if (!File.Exists(db)) return (null, new FileNotFoundException("The database file no longer exists.", db));
        try { return (SchemaState.Read(db, busy), null); }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException or SqliteBackupException) { return (null, e); }
    }
}
