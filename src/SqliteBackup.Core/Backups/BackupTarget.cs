using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Backups;

/// <summary>
/// Where <see cref="BackupEngine"/> puts a new backup, by the same protocol everywhere: the stored bytes first (never
/// visible half-written), verified where they landed, the manifest last and create-only; a failure after the data
/// became visible removes it again. A backup directory receives a private temporary file published by rename; a store
/// receives the bytes straight from the snapshot through its Put, with no compressed copy on local disk.
/// </summary>
internal abstract class BackupTarget
{
    /// <summary>The backup's data object is visible: a later failure must remove it.</summary>
    public bool Published { get; protected set; }

    /// <summary>The local folder that holds temporaries (a backup-API snapshot copy); disk-space and permission errors name it.</summary>
    public abstract string TempFolder { get; }

    /// <summary>Checks made before the source is opened, so a refused destination leaves no trace.</summary>
    public abstract void CheckBeforeOpen(bool allowInsecureDirectory);

    /// <summary>Makes the location ready for writing, once the source opened.</summary>
    public abstract void Prepare(bool allowInsecureDirectory, ILogger log);

    /// <summary>Where the backup called <paramref name="name"/> will be, for messages.</summary>
    public abstract string PathOf(string name);

    /// <summary>
    /// Compresses exactly <paramref name="length"/> bytes of the stream <paramref name="openInput"/> gives, hashing both
    /// sides into <paramref name="manifest"/>, while <paramref name="alongside"/> (reading the same snapshot) runs;
    /// progress is reported on the calling thread. Returns the work's outcome once both are done (a faulted task when
    /// it failed), so that the caller decides what a failure means before anything is rethrown.
    /// </summary>
    public abstract Task Write(string name, Func<Stream> openInput, long length, BackupRequest request, BackupManifest manifest, Task? alongside,
        string activity, string status, Action<BackupProgress>? progress, List<string> temps, CancellationToken ct);

    /// <summary>
    /// This target opens what it wrote with a key of its own, whatever the recipients: an encrypted repository's writer
    /// holds the repository key (its key object is encrypted to the writer too), and every check it runs needs only that.
    /// </summary>
    public virtual bool OpensOwnEncryption => false;

    /// <summary>For a local target without compression, the backup-API copy is the stored file itself, published as is.</summary>
    public virtual bool AdoptsRawCopy => false;

    /// <summary>Makes what <see cref="Write"/> produced visible under its name (a rename; a store's Put already did).</summary>
    public abstract BackupInfo Publish(string name, BackupManifest manifest);

    public abstract VerificationResult Verify(BackupVerifier verifier, BackupInfo info, VerificationLevel level, FreshCapture? fresh,
        Action<BackupProgress>? progress, CancellationToken ct);

    /// <summary>Writes the manifest, create-only: from this instant the backup exists.</summary>
    public abstract void WriteManifest(BackupInfo info, byte[] json, CancellationToken ct);

    /// <summary>Removes the data object after a failure; never throws.</summary>
    public abstract void Discard(string name, ILogger log);

    /// <summary>Waits for a background store on the caller's thread, which is the only one allowed to report progress.</summary>
    internal static void WaitReporting(Task work, Func<long> pumped, long length, string activity, string status, Action<BackupProgress>? progress)
    {
        void Report() => progress?.Invoke(new BackupProgress(activity, $"{status}{pumped() / 1048576:N0} of {length / 1048576:N0} MiB",
            length == 0 ? 100 : (int)(pumped() * 100 / length)));
        Report();
        while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(100)) Report();
        Report();
    }
}

/// <summary>
/// A backup directory, through its <see cref="LocalDirectoryStore"/>: a private temporary file of the store's, compressed
/// into on a low-priority thread and flushed as it goes, published by the store's rename; the manifest by its create-only Put.
/// </summary>
internal sealed class DirectoryTarget(string directory) : BackupTarget
{
    const int Buffer = 1 << 20;
    const long FlushEvery = 8L << 20;

    LocalDirectoryStore? _store;
    LocalDirectoryStore Store => _store ?? throw new InvalidOperationException("Prepare first.");

    public override string TempFolder => directory;

    public override void CheckBeforeOpen(bool allowInsecureDirectory) => LocalDirectoryStore.CheckBeforeCreate(directory, allowInsecureDirectory);

    public override void Prepare(bool allowInsecureDirectory, ILogger log)
    {
        // Trusted again once it exists: someone else may have made it between the check and our mkdir.
        try { _store = new LocalDirectoryStore(directory, new StoreOptions { Create = true, AllowInsecureDirectory = allowInsecureDirectory }); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(directory, e); }
        BackupCatalog.CleanStale(_store, log);
    }

    public override string PathOf(string name) => Path.Combine(directory, name);

    string? _storedTemp;

    public override bool AdoptsRawCopy => true;

    /// <summary>The backup-API copy (a temporary of ours in this directory) published as the stored file (no compression).</summary>
    public void Adopt(string rawTemp) => _storedTemp = rawTemp;

