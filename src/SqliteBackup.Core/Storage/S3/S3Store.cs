using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.S3;

/// <summary>
/// Backups in an S3 bucket under a prefix (AWS, or an S3-compatible server such as Ceph radosgw). S3 itself gives
/// the store's main promise: an object becomes visible only when its PUT or its multipart upload completes, so a
/// killed writer leaves at most an incomplete multipart upload, which no listing shows and
/// <see cref="AbortStaleUploads"/> removes. Create-only is S3's conditional write (If-None-Match: *), on the single
/// PUT and on the completion of a multipart upload (see <see cref="S3Upload"/> for servers that ignore the latter).
/// </summary>
/// <para>
/// In a bucket with Object Lock on, objects are written with a retain-until date by <see cref="PutLocked"/>, and a delete
/// removes the object's versions themselves (a plain DELETE in a versioned bucket only hides the object behind a delete
/// marker, which would look like a removal while the bytes stay): the lock then refuses it, and that is reported.
/// </para>
public sealed class S3Store : IObjectLockStore, IStaleUploadCleanup
{
    /// <summary>
    /// 16 MiB parts: four buffers (three uploading, one filling: 64 MiB) stay far below the 300 MB a multi-GiB copy may use, a
    /// retried part costs seconds, and 1,000 of them already cover 15.6 GiB; beyond that the size doubles every 1,000
    /// parts, so the 10,000-part limit is never reached by a stream of unknown length (S3's 5 TiB object limit comes first).
    /// </summary>
    public const int DefaultPartSize = 16 << 20;

    /// <summary>S3's smallest part other than the last.</summary>
    public const int MinimumPartSize = 5 << 20;

    readonly AmazonS3Client _client;
    readonly AmazonS3Client _dataClient;
    readonly StoreOptions _options;
    readonly S3Location _location;
    readonly Uri? _endpoint;
    readonly int _partSize;
    bool _bucketSeen;
    (bool On, string Why)? _lockConfiguration;

    /// <summary>
    /// What this instance uploaded and could prove by the service's ETag (see <see cref="S3Upload"/>): name -> ETag and
    /// the SHA-256 of the bytes that gave it. Only in memory, only for this instance's lifetime: it is our own hash, not
    /// the service's checksum, and holds only while a HEAD shows the very same ETag, so it is never written anywhere.
    /// </summary>
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, UploadedObject> _uploaded = new(StringComparer.Ordinal);

    public S3Store(Uri location, StoreOptions? options = null, int partSize = DefaultPartSize)
    {
        if (partSize < MinimumPartSize) throw new ArgumentOutOfRangeException(nameof(partSize), $"S3 parts are at least {MinimumPartSize} bytes.");
        _location = S3Location.Parse(location);
        _options = options ?? new StoreOptions();
        _client = S3ClientFactory.Create(_location, _options, out _endpoint);
        _dataClient = S3ClientFactory.Create(_location, _options, out _, forData: true);
        _partSize = partSize;
    }

    public string Location => _location.Text;

    public TimeSpan StaleAfter => _location.AbortUploadsAfter ?? S3Location.DefaultAbortUploadsAfter;

    /// <summary>The size of part <paramref name="partNumber"/> (1-based).</summary>
    internal static int PartSize(int basePartSize, int partNumber) =>
        (int)Math.Min(basePartSize * (1L << Math.Min((partNumber - 1) / 1000, 8)), int.MaxValue - 64);

    public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => Run(async ct =>
    {
        var list = new List<StoredObject>();
        var request = new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = _location.KeyPrefix, Delimiter = "/" };
        do
        {
            var page = await _client.ListObjectsV2Async(request, ct).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
            {
                string name = o.Key[_location.KeyPrefix.Length..];
                // A "folder" marker some tools create for the prefix itself is not an object of ours.
                if (name.Length == 0) continue;
                list.Add(new StoredObject(name, o.Size ?? 0, o.LastModified?.ToUniversalTime() ?? default));
            }
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (request.ContinuationToken != null);
        _bucketSeen = true;
        return (IReadOnlyList<StoredObject>)list;
    }, ct);

