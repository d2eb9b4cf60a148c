using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace SqliteBackup.Core.Storage.S3;

/// <summary>
/// One object streamed to S3 without knowing its length beforehand (a backup is compressed as it is read): what fits
/// in one part goes as a single PUT, anything larger as a multipart upload whose next part is read from the source
/// while earlier ones are on the wire. Any failure aborts the multipart upload, so nothing is left to pay for.
/// <para>
/// Create-only is If-None-Match: * on the PUT, and on CompleteMultipartUpload, where AWS enforces it atomically.
/// Ceph radosgw 16.2 enforces it on PUT but ignores it on completion (measured), so a multipart upload also looks
/// for the name before it starts and again just before it completes: there, two multipart writers of one name
/// finishing within one round trip of each other is the one case create-only cannot catch.
/// </para>
/// <para>
/// Every part (and the single PUT) carries Content-MD5 of the bytes as they were read, so the service refuses a part
/// damaged on the way (BadDigest) and the whole upload is aborted. The SHA-256 of the same bytes is computed on the
/// same pass. Where every part's ETag and the completed object's ETag are what those MD5s give (a single PUT: its MD5;
/// multipart: MD5 of the parts' MD5s, "-N"), <see cref="Run"/> returns the ETag with that SHA-256: proof of which bytes
/// the service holds under that ETag. Where an ETag is something else (SSE-KMS or SSE-C objects on AWS, whose ETag is
/// no MD5) it returns null: the service still checked each part's MD5, but nothing ties its ETag to our SHA-256.
/// </para>
/// </summary>
/// <param name="retention">Object Lock mode and retain-until date the object gets as it becomes visible; null: none.</param>
/// <param name="dataClient">Sends the parts (and the single PUT): no total limit per request, only <paramref name="stall"/> without a byte moving.</param>
sealed class S3Upload(IAmazonS3 client, IAmazonS3 dataClient, TimeSpan stall, string bucket, string key, int basePartSize, Func<Exception> exists, (ObjectLockMode Mode, DateTime UntilUtc)? retention = null)
{
    /// <summary>
    /// Parts on the wire at once while the next is read: one connection cannot keep a server busy between a part's
    /// last byte and its answer. Memory is this many parts plus the one being read (64 MiB at the default size).
    /// </summary>
    internal const int PartsInFlight = 3;