    public override Task Write(string name, Func<Stream> openInput, long length, BackupRequest request, BackupManifest manifest, Task? alongside,
        string activity, string status, Action<BackupProgress>? progress, List<string> temps, CancellationToken ct)
    {
        var store = Store;
        string storedTemp = _storedTemp = store.TemporaryPathFor(name);
        var pumped = new StrongBox<long>();
        var work = BackgroundPriority.Run(() =>
        {
            using var input = openInput();
            using var output = store.CreateTemporary(storedTemp, Buffer);
            if (request.Encryption != null) Encrypt(input, length, output, request, manifest, pumped, ct);
            else Compress(input, length, output, request, manifest, pumped, ct);
        });
        WaitReporting(alongside == null ? work : Task.WhenAll(work, alongside), () => Volatile.Read(ref pumped.Value), length, activity, status, progress);
        return work;
    }

    public override BackupInfo Publish(string name, BackupManifest manifest)
    {
        Store.PublishTemporary(_storedTemp!, name, createOnly: true);
        Published = true;
        return new BackupInfo(manifest, BackupManifest.PathFor(PathOf(name)));
    }

    public override VerificationResult Verify(BackupVerifier verifier, BackupInfo info, VerificationLevel level, FreshCapture? fresh,
        Action<BackupProgress>? progress, CancellationToken ct) =>
        verifier.Verify(info, Store, level, null, progress, ct, record: false, fresh);

    public override void WriteManifest(BackupInfo info, byte[] json, CancellationToken ct)
    {
        using var ms = new MemoryStream(json);
        Store.Put(info.Manifest.File + BackupManifest.Suffix, ms, createOnly: true, ct: ct);
    }

    public override void Discard(string name, ILogger log)
    {
        if (_store == null) return;
        try
        {
            if (Published) _store.Delete(name);
            else if (_storedTemp != null) _store.DeleteTemporary(_storedTemp);
        }
        // Without its manifest it is no backup: the next run reports it as an orphan.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("Could not remove {Name} from {Location} after the failure: {Message}", name, _store.Location, e.Message);
        }
    }

    /// <summary>Compresses, then encrypts, exactly <paramref name="length"/> bytes of <paramref name="input"/>: the same pull pipeline as a store's.</summary>
    static void Encrypt(Stream input, long length, FileStream output, BackupRequest request, BackupManifest manifest, StrongBox<long> pumped,
        CancellationToken ct)
    {
        using var reader = new CompressingReader(input, length, request.Compression, request.ZstdLevel, ct);
        using var sealer = new Encryption.AgeEncryptingReader(reader, request.Encryption!.AgeRecipients, leaveOpen: true);
        var buffer = new byte[Buffer];
        long written = 0, flushedAt = 0;
        int n;
        while ((n = sealer.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
            written += n;
            if (written - flushedAt >= FlushEvery)
            {
                output.Flush(flushToDisk: true);
                flushedAt = written;
            }
            Volatile.Write(ref pumped.Value, reader.RawRead);
        }
        output.Flush();
        manifest.StoredSha256 = sealer.StoredSha256;
        manifest.StoredSize = sealer.StoredSize;
        manifest.RawSha256 = reader.RawSha256;
        manifest.RawSize = length;
    }

    /// <summary>Compresses exactly <paramref name="length"/> bytes of <paramref name="input"/>, hashing both sides on the way.</summary>
    static void Compress(Stream input, long length, FileStream output, BackupRequest request, BackupManifest manifest, StrongBox<long> pumped,
        CancellationToken ct)
    {
        using var rawHash = new HashingStream(input, leaveOpen: true);
        {
            using var storedHash = new HashingStream(output, leaveOpen: true);
            using (var compressor = Codec.Compress(request.Compression, storedHash, request.ZstdLevel))
            {
                var buffer = new byte[Buffer];
                long remaining = length, flushedAt = 0;
                while (remaining > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    int n = rawHash.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                    if (n == 0) throw new IOException($"The database file ended {remaining} bytes early.");
                    compressor.Write(buffer, 0, n);
                    remaining -= n;
                    // Write back as we go: one fsync of hundreds of MB at the end stalls every other fsync on the disk.
                    if (storedHash.BytesWritten - flushedAt >= FlushEvery)
                    {
                        output.Flush(flushToDisk: true);
                        flushedAt = storedHash.BytesWritten;
                    }
                    Volatile.Write(ref pumped.Value, length - remaining);
                }
            }
            storedHash.Flush();
            // No final fsync here: publishing makes the file durable before it renames it.
            output.Flush();
            manifest.StoredSha256 = storedHash.HashHex();
            manifest.StoredSize = storedHash.BytesWritten;
        }
        manifest.RawSha256 = rawHash.HashHex();
        manifest.RawSize = length;
    }
}

