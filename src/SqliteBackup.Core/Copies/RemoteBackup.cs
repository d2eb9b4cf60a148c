using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// A new backup for a remote location, streamed: the snapshot is read, compressed and hashed straight into the store's
/// upload, verified where it landed, and its manifest written last (see <see cref="BackupEngine"/>). No compressed copy
/// is made locally. The private staging folder (the -ScratchPath, or the temporary directory) holds something only when
/// the snapshot must be copied through SQLite's backup API first (a database not in WAL mode, or one whose WAL holds
/// frames not yet checkpointed): then it needs room for the database, uncompressed, while the upload runs.
/// </summary>
public static class RemoteBackup
{
    /// <param name="targetAccess">How <paramref name="target"/> was reached: the backup returned carries it.</param>
    public static BackupInfo Create(BackupRequest request, IBackupStore target, ILogger log, Action<BackupProgress>? progress = null, CancellationToken ct = default,
        StoreAccess? targetAccess = null)
    {
        // First, while the database is not yet being read: what an interrupted earlier run left at the location.
        StaleUploads.Clean(target, log, ct);
        using var staging = ScratchDirectory.Create(request.ScratchPath, Path.GetTempPath(), log);
        var backup = request.Incremental
            ? Repository.IncrementalBackup.Create(request, target, staging.Path, null, log, progress, ct)
            : new BackupEngine(log).Create(request, target, staging.Path, progress, ct);
        backup.Access = targetAccess;
        return backup;
    }
}
