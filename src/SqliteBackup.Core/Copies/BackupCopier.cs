using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Trust;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// Copies a backup to another location by the same protocol that writes one: the data object first (create-only,
/// never visible half-written), checked against what the destination stored, then the manifest last. A backup that is
/// already there with the same SHA-256 is left alone; one with another hash is an error, never overwritten.
/// </summary>
public sealed class BackupCopier(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>How the destination was reached (its credential): the copies returned carry it, for what acts on them next.</summary>
    public StoreAccess? DestinationAccess { get; init; }

    public CopyResult Copy(BackupInfo source, IBackupStore destination, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var m = source.Manifest;
        string manifestName = m.File + BackupManifest.Suffix;

        if (destination.Stat(manifestName, ct) != null)
        {
            var there = ReadManifest(destination, manifestName, ct);
            if (there?.StoredSha256 == m.StoredSha256)
            {
                _log.LogInformation("{Path} is already in {Destination} with the same SHA-256; nothing copied", source.Path, destination.Location);
                return new CopyResult(source, Located(there, destination, manifestName), CopyStatus.AlreadyPresent, clock.Elapsed);
            }
            throw BackupErrors.CopyConflict(destination.Location, m.File, there == null ? "a manifest that does not parse" : "a different backup with the same name");
        }

        if (destination.Stat(m.File, ct) is { } leftover)
        {
            // A data object without its manifest: an earlier copy killed before the manifest, or someone else's file.
            // Reused only when it is byte for byte this backup.
            if (leftover.Size != m.StoredSize || StoredHash(destination, m.File, ct) != m.StoredSha256)
                throw BackupErrors.CopyConflict(destination.Location, m.File, "an object of that name without a manifest, and not this backup");
            _log.LogInformation("{File} was already uploaded to {Destination} by an earlier, interrupted copy; only its manifest is written", m.File, destination.Location);
        }
        else Upload(source, destination, progress, ct);

        var copy = CloneForCopy(m, source);
        using (var json = new MemoryStream(copy.ToJson())) destination.Put(manifestName, json, createOnly: true, ct: ct);
        var info = Located(copy, destination, manifestName);
        _log.LogInformation(BackupEvents.BackupCopied, "Copied backup {Id} of {Database} to {Destination} ({Size} bytes, {DurationMs} ms)",
            m.Id, m.Database, destination.Location, m.StoredSize, clock.ElapsedMilliseconds);
        return new CopyResult(source, info, CopyStatus.Copied, clock.Elapsed);
    }

    void Upload(BackupInfo source, IBackupStore destination, Action<BackupProgress>? progress, CancellationToken ct)
    {
        var m = source.Manifest;
        using var sourceStore = SourceStore(source);
        using (var input = sourceStore.OpenRead(m.File, ct))
        using (var hashing = new HashingStream(input))
        {
            var bytes = new SyncProgress(n => progress?.Invoke(new BackupProgress($"Copying {m.File}", $"{HumanSizeOf(n)} of {HumanSizeOf(m.StoredSize)} to {destination.Location}",
                m.StoredSize > 0 ? (int)Math.Min(100, n * 100 / m.StoredSize) : 100)));
            destination.Put(m.File, hashing, createOnly: true, bytes, ct);
            string sent = hashing.HashHex();
            if (sent != m.StoredSha256)
            {
                destination.Delete(m.File, ct);
                throw BackupErrors.ChecksumMismatch(source.Path, $"its SHA-256 is {sent}, the manifest says {m.StoredSha256}; nothing was copied");
            }
        }
        // End to end: what the destination holds, not only what was sent.
        string stored = StoredHash(destination, m.File, ct);
        if (stored != m.StoredSha256)
        {
            destination.Delete(m.File, ct);
            throw BackupErrors.CopyCorrupted(destination.Location, m.File, stored, m.StoredSha256);
        }
        progress?.Invoke(new BackupProgress($"Copying {m.File}", "done", 100, Completed: true));
    }

    /// <summary>Reports on the thread that reports (stores do so on the caller's), unlike Progress&lt;T&gt;, which posts elsewhere.</summary>
    sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    static string HumanSizeOf(long n) => Reporting.HumanSize.Format(n);

    /// <summary>The service's own SHA-256 where it keeps one; otherwise the object read back.</summary>
    static string StoredHash(IBackupStore store, string name, CancellationToken ct)
    {
        if (store.Stat(name, ct)?.Sha256 is { Length: 64 } recorded) return recorded;
        using var s = store.OpenRead(name, ct);
        using var h = new HashingStream(s);
        h.CopyTo(Stream.Null, 1 << 20);
        return h.HashHex();
    }

    static IBackupStore SourceStore(BackupInfo source)
    {
        if (source.IsRemote) return source.OpenStore();
        // A local source is re-read and re-checked from disk, as every command that acts on a backup does.
        new BackupCatalog().Check(source);
        return new LocalDirectoryStore(source.Directory, new StoreOptions { AllowInsecureDirectory = true });
    }

    static BackupManifest? ReadManifest(IBackupStore store, string name, CancellationToken ct) => BackupManifest.TryParse(store.ReadAllBytes(name, ct), out _);

    static BackupManifest CloneForCopy(BackupManifest m, BackupInfo source)
    {
        var copy = BackupManifest.TryParse(m.ToJson(), out _)!;
        copy.CopiedFrom = StoreText.Redact(source.Path);
        copy.CopiedUtc = DateTime.UtcNow;
        // The copy was just proven to hold the stored bytes: a Quick verification of its own.
        copy.Verifications.Add(new VerificationRecord
        {
            TimeUtc = DateTime.UtcNow, Level = VerificationLevel.Quick, Passed = true, Outcome = VerificationOutcome.Passed,
            Message = "copied; size and SHA-256 of the stored object match the manifest",
        });
        return copy;
    }

    BackupInfo Located(BackupManifest m, IBackupStore store, string manifestName) =>
        store is LocalDirectoryStore local
            ? new BackupInfo(m, Path.Combine(local.Directory, manifestName))
            : new BackupInfo(m, store.Location, manifestName) { Access = DestinationAccess };
}
