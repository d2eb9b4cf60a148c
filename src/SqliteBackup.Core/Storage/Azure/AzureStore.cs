using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.Azure;

/// <summary>
/// Backups in an Azure Blob Storage container under a prefix (or Azurite). A block blob becomes visible only when its
/// Put Blob or its block list commit completes, so a killed writer leaves at most uncommitted blocks, which no listing
/// shows and Azure discards by itself (see <see cref="AzureUpload"/>). Azure keeps no SHA-256 of a blob, so
/// <see cref="StoredObject.Sha256"/> stays null and end-to-end checks read the blob back.
/// </summary>
/// <para>
/// In a container with version-level immutability (WORM) on, an object written by <see cref="PutLocked"/> gets a blob
/// immutability policy until its retain-until date, set right after its upload and read back before the write counts;
/// a delete the policy refuses is reported, never counted as done. Untested against Azure itself: Azurite does not
/// implement immutability (Azure/Azurite#2648), so the requests are checked against a scripted server that answers as
/// the Blob REST API documents.
/// </para>
public sealed class AzureStore : IObjectLockStore
{
    /// <summary>8 MiB blocks: four buffers (32 MiB) per upload, a retried block costs a second, 10,000 blocks hold 78 GiB.</summary>
    public const int DefaultBlockSize = 8 << 20;

    readonly AzureLocation _location;
    readonly BlobContainerClient _container;
    readonly Uri _endpoint;
    readonly bool _create;
    readonly int _blockSize;
    readonly StoreOptions _options;
    bool? _immutable;

