using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Repository;

/// <summary>New-SqliteBackup -Incremental: one snapshot into the repository at a location, by the engine's own capture.</summary>
public static class IncrementalBackup
{
    /// <summary>Into the repository in the request's local destination (created owner-only if missing).</summary>
    public static BackupInfo CreateLocal(BackupRequest request, ILogger log, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        CheckRequest(request);
        string directory = request.ResolveDestination();
        using var store = new LocalDirectoryStore(directory, new StoreOptions { Create = true, AllowInsecureDirectory = request.AllowInsecureDirectory });
        return Create(request, store, directory, directory, log, progress, ct);
    }

    /// <param name="tempFolder">Local temporaries (a backup-API snapshot copy).</param>
    /// <param name="localDirectory">For a local repository, its directory: the backup returned has local paths.</param>
    internal static BackupInfo Create(BackupRequest request, IBackupStore store, string tempFolder, string? localDirectory, ILogger log,
        Action<BackupProgress>? progress = null, CancellationToken ct = default) =>
        Create(request, store, tempFolder, localDirectory, log, progress, ct, out _);

    internal static BackupInfo Create(BackupRequest request, IBackupStore store, string tempFolder, string? localDirectory, ILogger log,
        Action<BackupProgress>? progress, CancellationToken ct, out RepositoryTarget.WriteStats? stats)
    {
        CheckRequest(request);
        using var target = new RepositoryTarget(store, tempFolder, localDirectory, request.BlockSize, request.Encryption);
        try { return new BackupEngine(log).Create(request, target, progress, ct); }
        finally { stats = target.Stats; }
    }

    static void CheckRequest(BackupRequest request)
    {
        if (request.Compression != CompressionKind.Zstd) throw BackupErrors.IncrementalNeedsZstd(request.Compression);
        if (request.BlockSize is { } b && !RepositoryConfig.IsValidBlockSize(b)) throw BackupErrors.RepositoryBlockSizeInvalid(b);
    }
}