/// <summary>
/// A store: the snapshot is compressed on the calling thread as the store's Put pulls it (<see cref="CompressingReader"/>),
/// so nothing but a backup-API snapshot copy (needed only when the snapshot cannot be read from the database file in
/// place) ever lands on local disk, in <paramref name="tempFolder"/>. Create-only, so two runs never replace each other.
/// In a location with Object Lock, data and manifest are locked as Copy-SqliteBackup locks them: until the longest rule of
/// the retention that applies without one (<see cref="Retention.RetentionPolicy.Default"/>) could keep the backup.
/// </summary>
internal sealed class StoreTarget(IBackupStore store, string tempFolder) : BackupTarget
{
    DateTime? _retainUntil;

    public override string TempFolder => tempFolder;

    void Put(string name, Stream content, IProgress<long>? progress, CancellationToken ct)
    {
        if (_retainUntil is { } until && store is IObjectLockStore locking) locking.PutLocked(name, content, until, progress, ct);
        else store.Put(name, content, createOnly: true, progress, ct);
    }

    /// <summary>A location that asks for a lock it cannot give is refused here, before the database is even opened.</summary>
    public override void CheckBeforeOpen(bool allowInsecureDirectory) => (store as IObjectLockStore)?.CanLock();

    public override void Prepare(bool allowInsecureDirectory, ILogger log) { }

    public override string PathOf(string name) => store.Location.TrimEnd('/') + "/" + name;

    public override Task Write(string name, Func<Stream> openInput, long length, BackupRequest request, BackupManifest manifest, Task? alongside,
        string activity, string status, Action<BackupProgress>? progress, List<string> temps, CancellationToken ct)
    {
        Exception? failure = null;
        try
        {
            using var input = openInput();
            using var reader = new CompressingReader(input, length, request.Compression, request.ZstdLevel, ct);
            using var sealer = request.Encryption == null ? null : new Encryption.AgeEncryptingReader(reader, request.Encryption.AgeRecipients, leaveOpen: true);
            // Of the database's bytes (the compressed total is known only at the end), with the rate and time left.
            var rate = new Copies.TransferRate(length);
            var sent = new SyncProgress(_ => progress?.Invoke(rate.Progress(activity, reader.RawRead, $"to {store.Location}")));
            _retainUntil = store is IObjectLockStore locking && locking.CanLock(ct)
                ? Copies.LockPeriod.RetainUntil(Retention.RetentionPolicy.Default, manifest.CreatedUtc) : null;
            Put(name, (Stream?)sealer ?? reader, sent, ct);
            Published = true;
            // A store that stopped reading early stored a truncated backup under its name (removed again by the caller).
            if (!reader.Complete || sealer is { Complete: false }) throw new IOException($"{store.Location} stopped reading '{name}' before its end.");
            manifest.StoredSha256 = sealer?.StoredSha256 ?? reader.StoredSha256;
            manifest.StoredSize = sealer?.StoredSize ?? reader.StoredSize;
            manifest.RawSha256 = reader.RawSha256;
            manifest.RawSize = length;
        }
        catch (Exception e) { failure = e; }
        // The other reader of the snapshot finishes before the caller rolls the snapshot back, whatever happened here.
        if (alongside != null) WaitReporting(alongside, () => length, length, activity, "Counting rows: ", progress);
        return failure == null ? Task.CompletedTask : Task.FromException(failure);
    }

    public override BackupInfo Publish(string name, BackupManifest manifest) => new(manifest, store.Location, name + BackupManifest.Suffix);

    /// <summary>Verified where it landed: what the service stored, read back as a stream (see <see cref="BackupVerifier"/>).</summary>
    public override VerificationResult Verify(BackupVerifier verifier, BackupInfo info, VerificationLevel level, FreshCapture? fresh,
        Action<BackupProgress>? progress, CancellationToken ct) =>
        verifier.Verify(info, store, level, null, progress, ct, record: false, fresh);

    bool _manifestSent;

    public override void WriteManifest(BackupInfo info, byte[] json, CancellationToken ct)
    {
        string name = info.Manifest.File + BackupManifest.Suffix;
        _manifestSent = true;
        store.PutManifest(name, json, ms => Put(name, ms, null, ct), ct);
    }

    public override void Discard(string name, ILogger log)
    {
        if (!Published) return;
        try
        {
            // A manifest whose write failed may still have landed: removing its data object would leave a backup that
            // lists and cannot be restored. Kept, it is a backup the next listing shows (or reports).
            if (_manifestSent && store.Stat(name + BackupManifest.Suffix) != null)
            {
                log.LogWarning("Kept {Name} in {Location} after the failure: its manifest is there, although writing it failed", name, store.Location);
                return;
            }
            store.Delete(name);
        }
        // Without its manifest it is no backup; the next listing reports it and a later copy of the same backup reuses it.
        catch (Exception e) when (e is SqliteBackupException or IOException or TimeoutException)
        {
            log.LogWarning("Could not remove {Name} from {Location} after the failure: {Message}", name, store.Location, e.Message);
        }
    }

}
