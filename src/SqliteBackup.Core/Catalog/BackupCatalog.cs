using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Catalog;

/// <summary>
/// The backups in a local directory, addressed by path: <see cref="StoreCatalog"/> over a <see cref="LocalDirectoryStore"/>,
/// which holds the file-system checks (symlinks, ownership, directory trust). What is added here is only what a path
/// typed by a user needs: telling a folder, a database or a missing directory apart for the error message.
/// </summary>
public sealed class BackupCatalog(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>Use a directory that users other than its owner and root can write (see <see cref="Trust.DirectoryTrust"/>).</summary>
    public bool AllowInsecureDirectory { get; init; }

    LocalDirectoryStore Store(string directory) => new(directory, new StoreOptions { AllowInsecureDirectory = AllowInsecureDirectory });

    StoreAccess Access(string directory) => new(Path.GetFullPath(directory), new StoreOptions { AllowInsecureDirectory = AllowInsecureDirectory });

    /// <summary>Backups in <paramref name="directory"/>, oldest first. Unreadable or untrusted manifests are skipped with a warning.</summary>
    public IReadOnlyList<BackupInfo> List(string directory)
    {
        using var store = Store(directory);
        return new StoreCatalog(_log).List(store, Access(directory));
    }

    /// <summary>One backup given the path of its file or of its manifest.</summary>
    public BackupInfo Open(string path)
    {
        path = Path.GetFullPath(path);
        string manifestPath = path.EndsWith(BackupManifest.Suffix, StringComparison.OrdinalIgnoreCase) ? path : BackupManifest.PathFor(path);
        string directory = Path.GetDirectoryName(manifestPath)!;
        if (Directory.Exists(path)) throw BackupErrors.BackupPathIsDirectory(path);
        if (!Directory.Exists(directory)) throw BackupErrors.BackupNotFound(path);
        using var store = Store(directory);
        var named = new BackupInfo(new BackupManifest { File = Path.GetFileName(manifestPath)[..^BackupManifest.Suffix.Length] }, manifestPath);
        try { return new StoreCatalog(_log).Check(named, store); }
        catch (SqliteBackupException e) when (e.ErrorId == "BackupNotFound"
            && File.Exists(path) && !BackupNaming.IsBackupFileName(Path.GetFileName(path)) && SqliteFiles.HasSqliteHeader(path))
        {
            throw BackupErrors.BackupPathIsDatabase(path);
        }
    }

    /// <summary>
    /// The same backup as read from disk now, after the same check <see cref="List"/> applies. For objects that came
    /// through a pipeline or were built by hand: what is deleted or restored is never decided by an object in memory.
    /// </summary>
    public BackupInfo Check(BackupInfo backup)
    {
        using var store = Store(backup.Directory);
        return new StoreCatalog(_log).Check(backup, store);
    }

    /// <summary>Parses without following a symlink; null with the reason for anything that is not one of our manifests.</summary>
    public static BackupManifest? ReadManifest(string manifestPath, out string? problem)
    {
        try
        {
            using var store = new LocalDirectoryStore(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, new StoreOptions { AllowInsecureDirectory = true });
            return BackupManifest.TryParse(store.ReadOwned(Path.GetFileName(manifestPath), 16 << 20, out _), out problem);
        }
        catch (Exception e) when (e is SqliteBackupException or IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
    }

    /// <summary>Manifest first (see <see cref="StoreCatalog.Remove(BackupInfo, IBackupStore, string?, EventId?, CancellationToken)"/>).</summary>
    public void Remove(BackupInfo backup, string? reason = null, EventId? eventId = null)
    {
        using var store = Store(backup.Directory);
        new StoreCatalog(_log).Remove(backup, store, reason, eventId);
    }

    /// <summary>
    /// Removes temporaries of dead writers (our temporary-file pattern only). A backup-named file without a manifest is
    /// an orphan: reported, never deleted; Get-SqliteBackup -IncludeOrphans lists it and Test-SqliteBackup registers it.
    /// </summary>
    public static int CleanStale(string directory, ILogger? log = null)
    {
        LocalDirectoryStore store;
        try { store = new LocalDirectoryStore(directory, new StoreOptions { AllowInsecureDirectory = true }); }
        catch (SqliteBackupException e) when (e.ErrorId is "BackupDirectoryNotFound" or "BackupPathIsFile" or "BackupPathIsDatabase") { return 0; }
        using (store) return CleanStale(store, log);
    }

    /// <summary>The same for a directory already opened as a store.</summary>
    internal static int CleanStale(LocalDirectoryStore store, ILogger? log = null)
    {
        log ??= NullLogger.Instance;
        int removed = store.AbortStaleUploads(store.StaleAfter);
        if (removed > 0) log.LogInformation(BackupEvents.StaleUploadsAborted, "Removed {Count} stale temporary file(s) left by killed writers in {Location}", removed, store.Location);
        foreach (var orphan in new StoreCatalog().ListOrphans(store, null))
            log.LogWarning("{File} is a backup file without a manifest (an orphan); it was kept. List it with Get-SqliteBackup -IncludeOrphans; Test-SqliteBackup -VerificationLevel Standard registers it again if it passes.", orphan.Path);
        return removed;
    }

    /// <summary>Backup-named files without a manifest, past the grace period of a backup still being verified.</summary>
    public IReadOnlyList<BackupInfo> ListOrphans(string directory)
    {
        using var store = Store(directory);
        return new StoreCatalog(_log).ListOrphans(store, Access(directory));
    }
}
