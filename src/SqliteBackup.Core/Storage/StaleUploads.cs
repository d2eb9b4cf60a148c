using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// The cleanup every run that writes to a store does first: what an earlier run killed mid-upload left behind (see
/// <see cref="IStaleUploadCleanup"/>) is removed once it is older than the store's <see cref="IStaleUploadCleanup.StaleAfter"/>.
/// Housekeeping, never a reason to fail a backup: a failure is a warning, and the next run tries again.
/// </summary>
public static class StaleUploads
{
    // Once per opened store: a Copy-SqliteBackup of fifty backups asks the service once, not fifty times.
    static readonly ConditionalWeakTable<IBackupStore, object> Cleaned = new();

    /// <returns>How many were removed; 0 when the store leaves nothing behind, when already cleaned, or on failure.</returns>
    public static int Clean(IBackupStore store, ILogger log, CancellationToken ct = default)
    {
        if (store is not IStaleUploadCleanup cleanup || !Cleaned.TryAdd(store, Cleaned)) return 0;
        try
        {
            int n = cleanup.AbortStaleUploads(cleanup.StaleAfter, ct);
            if (n > 0)
                log.LogInformation(BackupEvents.StaleUploadsAborted, "Aborted {Count} unfinished upload(s) older than {Age} in {Location}: left by an interrupted earlier run",
                    n, cleanup.StaleAfter, store.Location);
            return n;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(BackupEvents.StaleUploadCleanupFailed, "Could not clean up unfinished uploads in {Location} ({Error}); the next run tries again",
                store.Location, e.Message);
            return 0;
        }
    }
}
