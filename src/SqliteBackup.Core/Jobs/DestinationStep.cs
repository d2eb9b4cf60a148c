using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// One destination of one database in a job run: copy the new backup (data, check of what the destination stored,
/// manifest last: its Quick verification), then rotate that location by its own policy. A destination that fails is
/// logged and reported on its own; the other destinations and the local rotation still run.
/// </summary>
internal sealed class DestinationStep(ILogger logger)
{
    public DestinationResult Run(JobDestination destination, BackupInfo backup, RetentionPolicy jobPolicy, Action<BackupProgress>? progress, CancellationToken ct)
    {
        var result = new DestinationResult(StoreText.Redact(destination.Location));
        try
        {
            using var store = StoreRegistry.Open(destination.Location, new StoreOptions { Create = true });
            var policy = destination.Retention ?? jobPolicy;
            StaleUploads.Clean(store, logger, ct);
            var copy = new BackupCopier(logger) { Retention = policy }.Copy(backup, store, progress, ct);
            result = result with { Copy = copy.Copy };
            var mine = new StoreCatalog(logger).List(store, ct).Where(b => b.Database == backup.Database).ToList();
            var now = DateTimeOffset.UtcNow;
            var decisions = BackupRotation.Plan(mine, policy, TimeZoneInfo.Local, now: now);
            foreach (var d in decisions.Where(d => d.FutureDated)) BackupRotation.WarnFutureDated(logger, d, now);
            var rotation = new BackupRotation(logger);
            int locked = 0;
            foreach (var d in decisions)
            {
                try { rotation.Apply(d, allowInsecureDirectory: true); }
                catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectLocked")
                {
                    // The lock outlives what retention wanted (it covers the longest rule): kept, said, and tried again next run.
                    locked++;
                    logger.LogWarning(BackupEvents.RotationLocked, "Rotation kept backup {Id} of {Database} in {Destination}: {Error}",
                        d.Backup.Id, d.Backup.Database, result.Location, e.Message);
                }
            }
            return result with { Removed = decisions.Count(d => d.Removed), Kept = decisions.Count(d => !d.Removed), Locked = locked };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = e as SqliteBackupException ?? BackupErrors.JobStepFailed(backup.Database, $"copy to {result.Location}", e);
            logger.LogError(BackupEvents.CopyFailed, "Copy of {Database} backup {Id} to {Destination} failed ({ErrorId}): {Error}",
                backup.Database, backup.Id, result.Location, error.ErrorId, error.Message);
            return result with { ErrorId = error.ErrorId, Error = error.Message };
        }
    }
}
