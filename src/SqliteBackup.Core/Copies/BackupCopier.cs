using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Trust;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// Copies a backup to another location by the same protocol that writes one: the data object first (create-only,
/// never visible half-written), checked against what the destination stored, then the manifest last. A backup that is
/// already there (manifest with the same SHA-256, data object of its size) is left alone; one whose data object is gone
/// gets it back; one with another hash or size is an error, never overwritten.
/// </summary>
/// <para>
/// Where the destination can lock objects (S3 Object Lock), the data object and the manifest are written locked until
/// <see cref="LockPeriod.RetainUntil"/> of <see cref="Retention"/>. Before writing, what an interrupted earlier run
/// left at the destination is cleaned up (<see cref="StaleUploads"/>).
/// </para>
public sealed class BackupCopier(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>
    /// The destination's retention policy, which decides how long a lock keeps the copy. Commands that take no rule
    /// (Copy-SqliteBackup, New-SqliteBackup) leave it at what rotation applies without one, <see cref="RetentionPolicy.Default"/>.
    /// </summary>
    public RetentionPolicy Retention { get; init; } = RetentionPolicy.Default;
    /// <summary>How the destination was reached (its credential): the copies returned carry it, for what acts on them next.</summary>
    public StoreAccess? DestinationAccess { get; init; }

    public CopyResult Copy(BackupInfo source, IBackupStore destination, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var m = source.Manifest;
        string manifestName = m.File + BackupManifest.Suffix;
        StaleUploads.Clean(destination, _log, ct);
        DateTime? retainUntil = destination is IObjectLockStore locking && locking.CanLock(ct) ? LockPeriod.RetainUntil(Retention, m.CreatedUtc) : null;

        if (destination.Stat(manifestName, ct) != null)
        {
            var there = ReadManifest(destination, manifestName, ct);
            if (there?.StoredSha256 != m.StoredSha256)
                throw BackupErrors.CopyConflict(destination.Location, m.File, there == null ? "a manifest that does not parse" : "a different backup with the same name");
            // The manifest alone proves nothing: the backup is there only with its data object, as the listing requires.
            if (destination.Stat(m.File, ct) is { } data)
            {
                if (data.Size != m.StoredSize || (data.Sha256 is { Length: 64 } recorded && recorded != m.StoredSha256))
                    throw BackupErrors.CopyConflict(destination.Location, m.File, $"this backup's manifest beside a data object that is not this backup ({data.Size} bytes, the manifest says {m.StoredSize})");
                KeepLocked(destination, m.File, retainUntil, ct);
                KeepLocked(destination, manifestName, retainUntil, ct);
                _log.LogInformation("{Path} is already in {Destination} with the same SHA-256; nothing copied", source.Path, destination.Location);
                return new CopyResult(source, Located(there, destination, manifestName), CopyStatus.AlreadyPresent, clock.Elapsed);
            }
            // Its data object was deleted behind our back. Until it is back the backup is not listed (nor restorable), so
            // uploading it again under the manifest already there (the same backup, same SHA-256) publishes nothing early.
            _log.LogWarning("{File} in {Destination} had its manifest but not its data object (deleted behind our back?); copying the data again", m.File, destination.Location);
            Upload(source, destination, retainUntil, progress, ct);
            // A rotation at the destination deletes a manifest, then its data object: one that ran between our looks
            // leaves the data object just uploaded without a manifest, an orphan reported as copied. Published as a
            // new copy instead.
            if (destination.Stat(manifestName, ct) == null)
            {
                _log.LogWarning("{File}'s manifest in {Destination} was deleted while its data object was copied again (a rotation there?); a new manifest is written", m.File, destination.Location);
                return Publish(source, destination, retainUntil, manifestName, clock, ct);
            }
            _log.LogInformation(BackupEvents.BackupCopied, "Copied backup {Id} of {Database} to {Destination} again, under the manifest already there ({Size} bytes, {DurationMs} ms)",
                m.Id, m.Database, destination.Location, m.StoredSize, clock.ElapsedMilliseconds);
            return new CopyResult(source, Located(there, destination, manifestName), CopyStatus.Copied, clock.Elapsed);
        }

        if (destination.Stat(m.File, ct) is { } leftover)
        {
            // A data object without its manifest: an earlier copy killed before the manifest, or someone else's file.
            // Reused only when it is byte for byte this backup.
            if (!IsThisBackup(destination, m, leftover.Size, ct))
                throw BackupErrors.CopyConflict(destination.Location, m.File, "an object of that name without a manifest, and not this backup");
            KeepLocked(destination, m.File, retainUntil, ct);
            _log.LogInformation("{File} was already uploaded to {Destination} by an earlier, interrupted copy; only its manifest is written", m.File, destination.Location);
        }
        else Upload(source, destination, retainUntil, progress, ct);
        return Publish(source, destination, retainUntil, manifestName, clock, ct);
    }

    /// <summary>
    /// Where the location locks, an object of this backup that this copy did not write (a killed copy's: Azure locks after
    /// the upload; or one whose lock failed) is locked now as a new one would be: reused unlocked, it would be the one
    /// backup stolen credentials could delete. A lock is only ever extended.
    /// </summary>
    static void KeepLocked(IBackupStore store, string name, DateTime? retainUntil, CancellationToken ct)
    {
        if (retainUntil is { } until && store is IObjectLockStore locking) locking.ExtendLock(name, until, ct);
    }

    /// <summary>The manifest last, once the data object there is proven this backup.</summary>
    CopyResult Publish(BackupInfo source, IBackupStore destination, DateTime? retainUntil, string manifestName, Stopwatch clock, CancellationToken ct)
    {
        var m = source.Manifest;
        var copy = CloneForCopy(m, source);
        byte[] manifestBytes = copy.ToJson();
        try
        {
            destination.PutManifest(manifestName, manifestBytes, json => Put(destination, manifestName, json, retainUntil, null, ct), ct);
        }
        // Another copy of the same backup to the same place (a second Copy-SqliteBackup, a job) published its manifest
        // between our look and our write: the backup is there, and this copy is not a failure.
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists" && PublishedMeanwhile(destination, m, manifestName, ct) is { } raced)
        {
            _log.LogInformation("{File} was published in {Destination} by another copy while this one ran, with the same SHA-256; nothing more copied", m.File, destination.Location);
            return new CopyResult(source, Located(raced, destination, manifestName), CopyStatus.AlreadyPresent, clock.Elapsed);
        }
        if (retainUntil != null)
            _log.LogInformation("{File} and its manifest in {Destination} are locked until {RetainUntil:u}, as long as its retention could keep it", m.File, destination.Location, retainUntil);
        var info = Located(copy, destination, manifestName);
        _log.LogInformation(BackupEvents.BackupCopied, "Copied backup {Id} of {Database} to {Destination} ({Size} bytes, {DurationMs} ms)",
            m.Id, m.Database, destination.Location, m.StoredSize, clock.ElapsedMilliseconds);
        return new CopyResult(source, info, CopyStatus.Copied, clock.Elapsed);
    }

    static void Put(IBackupStore destination, string name, Stream content, DateTime? retainUntil, IProgress<long>? progress, CancellationToken ct)
    {
        if (retainUntil is { } until && destination is IObjectLockStore locking) locking.PutLocked(name, content, until, progress, ct);
        else destination.Put(name, content, createOnly: true, progress, ct);
    }

    /// <summary>
    /// The data object, proven end to end: the destination's SHA-256 of what it holds (its checksum, or the object read
    /// back) must be the manifest's. The source is not hashed on the way: what the destination holds is what was read
    /// from it, so a damaged source fails that comparison too, and the source is read again only then, to say whose
    /// fault it was. Hashing every copy on the way cost a quarter of a second of CPU per 400 MB for nothing the
    /// comparison does not catch (and S3's upload hashes what it sends anyway).
    /// </summary>
    void Upload(BackupInfo source, IBackupStore destination, DateTime? retainUntil, Action<BackupProgress>? progress, CancellationToken ct)
    {
        var m = source.Manifest;
        long sent;
        using (var sourceStore = SourceStore(source))
        using (var input = new CountingStream(sourceStore.OpenRead(m.File, ct)))
        {
            var rate = new TransferRate(m.StoredSize);
            var bytes = new SyncProgress(n => progress?.Invoke(rate.Progress($"Copying {m.File}", n, $"to {destination.Location}")));
            try { Put(destination, m.File, input, retainUntil, bytes, ct); }
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
            {
                // Another copy of the same backup landed its data object between our look and our rename (create-only
                // refused ours). Used, as an interrupted copy's object is, only when it is byte for byte this backup.
                if (!IsThisBackup(destination, m, destination.Stat(m.File, ct)?.Size, ct))
                    throw BackupErrors.CopyConflict(destination.Location, m.File, "an object of that name, written by another writer while this copy ran, that is not this backup");
                KeepLocked(destination, m.File, retainUntil, ct);
                _log.LogInformation("{File} was uploaded to {Destination} by another copy while this one ran, byte for byte this backup; it is used", m.File, destination.Location);
                progress?.Invoke(new BackupProgress($"Copying {m.File}", "done", 100, Completed: true));
                return;
            }
            sent = input.Count;
        }
        // A source read short or long changed while it was copied (truncated, rewritten): its fault even when the read
        // below, later, finds it whole again, which would blame the destination for holding exactly what it was sent.
        if (sent != m.StoredSize)
        {
            destination.Delete(m.File, ct);
            throw BackupErrors.ChecksumMismatch(source.Path, $"{sent} bytes were read from it, the manifest says {m.StoredSize}: it changed while it was copied; nothing was copied");
        }
        string stored = StoredHash(destination, m.File, ct);
        if (stored != m.StoredSha256)
        {
            destination.Delete(m.File, ct);
            using var sourceStore = SourceStore(source);
            string read = sourceStore.ReadBackSha256(m.File, ct: ct);
            if (read != m.StoredSha256)
                throw BackupErrors.ChecksumMismatch(source.Path, $"its SHA-256 is {read}, the manifest says {m.StoredSha256}; nothing was copied");
            throw BackupErrors.CopyCorrupted(destination.Location, m.File, stored, m.StoredSha256);
        }
        progress?.Invoke(new BackupProgress($"Copying {m.File}", "done", 100, Completed: true));
    }


    /// <summary>How many bytes the upload read from the source: counting costs nothing that hashing did.</summary>
    sealed class CountingStream(Stream inner) : ReadThroughStream
    {
        public long Count { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Count += n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>A data object found under the backup's name (one not written by this copy) that is byte for byte this backup.</summary>
    static bool IsThisBackup(IBackupStore store, BackupManifest m, long? size, CancellationToken ct) =>
        size == m.StoredSize && StoredHash(store, m.File, ct) == m.StoredSha256;

    /// <summary>The service's own SHA-256 where it keeps or computes one; otherwise the object read back.</summary>
    static string StoredHash(IBackupStore store, string name, CancellationToken ct)
    {
        if (store.Stat(name, ct) is { } stat && store.ServiceSha256(stat, ct) is { } proven) return proven;
        return store.ReadBackSha256(name, ct: ct);
    }

    static IBackupStore SourceStore(BackupInfo source)
    {
        if (source.IsRemote) return source.OpenStore();
        // A local source is re-read and re-checked from disk, as every command that acts on a backup does.
        var store = new LocalDirectoryStore(source.Directory);
        try { new StoreCatalog().Check(source, store); }
        catch { store.Dispose(); throw; }
        return store;
    }

    /// <summary>
    /// After our create-only manifest was refused: the manifest there, when it is this backup (same SHA-256) beside its
    /// data object of the right size, as the AlreadyPresent check at the start requires; null otherwise (the refusal stands).
    /// </summary>
    static BackupManifest? PublishedMeanwhile(IBackupStore store, BackupManifest m, string manifestName, CancellationToken ct)
    {
        try
        {
            var there = ReadManifest(store, manifestName, ct);
            if (there?.StoredSha256 != m.StoredSha256) return null;
            return store.Stat(m.File, ct) is { } data && data.Size == m.StoredSize && (data.Sha256 is not { Length: 64 } recorded || recorded == m.StoredSha256) ? there : null;
        }
        catch (Exception e) when (e is SqliteBackupException or IOException) { return null; }
    }

    static BackupManifest? ReadManifest(IBackupStore store, string name, CancellationToken ct) => BackupManifest.TryParse(store.ReadAllBytes(name, ct), out _);

    static BackupManifest CloneForCopy(BackupManifest m, BackupInfo source) =>
        CloneForCopy(m, source, "copied; size and SHA-256 of the stored object match the manifest");

    /// <summary>The copy's manifest: where it came from, and the Quick verification the copy itself just was (<paramref name="proof"/>).</summary>
    internal static BackupManifest CloneForCopy(BackupManifest m, BackupInfo source, string proof)
    {
        var copy = BackupManifest.TryParse(m.ToJson(), out _)!;
        copy.CopiedFrom = StoreText.Redact(source.Path);
        copy.CopiedUtc = DateTime.UtcNow;
        copy.Verifications.Add(new VerificationRecord
        {
            TimeUtc = DateTime.UtcNow, Level = VerificationLevel.Quick, Passed = true, Outcome = VerificationOutcome.Passed,
            Message = proof,
        });
        return copy;
    }

    BackupInfo Located(BackupManifest m, IBackupStore store, string manifestName) =>
        store is LocalDirectoryStore local
            ? new BackupInfo(m, Path.Combine(local.Directory, manifestName))
            : new BackupInfo(m, store.Location, manifestName) { Access = DestinationAccess };
}
