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
/// </summary>
/// <param name="retention">Object Lock mode and retain-until date the object gets as it becomes visible; null: none.</param>
sealed class S3Upload(IAmazonS3 client, string bucket, string key, int basePartSize, Func<Exception> exists, (ObjectLockMode Mode, DateTime UntilUtc)? retention = null)
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
    public void Run(Stream content, bool createOnly, IProgress<long>? progress, CancellationToken ct)
    {
        var buffer = new byte[basePartSize];
        int length = ReadFull(content, buffer, basePartSize, ct);
        if (length < basePartSize)
        {
            Wait(Task.Run(() => PutSingleAsync(buffer, length, createOnly, ct), ct));
            progress?.Report(length);
            return;
        }

        if (createOnly && Wait(ExistsAsync(ct))) throw exists();
        var upload = Wait(Task.Run(() => client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = key,
            ObjectLockMode = retention?.Mode, ObjectLockRetainUntilDate = retention?.UntilUtc,
        }, ct), ct));
        var inFlight = new Queue<(Task<PartETag> Sending, byte[] Buffer, int Length)>();
        try
        {
            var parts = new List<PartETag>();
            var free = new Stack<byte[]>();
            long sent = 0;
            for (int partNumber = 1; ; partNumber++)
            {
                inFlight.Enqueue((UploadPartAsync(upload.UploadId, partNumber, buffer, length, ct), buffer, length));
                if (inFlight.Count == PartsInFlight) Finish(inFlight.Dequeue());
                int nextSize = S3Store.PartSize(basePartSize, partNumber + 1);
                buffer = free.TryPop(out var b) && b.Length >= nextSize ? b : new byte[nextSize];
                length = ReadFull(content, buffer, nextSize, ct);
                if (length == 0) break;
            }
            while (inFlight.Count > 0) Finish(inFlight.Dequeue());

            void Finish((Task<PartETag> Sending, byte[] Buffer, int Length) part)
            {
                parts.Add(Wait(part.Sending));
                sent += part.Length;
                progress?.Report(sent);
                free.Push(part.Buffer);
            }

            if (createOnly && Wait(ExistsAsync(ct))) throw exists();
            Wait(Task.Run(() => client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts,
                IfNoneMatch = createOnly ? "*" : null,
            }, ct), ct));
        }
        catch
        {
            // Let the parts still on the wire finish (or fail) before the upload they belong to is aborted.
            foreach (var part in inFlight)
                try { Wait(part.Sending); } catch (Exception) { }
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

    async Task PutSingleAsync(byte[] buffer, int length, bool createOnly, CancellationToken ct)
    {
        using var body = new MemoryStream(buffer, 0, length, writable: false);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = key, InputStream = body, AutoCloseStream = false,
            IfNoneMatch = createOnly ? "*" : null,
            // Where the service keeps checksums (AWS does) it checks the bytes it got against this and Stat returns it.
            ChecksumSHA256 = Convert.ToBase64String(SHA256.HashData(buffer.AsSpan(0, length))),
            ObjectLockMode = retention?.Mode, ObjectLockRetainUntilDate = retention?.UntilUtc,
        }, ct).ConfigureAwait(false);
    }

    Task<PartETag> UploadPartAsync(string uploadId, int partNumber, byte[] buffer, int length, CancellationToken ct) =>
        Task.Run(() => SendPartAsync(uploadId, partNumber, buffer, length, ct), ct);

    async Task<PartETag> SendPartAsync(string uploadId, int partNumber, byte[] buffer, int length, CancellationToken ct)
    {
        using var body = new MemoryStream(buffer, 0, length, writable: false);
        var response = await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = partNumber, InputStream = body,
        }, ct).ConfigureAwait(false);
        return new PartETag(partNumber, response.ETag);
    }

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

    static int ReadFull(Stream content, byte[] buffer, int count, CancellationToken ct)
    {
        int filled = 0;
        while (filled < count)
        {
            ct.ThrowIfCancellationRequested();
            int n;
            try { n = content.Read(buffer, filled, count - filled); }
            catch (Exception e) when (e is not OperationCanceledException) { throw new SourceFailedException(e); }
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    /// <summary>
    /// The stream being uploaded failed (a disk error, a snapshot that went wrong): the caller gets that failure
    /// back as it was, not mistaken for the server's (an IOException would otherwise read as "unreachable").
    /// </summary>
    internal sealed class SourceFailedException(Exception inner) : Exception(inner.Message, inner);
}
