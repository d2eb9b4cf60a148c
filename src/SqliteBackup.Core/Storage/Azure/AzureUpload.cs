using System.Text;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace SqliteBackup.Core.Storage.Azure;

/// <summary>
/// One blob streamed to Azure without knowing its length beforehand (a backup is compressed as it is read). What fits
/// in one block goes as a single Put Blob; anything larger is staged block by block (the next read while earlier ones
/// are on the wire) and becomes the blob only when the block list is committed. Staged blocks are never visible: a
/// killed upload leaves nothing that lists, and Azure discards uncommitted blocks after a week, or at the next commit
/// or Put Blob of that name, so there is nothing to clean up. Create-only is If-None-Match: * on the Put Blob or the
/// commit, which Azure checks atomically.
/// </summary>
sealed class AzureUpload(BlockBlobClient blob, int baseBlockSize, TimeSpan stall, Func<Exception> exists, Action<Action> firstRequest)
{
    /// <summary>
    /// Blocks on the wire at once while the next is read: memory is this many blocks plus the one being read
    /// (32 MiB at the default size).
    /// </summary>
    internal const int BlocksInFlight = 3;

    /// <summary>Azure's limit of committed blocks in one blob.</summary>
    internal const int MaxBlocks = 50_000;

    /// <summary>
    /// The size of block <paramref name="blockNumber"/> (1-based): the base size for the first 10,000 blocks (78 GiB at
    /// 8 MiB), then doubling every 10,000, so Azure's 50,000 blocks hold 2.3 TiB from a stream of unknown length.
    /// </summary>
    internal static int BlockSize(int baseSize, int blockNumber) => baseSize << Math.Min((blockNumber - 1) / 10_000, 4);

    /// <summary>Runs on the caller's thread: the source is read and progress reported there; only the requests run on the pool.</summary>
    public void Run(Stream content, bool createOnly, IProgress<long>? progress, CancellationToken ct)
    {
        var conditions = createOnly ? new BlobRequestConditions { IfNoneMatch = ETag.All } : null;
        // The service checks each request's bytes against this and refuses a block that arrived damaged.
        var validation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 };
        var buffer = new byte[baseBlockSize];
        int length = UploadSource.ReadFull(content, buffer, baseBlockSize, ct);
        if (length < baseBlockSize)
        {
            var single = buffer;
            firstRequest(() =>
            {
                using var watch = new StallWatch(stall, ct);
                Created(() => blob.Upload(watch.Watch(new MemoryStream(single, 0, length, writable: false)),
                    new BlobUploadOptions { Conditions = conditions, TransferValidation = validation }, watch.Token));
            });
            progress?.Report(length);
            return;
        }

        // Ids of one length within a blob, unique to this upload: a racing writer of the same name stages its own.
        string upload = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        var inFlight = new Queue<(Task Sending, byte[] Buffer, int Length)>();
        var free = new Stack<byte[]>();
        long sent = 0;
        try
        {
            for (int blockNumber = 1; ; blockNumber++)
            {
                if (blockNumber > MaxBlocks) throw new InvalidOperationException($"More than {MaxBlocks} blocks: larger than an Azure blob can be.");
                string id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{upload}-{blockNumber:D6}"));
                ids.Add(id);
                var (block, count) = (buffer, length);
                void Stage()
                {
                    using var watch = new StallWatch(stall, ct);
                    blob.StageBlock(id, watch.Watch(new MemoryStream(block, 0, count, writable: false)),
                        new BlockBlobStageBlockOptions { TransferValidation = validation }, watch.Token);
                }
                if (blockNumber == 1)
                {
                    // The first request alone, so a missing container is found (and created) once, before the pipeline.
                    firstRequest(Stage);
                    sent += count;
                    progress?.Report(sent);
                    free.Push(block);
                }
                else
                {
                    inFlight.Enqueue((Task.Run(Stage, ct), block, count));
                    if (inFlight.Count == BlocksInFlight) Finish(inFlight.Dequeue());
                }
                int nextSize = BlockSize(baseBlockSize, blockNumber + 1);
                buffer = free.TryPop(out var b) && b.Length >= nextSize ? b : new byte[nextSize];
                length = UploadSource.ReadFull(content, buffer, nextSize, ct);
                if (length == 0) break;
            }
            while (inFlight.Count > 0) Finish(inFlight.Dequeue());

            void Finish((Task Sending, byte[] Buffer, int Length) part)
            {
                part.Sending.GetAwaiter().GetResult();
                sent += part.Length;
                progress?.Report(sent);
                free.Push(part.Buffer);
            }

            Created(() => blob.CommitBlockList(ids, new CommitBlockListOptions { Conditions = conditions }, ct));
        }
        catch
        {
            // Let the blocks still on the wire finish (or fail) before the caller goes on; they stay uncommitted.
            foreach (var part in inFlight)
                try { part.Sending.GetAwaiter().GetResult(); } catch (Exception) { }
            throw;
        }
    }

    /// <summary>If-None-Match: * refused: Azure answers 409 BlobAlreadyExists (or 412 ConditionNotMet).</summary>
    void Created(Action request)
    {
        try { request(); }
        catch (RequestFailedException e) when (e.Status is 409 or 412 && e.ErrorCode is "BlobAlreadyExists" or "ConditionNotMet") { throw exists(); }
    }


}