    public AzureStore(Uri location, StoreOptions? options = null, int blockSize = DefaultBlockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize));
        options ??= new StoreOptions();
        _location = AzureLocation.Parse(location);
        _container = AzureClientFactory.Create(_location, options, out _endpoint);
        _create = options.Create;
        _blockSize = blockSize;
        _options = options;
    }

    public string Location => _location.Text;

    public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => Run(ct =>
    {
        var list = new List<StoredObject>();
        try
        {
            // Committed blobs only (uncommitted blocks never list), and only this level: a deeper prefix is another location.
            foreach (var item in _container.GetBlobsByHierarchy(BlobTraits.None, BlobStates.None, "/", _location.KeyPrefix, ct))
            {
                if (!item.IsBlob) continue;
                string name = item.Blob.Name[_location.KeyPrefix.Length..];
                if (name.Length == 0) continue;
                list.Add(new StoredObject(name, item.Blob.Properties.ContentLength ?? 0, item.Blob.Properties.LastModified?.UtcDateTime ?? default));
            }
        }
        catch (RequestFailedException e) when (WillCreate(e)) { }
        return (IReadOnlyList<StoredObject>)list;
    }, ct);

    /// <summary>
    /// A writer (StoreOptions.Create) sees a missing container as an empty one, as a missing local directory is
    /// created empty: its first Put creates the container. A reader is told the container is missing.
    /// </summary>
    bool WillCreate(RequestFailedException e) => _create && e.ErrorCode == "ContainerNotFound";

    public StoredObject? Stat(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        return Run(ct =>
        {
            try
            {
                var p = _container.GetBlobClient(_location.Key(name)).GetProperties(cancellationToken: ct).Value;
                return new StoredObject(name, p.ContentLength, p.LastModified.UtcDateTime);
            }
            // Azure names which was missing even on a HEAD (x-ms-error-code): a missing container stays an error.
            catch (RequestFailedException e) when (e.ErrorCode == "BlobNotFound" || WillCreate(e)) { return null; }
        }, ct);
    }

    public Stream OpenRead(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        return Run(ct =>
        {
            try
            {
                // One GET, read as it arrives; the SDK resumes from the last byte read if the connection drops, and
                // refuses to resume onto a blob that changed (If-Match on its ETag).
                var result = _container.GetBlobClient(_location.Key(name)).DownloadStreaming(new BlobDownloadOptions(), ct).Value;
                return result.Content;
            }
            catch (RequestFailedException e) when (e.ErrorCode == "BlobNotFound" || WillCreate(e)) { throw BackupErrors.StoreObjectNotFound(Location, name); }
        }, ct, transfer: true); // the stream outlives this call: its reads have the stall limit (AzureClientFactory.TransferLimits)
    }

    public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        var upload = new AzureUpload(_container.GetBlockBlobClient(_location.Key(name)), _blockSize, _options.StallLimit(),
            () => BackupErrors.StoreObjectExists(Location, name), FirstRequest);
        // A transfer: no total limit, only the per-request and stall limits of its requests.
        try { Run(_ => { upload.Run(content, createOnly, progress, ct); return 0; }, ct, transfer: true); }
        catch (SourceFailedException e) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreUnavailable") { throw BackupErrors.UploadAbandoned(e); }

        // A writer's first request into a container that is not there creates it (StoreOptions.Create); a
        // container-scoped SAS cannot create containers, so nothing is created before it is known to be missing.
        void FirstRequest(Action request)
        {
            try { request(); }
            catch (RequestFailedException e) when (WillCreate(e))
            {
                _container.CreateIfNotExists(cancellationToken: ct);
                request();
            }
        }
    }

    public void Delete(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        try
        {
            Run(ct =>
            {
                try { return _container.GetBlobClient(_location.Key(name)).DeleteIfExists(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).Value; }
                catch (RequestFailedException e) when (WillCreate(e)) { return false; }
            }, ct);
        }
        catch (SqliteBackupException e) when (e.InnerException is RequestFailedException { Status: 409, ErrorCode: "BlobImmutableDueToPolicy" or "BlobImmutableDueToLegalHold" })
        {
            throw BackupErrors.StoreObjectLocked(Location, name, LockedUntil(name, ct), e.InnerException, "an immutability policy");
        }
    }

    /// <summary>
    /// Whether the container has version-level immutability on (asked once). A location that says ?lock-mode= requires it:
    /// a container without it is refused before anything is written, rather than holding backups a thief could delete.
    /// </summary>
    public bool CanLock(CancellationToken ct = default) => _immutable ??= Run(ct =>
    {
        bool on;
        try { on = _container.GetProperties(cancellationToken: ct).Value.HasImmutableStorageWithVersioning; }
        catch (RequestFailedException e) when (WillCreate(e)) { on = false; }
        // A container-scoped SAS may write blobs but not read the container's properties (least privilege): written
        // unlocked, as S3 does where the bucket's lock settings cannot be read, unless the location asks for a lock.
        catch (RequestFailedException e) when (e.Status == 403 && _location.LockMode == null) { on = false; }
        if (!on && _location.LockMode != null) throw BackupErrors.StoreImmutabilityUnavailable(Location,
            $"the container {(_create ? "is missing or " : "")}has no version-level immutability (immutable storage with versioning)");
        return on;
    }, ct);

    public void PutLocked(string name, Stream content, DateTime retainUntilUtc, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        Put(name, content, createOnly: true, progress, ct);
        try { Lock(name, retainUntilUtc, ct); }
        catch (SqliteBackupException locking)
        {
            // Not yet under a policy, so still deletable: no object of ours stays unlocked in a location meant to lock it.
            try { Delete(name, ct); }
            catch (SqliteBackupException removing)
            {
                // What failed may be only the lock's answer (the delete is then refused by that very lock): it holds.
                DateTime? until;
                try { until = LockedUntil(name, ct); } catch (SqliteBackupException) { until = null; }
                if (until >= retainUntilUtc) return;
                throw BackupErrors.StoreObjectLeftUnlocked(Location, name, locking, removing);
            }
            throw;
        }
    }

    /// <summary>A later date only: Azure, like S3, never lets a policy be shortened once Locked, and we never try.</summary>
    public void ExtendLock(string name, DateTime retainUntilUtc, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        if (LockedUntil(name, ct) is { } until && until >= retainUntilUtc) return;
        Lock(name, retainUntilUtc, ct);
    }

    public DateTime? LockedUntil(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        return Run(ct =>
        {
            try
            {
                var policy = _container.GetBlobClient(_location.Key(name)).GetProperties(cancellationToken: ct).Value.ImmutabilityPolicy;
                return policy?.ExpiresOn is { } d && d.UtcDateTime > DateTime.UtcNow ? d.UtcDateTime : (DateTime?)null;
            }
            catch (RequestFailedException e) when (e.ErrorCode == "BlobNotFound" || e.Status == 404) { return null; }
        }, ct);
    }

    /// <summary>
    /// Sets the policy (Set Blob Immutability Policy: PUT ?comp=immutabilityPolicies) and reads it back: a service or
    /// proxy that answers 200 without keeping it must not pass for a lock. Whole seconds, rounded up (the header's
    /// precision), so the lock never ends before the date retention asked for.
    /// </summary>
    void Lock(string name, DateTime retainUntilUtc, CancellationToken ct)
    {
        var utc = DateTime.SpecifyKind(retainUntilUtc.ToUniversalTime(), DateTimeKind.Utc);
        var until = new DateTimeOffset(utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerSecond)), TimeSpan.Zero);
        if (until.UtcDateTime < utc) until = until.AddSeconds(1);
        var mode = _location.LockMode ?? BlobImmutabilityPolicyMode.Unlocked;
        var blob = _container.GetBlobClient(_location.Key(name));
        try
        {
            Run(ct =>
            {
                var current = blob.GetProperties(cancellationToken: ct).Value.ImmutabilityPolicy;
                // A Locked policy stays Locked: asking for Unlocked on it would be refused.
                if (current?.PolicyMode == BlobImmutabilityPolicyMode.Locked) mode = BlobImmutabilityPolicyMode.Locked;
                return blob.SetImmutabilityPolicy(new BlobImmutabilityPolicy { ExpiresOn = until, PolicyMode = mode }, cancellationToken: ct).Value;
            }, ct);
        }
        catch (SqliteBackupException e) when (e.InnerException is RequestFailedException { Status: 400 or 409 } r)
        {
            throw BackupErrors.StoreImmutabilityUnavailable(Location, $"setting an immutability policy on '{name}' was refused ({r.Status} {r.ErrorCode})", e.InnerException);
        }
        var applied = Run(ct => blob.GetProperties(cancellationToken: ct).Value.ImmutabilityPolicy, ct);
        if (applied?.ExpiresOn is not { } expires || expires < until || applied.PolicyMode is not (BlobImmutabilityPolicyMode.Unlocked or BlobImmutabilityPolicyMode.Locked))
            throw BackupErrors.StoreImmutabilityUnavailable(Location,
                $"'{name}' shows {(applied?.ExpiresOn is { } d ? $"an immutability policy until {d.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "no immutability policy")} after one until {until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC was set");
    }

    /// <summary>The SDK's synchronous calls (real synchronous HTTP, no thread pool hop), with failures turned into errors that say what to do.</summary>
    /// <para>Each runs within the operation's total limit (<see cref="StoreOptions.Timeout"/>), a transfer only within its requests' limits.</para>
    T Run<T>(Func<CancellationToken, T> op, CancellationToken ct, bool transfer = false)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var deadline = transfer ? CancellationTokenSource.CreateLinkedTokenSource(ct) : _options.Deadline(ct);
        // Azure.Core's retries (BudgetedRetryPolicy) see what is left of the total limit; the deadline stays the hard stop.
        using var budget = transfer ? null : OperationBudget.Begin(_options.Timeout, _options.RequestLimit());
        try { return op(deadline.Token); }
        catch (Exception e) when (AzureFailures.Map(e, Location, _endpoint, ct, _options.Waited(watch, budget)) is { } mapped) { throw mapped; }
    }

    public void Dispose() { }

    public override string ToString() => Location;
}