    /// <summary>
    /// Runs on the caller's thread: the source is read and progress reported there (a shell can only draw progress
    /// from its own thread); only the requests run on the pool.
    /// </summary>
    /// <returns>What the service holds, proven by its ETag; null where its ETag proves nothing (see above).</returns>
    public UploadedObject? Run(Stream content, bool createOnly, IProgress<long>? progress, CancellationToken ct)
    {
        var buffer = new byte[basePartSize];
        int length = UploadSource.ReadFull(content, buffer, basePartSize, ct);
        if (length < basePartSize)
        {
            var single = Wait(Task.Run(() => PutSingleAsync(buffer, length, createOnly, ct), ct));
            progress?.Report(length);
            return single;
        }

        if (createOnly && Wait(ExistsAsync(ct))) throw exists();
        var upload = Wait(Task.Run(() => client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = key,
            ObjectLockMode = retention?.Mode, ObjectLockRetainUntilDate = retention?.UntilUtc,
        }, ct), ct));
        var inFlight = new Queue<(Task<SentPart> Sending, Task Hashed, byte[] Buffer, int Length)>();
        // The SHA-256 runs part after part on the pool, beside the reading and the MD5s, not on the reading thread.
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Task hashed = Task.CompletedTask;
        try
        {
            var parts = new List<SentPart>();
            var free = new Stack<byte[]>();
            long sent = 0;
            for (int partNumber = 1; ; partNumber++)
            {
                var (partBuffer, partLength) = (buffer, length);
                hashed = hashed.ContinueWith(_ => sha.AppendData(partBuffer, 0, partLength), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                inFlight.Enqueue((UploadPartAsync(upload.UploadId, partNumber, buffer, length, ct), hashed, buffer, length));
                if (inFlight.Count == PartsInFlight) Finish(inFlight.Dequeue());
                int nextSize = S3Store.PartSize(basePartSize, partNumber + 1);
                buffer = free.TryPop(out var b) && b.Length >= nextSize ? b : new byte[nextSize];
                length = UploadSource.ReadFull(content, buffer, nextSize, ct);
                if (length == 0) break;
            }
            while (inFlight.Count > 0) Finish(inFlight.Dequeue());

            void Finish((Task<SentPart> Sending, Task Hashed, byte[] Buffer, int Length) part)
            {
                parts.Add(Wait(part.Sending));
                Wait(part.Hashed);
                sent += part.Length;
                progress?.Report(sent);
                free.Push(part.Buffer);
            }

            if (createOnly && Wait(ExistsAsync(ct))) throw exists();
            var done = Wait(Task.Run(() => client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts.Select(p => p.ETag).ToList(),
                IfNoneMatch = createOnly ? "*" : null,
            }, ct), ct));
            string sha256 = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
            // S3's multipart ETag: the MD5 of the parts' MD5s, then the number of parts.
            string expected = Convert.ToHexString(MD5.HashData(parts.SelectMany(p => p.Md5).ToArray())).ToLowerInvariant() + "-" + parts.Count;
            // radosgw 16 answers the completion without an ETag (measured): then the one we expect is what a HEAD must show.
            bool proven = parts.All(p => p.Proven) && (string.IsNullOrEmpty(done.ETag) || SameETag(done.ETag, expected));
            return proven ? new UploadedObject(expected, sha256, sent) : null;
        }
        catch
        {
            // Let the parts still on the wire finish (or fail) before the upload they belong to is aborted.
            foreach (var part in inFlight)
                try { Wait(part.Sending); Wait(part.Hashed); } catch (Exception) { }
            Wait(Task.Run(() => AbortAsync(upload.UploadId)));
            throw;
        }
    }

    /// <summary>Blocks on a request started on the pool, so no caller's synchronization context can deadlock it.</summary>
    static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    static void Wait(Task task) => task.GetAwaiter().GetResult();

    Task<bool> ExistsAsync(CancellationToken ct) => Task.Run(() => LooksAsync(ct), ct);

    async Task<bool> LooksAsync(CancellationToken ct)
    {
        try
        {
            await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, ct).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound) { return false; }
    }

    async Task<UploadedObject?> PutSingleAsync(byte[] buffer, int length, bool createOnly, CancellationToken ct)
    {
        var md5 = MD5.HashData(buffer.AsSpan(0, length));
        var sha256 = SHA256.HashData(buffer.AsSpan(0, length));
        BeforeSend?.Invoke(buffer, length);
        using var body = new MemoryStream(buffer, 0, length, writable: false);
        using var watch = new StallWatch(stall, ct);
        var response = await dataClient.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = key, InputStream = watch.Watch(body), AutoCloseStream = false,
            IfNoneMatch = createOnly ? "*" : null,
            MD5Digest = Convert.ToBase64String(md5),
            // Where the service keeps checksums (AWS does) it checks the bytes it got against this and Stat returns it.
            ChecksumSHA256 = Convert.ToBase64String(sha256),
            ObjectLockMode = retention?.Mode, ObjectLockRetainUntilDate = retention?.UntilUtc,
        }, watch.Token).ConfigureAwait(false);
        return SameETag(response.ETag, Convert.ToHexString(md5))
            ? new UploadedObject(Unquote(response.ETag!), Convert.ToHexString(sha256).ToLowerInvariant(), length)
            : null;
    }

    Task<SentPart> UploadPartAsync(string uploadId, int partNumber, byte[] buffer, int length, CancellationToken ct) =>
        Task.Run(() => SendPartAsync(uploadId, partNumber, buffer, length, ct), ct);

    async Task<SentPart> SendPartAsync(string uploadId, int partNumber, byte[] buffer, int length, CancellationToken ct)
    {
        var md5 = MD5.HashData(buffer.AsSpan(0, length));
        BeforeSend?.Invoke(buffer, length);
        using var body = new MemoryStream(buffer, 0, length, writable: false);
        using var watch = new StallWatch(stall, ct);
        var response = await dataClient.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = partNumber, InputStream = watch.Watch(body),
            MD5Digest = Convert.ToBase64String(md5),
        }, watch.Token).ConfigureAwait(false);
        return new SentPart(new PartETag(partNumber, response.ETag), md5, SameETag(response.ETag, Convert.ToHexString(md5)));
    }

    sealed record SentPart(PartETag ETag, byte[] Md5, bool Proven);

    /// <summary>
    /// Test seam: runs after a part's MD5 (and SHA-256) is taken and before it is sent, so a test can damage the bytes
    /// on their way as a network would and see the service refuse them. Never set outside tests.
    /// </summary>
    internal Action<byte[], int>? BeforeSend { get; init; }

    static string Unquote(string etag) => etag.Trim('"');

    static bool SameETag(string? etag, string expected) => etag != null && string.Equals(Unquote(etag), expected, StringComparison.OrdinalIgnoreCase);

    async Task AbortAsync(string uploadId)
    {
        // Not the caller's token: a cancelled upload must still be aborted. Should this fail too (the server is gone),
        // AbortStaleUploads on the next run removes it.
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, cts.Token).ConfigureAwait(false);
        }
        catch (Exception) { }
    }


}

/// <summary>An object as the service stores it: its ETag, and the SHA-256 and size of the bytes that gave that ETag.</summary>
sealed record UploadedObject(string ETag, string Sha256, long Size);
