using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// A new backup for a remote location: taken and verified exactly as a local one, in a private staging folder (the
/// -ScratchPath, or the temporary directory), then copied by <see cref="BackupCopier"/> (data, check, manifest last)
/// and the staging folder removed. It needs local room for the compressed backup, not for the database.
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
        var local = new BackupEngine(log).Create(request with { Destination = staging.Path }, progress, ct);
        return new BackupCopier(log) { DestinationAccess = targetAccess }.Copy(local, target, progress, ct).Copy;
    }
}