    public StoredObject? Stat(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        return Run(async ct =>
        {
            try
            {
                var m = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest
                {
                    BucketName = _location.Bucket, Key = _location.Key(name), ChecksumMode = ChecksumMode.ENABLED,
                }, ct).ConfigureAwait(false);
                return new StoredObject(name, m.ContentLength, m.LastModified?.ToUniversalTime() ?? default, Sha256Hex(m.ChecksumSHA256) ?? Uploaded(name, m));
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // A HEAD answer has no body, so "no such key" and "no such bucket" look alike: ask once which it was.
                await EnsureBucketAsync(ct).ConfigureAwait(false);
                return null;
            }
        }, ct);
    }

    /// <summary>
    /// The SHA-256 this instance hashed while uploading <paramref name="name"/>, where the service now shows the ETag
    /// (and size) those bytes gave: it holds exactly them. Anything else (replaced since, another writer, an ETag that
    /// is no MD5): null, and the caller reads the object back.
    /// </summary>
    string? Uploaded(string name, GetObjectMetadataResponse m) =>
        _uploaded.TryGetValue(name, out var sent) && m.ContentLength == sent.Size
        && string.Equals(m.ETag?.Trim('"'), sent.ETag, StringComparison.OrdinalIgnoreCase) ? sent.Sha256 : null;

    public Stream OpenRead(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        return Run(async ct =>
        {
            try
            {
                // The answer's headers are a small request's; its body is a transfer, limited only by bytes not moving.
                using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
                headers.CancelAfter(_options.RequestLimit());
                var response = await _dataClient.GetObjectAsync(new GetObjectRequest { BucketName = _location.Bucket, Key = _location.Key(name) }, headers.Token).ConfigureAwait(false);
                string etag = response.ETag;
                long length = response.ContentLength;
                return (Stream)new ResumingReadStream(new ResponseStream(response, _options.StallLimit()), length,
                    (offset, ct) => ReopenAt(name, etag, offset, length, ct), ResponseStream.IsConnectionFailure);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
            {
                throw BackupErrors.StoreObjectNotFound(Location, name);
            }
        }, ct, transfer: true); // the stream outlives this call: its reads have the stall limit
    }

    /// <summary>The rest of an object whose download was cut, only if it is still the object first opened (If-Match on its ETag).</summary>
    Stream ReopenAt(string name, string etag, long offset, long length, CancellationToken ct) => Run(async ct =>
    {
        try
        {
            using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
            headers.CancelAfter(_options.RequestLimit());
            var response = await _dataClient.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _location.Bucket, Key = _location.Key(name), EtagToMatch = etag, ByteRange = new ByteRange(offset, length - 1),
            }, headers.Token).ConfigureAwait(false);
            if (response.ContentLength != length - offset)
            {
                response.Dispose();
                throw BackupErrors.StoreObjectChangedWhileRead(Location, name, $"the rest from byte {offset} is {response.ContentLength} bytes, not {length - offset}");
            }
            return (Stream)new ResponseStream(response, _options.StallLimit());
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw BackupErrors.StoreObjectChangedWhileRead(Location, name, $"its ETag is no longer {etag}");
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            throw BackupErrors.StoreObjectChangedWhileRead(Location, name, "it was deleted");
        }
    }, ct, transfer: true);

    public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default) =>
        Upload(name, content, createOnly, null, progress, ct);

    public void PutLocked(string name, Stream content, DateTime retainUntilUtc, IProgress<long>? progress = null, CancellationToken ct = default) =>
        Upload(name, content, createOnly: true,
            (_location.LockMode == S3LockMode.Compliance ? ObjectLockMode.Compliance : ObjectLockMode.Governance, retainUntilUtc.ToUniversalTime()), progress, ct);

    void Upload(string name, Stream content, bool createOnly, (ObjectLockMode, DateTime)? retention, IProgress<long>? progress, CancellationToken ct)
    {
        StoreNames.Check(name, Location);
        string key = _location.Key(name);
        try
        {
            var upload = new S3Upload(_client, _dataClient, _options.StallLimit(), _location.Bucket, key, _partSize, () => BackupErrors.StoreObjectExists(Location, name), retention);
            _uploaded.TryRemove(name, out _);
            UploadedObject? sent;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            try { sent = upload.Run(content, createOnly, progress, ct); }
            catch (Exception e) when (S3Failures.Map(e, Location, _endpoint, ct, _options.Waited(watch)) is { } mapped) { throw mapped.ErrorId == "StoreUnavailable" ? BackupErrors.UploadAbandoned(mapped) : mapped; }
            if (sent != null) _uploaded[name] = sent;
        }
        catch (SqliteBackupException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed })
        {
            throw BackupErrors.StoreObjectExists(Location, name);
        }
        catch (SourceFailedException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!);
        }
    }

    public void Delete(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        string key = _location.Key(name);
        _uploaded.TryRemove(name, out _);
        // What the bucket does, whatever the location asked for: a delete writes nothing that could be left unlocked.
        if (!LockConfiguration(ct).On)
        {
            Run(ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _location.Bucket, Key = key }, ct), ct);
            return;
        }
        // Oldest version first: the first one written (the locked one) is refused before a newer, unlocked version (a
        // manifest rewritten with a verification record) could go and take the backup out of the listing.
        var versions = Run(async ct =>
        {
            var all = new List<S3ObjectVersion>();
            var request = new ListVersionsRequest { BucketName = _location.Bucket, Prefix = key };
            while (true)
            {
                var page = await _client.ListVersionsAsync(request, ct).ConfigureAwait(false);
                all.AddRange((page.Versions ?? []).Where(v => v.Key == key));
                if (page.IsTruncated != true) break;
                request.KeyMarker = page.NextKeyMarker;
                request.VersionIdMarker = page.NextVersionIdMarker;
            }
            return all.OrderBy(v => v.LastModified ?? DateTime.MinValue).ToList();
        }, ct);
        foreach (var v in versions)
        {
            try
            {
                Run(ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _location.Bucket, Key = key, VersionId = v.VersionId }, ct), ct);
            }
            catch (SqliteBackupException e) when (e.ErrorId == "StoreAccessDenied" && !v.IsDeleteMarker.GetValueOrDefault())
            {
                var until = LockedUntil(name, v.VersionId, ct);
                if (until > DateTime.UtcNow) throw BackupErrors.StoreObjectLocked(Location, name, until, e);
                throw;
            }
        }
    }

    /// <summary>
    /// Whether the bucket has Object Lock on; asked once per store. A location that says ?lock-mode= requires it: a bucket
    /// without it is refused (every time it is asked, from that one answer) before anything is written, rather than
    /// holding backups a thief could delete, as an Azure container without immutability is.
    /// </summary>
    public bool CanLock(CancellationToken ct = default)
    {
        var (on, why) = LockConfiguration(ct);
        if (!on && _location.LockMode != null) throw BackupErrors.StoreImmutabilityUnavailable(Location, why);
        return on;
    }

    /// <summary>The bucket's Object Lock setting, and when it is off, why, in words for a message.</summary>
    (bool On, string Why) LockConfiguration(CancellationToken ct) => _lockConfiguration ??= Run(async ct =>
    {
        string none = $"the bucket '{_location.Bucket}' has no Object Lock configuration, and ?lock-mode= asks for one";
        try
        {
            var r = await _client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = _location.Bucket }, ct).ConfigureAwait(false);
            return r.ObjectLockConfiguration?.ObjectLockEnabled == ObjectLockEnabled.Enabled
                ? (true, "")
                : (false, none);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "ObjectLockConfigurationNotFoundError")
        {
            return (false, none);
        }
        // A key allowed to write backups but not to read the bucket's lock settings (least privilege), or a server
        // without Object Lock: written and deleted as in any bucket (a bucket's default retention still applies), unless
        // the location asks for a lock it cannot be shown to get.
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed
            && e.ErrorCode != "InvalidAccessKeyId" && e.ErrorCode != "SignatureDoesNotMatch")
        {
            return (false, e.StatusCode == HttpStatusCode.Forbidden
                ? $"these keys may not read the bucket '{_location.Bucket}''s Object Lock configuration ({(int)e.StatusCode} {e.ErrorCode}), so ?lock-mode= cannot be shown to lock anything (grant s3:GetBucketObjectLockConfiguration)"
                : $"the server does not offer Object Lock ({(int)e.StatusCode} {e.ErrorCode}), and ?lock-mode= asks for it");
        }
    }, ct);

    /// <summary>
    /// PutObjectRetention on the current version, in the mode it already has (a compliance lock cannot become governance),
    /// only when the date is later: S3 refuses to shorten a compliance lock, and shortening a governance one is never ours to do.
    /// </summary>
    public void ExtendLock(string name, DateTime retainUntilUtc, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        var until = retainUntilUtc.ToUniversalTime();
        Run(async ct =>
        {
            var m = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _location.Bucket, Key = _location.Key(name) }, ct).ConfigureAwait(false);
            if (m.ObjectLockRetainUntilDate is { } d && d.ToUniversalTime() >= until) return;
            var mode = m.ObjectLockMode == ObjectLockMode.Compliance || _location.LockMode == S3LockMode.Compliance ? ObjectLockRetentionMode.Compliance : ObjectLockRetentionMode.Governance;
            await _client.PutObjectRetentionAsync(new PutObjectRetentionRequest
            {
                BucketName = _location.Bucket, Key = _location.Key(name), VersionId = m.VersionId,
                Retention = new ObjectLockRetention { Mode = mode, RetainUntilDate = until },
            }, ct).ConfigureAwait(false);
        }, ct);
    }

    public DateTime? LockedUntil(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        return LockConfiguration(ct).On ? LockedUntil(name, null, ct) : null;
    }

    DateTime? LockedUntil(string name, string? versionId, CancellationToken ct) => Run(async ct =>
    {
        try
        {
            var m = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _location.Bucket, Key = _location.Key(name), VersionId = versionId }, ct).ConfigureAwait(false);
            return m.ObjectLockRetainUntilDate is { } d && d.ToUniversalTime() > DateTime.UtcNow ? d.ToUniversalTime() : (DateTime?)null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound) { return null; }
    }, ct);

    /// <summary>
    /// Aborts the multipart uploads under this prefix (not below it) started more than <paramref name="olderThan"/>
    /// ago: what a killed run left. Parts of an incomplete upload are billed storage and never become an object.
    /// </summary>
    public int AbortStaleUploads(TimeSpan olderThan, CancellationToken ct = default) => Run(async ct =>
    {
        var cutoff = DateTime.UtcNow - olderThan;
        int aborted = 0;
        var request = new ListMultipartUploadsRequest { BucketName = _location.Bucket, Prefix = _location.KeyPrefix, Delimiter = "/" };
        while (true)
        {
            var page = await _client.ListMultipartUploadsAsync(request, ct).ConfigureAwait(false);
            foreach (var u in page.MultipartUploads ?? [])
            {
                if (u.Initiated?.ToUniversalTime() > cutoff) continue;
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _location.Bucket, Key = u.Key, UploadId = u.UploadId }, ct).ConfigureAwait(false);
                aborted++;
            }
            if (page.IsTruncated != true) break;
            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
        return aborted;
    }, ct);

    async Task EnsureBucketAsync(CancellationToken ct)
    {
        if (_bucketSeen) return;
        await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = _location.KeyPrefix, MaxKeys = 1 }, ct).ConfigureAwait(false);
        _bucketSeen = true;
    }

    static string? Sha256Hex(string? base64)
    {
        // A multipart object's checksum is a checksum of its parts' checksums ("...-3"), not the object's SHA-256.
        if (string.IsNullOrEmpty(base64) || base64.Contains('-')) return null;
        try
        {
            var bytes = Convert.FromBase64String(base64);
            return bytes.Length == SHA256.HashSizeInBytes ? Convert.ToHexString(bytes).ToLowerInvariant() : null;
        }
        catch (FormatException) { return null; }
    }

    void Run(Func<CancellationToken, Task> op, CancellationToken ct) => Run(async t => { await op(t).ConfigureAwait(false); return 0; }, ct);

    /// <summary>
    /// The seam is synchronous and the SDK is async only: run on the pool (no caller's synchronization context to
    /// deadlock on) and turn what failed into errors that say what to do.
    /// </summary>
    /// <para>
    /// Each runs within the operation's total limit (<see cref="StoreOptions.Timeout"/>): the SDK retries a request
    /// that timed out or failed on the server's side, and a server that never answers is given up on at that limit.
    /// </para>
    T Run<T>(Func<CancellationToken, Task<T>> op, CancellationToken ct, bool transfer = false)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var deadline = transfer ? CancellationTokenSource.CreateLinkedTokenSource(ct) : _options.Deadline(ct);
        // The SDK's retries (BudgetedRetryPolicy) see what is left of the total limit; the deadline stays the hard stop.
        using var budget = transfer ? null : OperationBudget.Begin(_options.Timeout, _options.RequestLimit());
        try { return Task.Run(() => op(deadline.Token), deadline.Token).GetAwaiter().GetResult(); }
        catch (Exception e) when (S3Failures.Map(e, Location, _endpoint, ct, _options.Waited(watch, budget)) is { } mapped) { throw mapped; }
    }

    public void Dispose()
    {
        _client.Dispose();
        _dataClient.Dispose();
    }

    public override string ToString() => Location;

    /// <summary>The object's bytes; disposing it releases the HTTP response. A read that gets no byte within the stall limit fails.</summary>
    sealed class ResponseStream(GetObjectResponse response, TimeSpan stall) : Stream
    {
        readonly Stream _body = response.ResponseStream;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override int Read(Span<byte> buffer)
        {
            var rented = new byte[buffer.Length];
            int n = Read(rented, 0, rented.Length);
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            using var watch = new StallWatch(stall, ct);
            try { return await _body.ReadAsync(buffer, watch.Token).ConfigureAwait(false); }
            catch (OperationCanceledException e) when (watch.Stalled && !ct.IsCancellationRequested)
            {
                throw new IOException($"No byte of the object arrived for {stall.TotalSeconds:0.#} s.", e);
            }
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) { _body.Dispose(); response.Dispose(); }
            base.Dispose(disposing);
        }

        /// <summary>A read that failed for the connection's sake (reset, closed early, stalled): worth reopening.</summary>
        public static bool IsConnectionFailure(Exception e) => e is IOException or System.Net.Sockets.SocketException or System.Net.Http.HttpRequestException;
    }
}
