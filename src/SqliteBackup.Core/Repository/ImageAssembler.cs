using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using ZstdSharp;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Writes a snapshot's image into a file from its packs, each pack read once as a stream by one of a few workers, and
/// hashes the image in position order while it is written: a hashing thread follows the workers, segment by segment,
/// reading back (from the page cache) each segment once all its blocks are in. Blocks that follow each other in a pack
/// and in the image are decompressed side by side into one buffer and written with one pwrite.
/// </summary>
/// <remarks>
/// The image's SHA-256 against the manifest proves the whole; a block is not hashed on its own on this path (that was a
/// fifth of the work). A frame that does not decode, or decodes to the wrong length, names its pack at once; a block
/// that decodes to wrong bytes shows as a wrong image, and then <see cref="Prove"/> reads the packs again, each block
/// against its own SHA-256, to name the damaged pack, as a per-block check would have.
/// </remarks>
internal sealed class ImageAssembler
{
    /// <summary>Packs read at once: the two cores of a small server busy, a remote store not flooded.</summary>
    const int MaxReaders = 4;
    /// <summary>Bytes per pwrite of consecutive blocks, and per hashed segment (whole blocks).</summary>
    const int RunBytes = 1 << 20;

    readonly IBackupStore _store;
    readonly BackupManifest _manifest;
    readonly SnapshotRepository _repository;
    readonly SnapshotReader.Resolved _resolved;
    readonly int _blockSize;
    /// <summary>Per pack: the entries it holds for this snapshot, in offset order, each with the positions it fills.</summary>
    readonly SortedDictionary<int, List<long>>?[] _wanted;
    /// <summary>Pack numbers in the order they are read: by the first position they fill, so the hashing thread, which goes in position order, waits least.</summary>
    readonly int[] _order;
    /// <summary>An encrypted repository's key: packs are age files to it, block ids are keyed hashes under it.</summary>
    readonly RepositoryKey? _key;

    public ImageAssembler(IBackupStore store, BackupManifest manifest, SnapshotReader.Resolved resolved, RepositoryKey? key = null)
    {
        _store = store;
        _key = key;
        _manifest = manifest;
        _repository = manifest.Repository!;
        _resolved = resolved;
        _blockSize = _repository.BlockSize;
        _wanted = new SortedDictionary<int, List<long>>?[_repository.Packs.Count];
        var first = new long[_repository.Packs.Count];
        for (int i = 0; i < resolved.Blocks.Length; i++)
        {
            var b = resolved.Blocks[i];
            long position = (long)i * _blockSize;
            var perPack = _wanted[b.Pack];
            if (perPack == null)
            {
                _wanted[b.Pack] = perPack = new SortedDictionary<int, List<long>>();
                first[b.Pack] = position;
            }
            if (!perPack.TryGetValue(b.Entry, out var positions)) perPack[b.Entry] = positions = [];
            positions.Add(position);
        }
        _order = Enumerable.Range(0, _wanted.Length).Where(p => _wanted[p] != null).OrderBy(p => first[p]).ToArray();
    }

    /// <summary>
    /// Writes every block to <paramref name="file"/> (already of the image's length) and returns the image's SHA-256
    /// (lower-case hex), hashed in position order as the blocks land. <paramref name="read"/> gets the stored bytes read so far.
    /// </summary>
    public string Write(SafeFileHandle file, Action<long>? read, CancellationToken ct)
    {
        long length = _manifest.RawSize;
        int segmentBlocks = Math.Max(1, RunBytes / _blockSize);
        long segmentBytes = (long)segmentBlocks * _blockSize;
        int segments = (int)((length + segmentBytes - 1) / segmentBytes);
        // Blocks still to be written per segment; the hashing thread reads a segment once its count is zero.
        var pending = new int[segments];
        for (int s = 0; s < segments; s++) pending[s] = (int)Math.Min(segmentBlocks, _resolved.Blocks.Length - (long)s * segmentBlocks);
        var gate = new object();
        void Landed(long position, int blocks)
        {
            for (long p = position, end = position + (long)blocks * _blockSize; p < end; p += _blockSize)
                if (Interlocked.Decrement(ref pending[p / segmentBytes]) == 0)
                    lock (gate) Monitor.PulseAll(gate);
        }
        void WriteRun(long position, ReadOnlySpan<byte> bytes, int blocks)
        {
            RandomAccess.Write(file, bytes, position);
            Landed(position, blocks);
        }

        string sha = "";
        Run(read, ct, WriteRun, token =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[segmentBytes];
            for (int s = 0; s < segments; s++)
            {
                lock (gate)
                    while (Volatile.Read(ref pending[s]) > 0)
                    {
                        token.ThrowIfCancellationRequested();
                        Monitor.Wait(gate, 100);
                    }
                long at = s * segmentBytes;
                int n = (int)Math.Min(segmentBytes, length - at);
                for (int got = 0; got < n;)
                {
                    int r = RandomAccess.Read(file, buffer.AsSpan(got, n - got), at + got);
                    if (r == 0) throw new IOException("The reassembled image is shorter than it was written.");
                    got += r;
                }
                hash.AppendData(buffer, 0, n);
            }
            sha = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        });
        return sha;
    }

    /// <summary>Writes every block through <paramref name="writeAt"/> (called from the workers), no image hash.</summary>
    public void Write(BlockWriter writeAt, Action<long>? read, CancellationToken ct) => Run(read, ct, (position, bytes, _) => writeAt(position, bytes), null);

    public delegate void BlockWriter(long position, ReadOnlySpan<byte> bytes);

    /// <summary>
    /// Reads every pack again, each block against its own SHA-256, writing nothing: throws RepositoryDamaged naming the
    /// first damaged pack found, and returns when every block is sound.
    /// </summary>
    public void Prove(CancellationToken ct) => Run(null, ct, null, null);

    delegate void RunWriter(long position, ReadOnlySpan<byte> bytes, int blocks);

    /// <param name="write">null: prove each block against its hash instead of writing it.</param>
    /// <param name="follow">A thread beside the workers (the image hash); it must stop when its token is cancelled.</param>
    void Run(Action<long>? read, CancellationToken ct, RunWriter? write, Action<CancellationToken>? follow)
    {
        var queue = new ConcurrentQueue<int>(_order);
        long total = 0;
        // One thread's failure stops the others: the first damaged pack is the answer.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = stop.Token;
        Action Guarded(Action body) => () =>
        {
            try { body(); }
            catch
            {
                stop.Cancel();
                throw;
            }
        };
        void ReadPacks()
        {
            using var decompressor = new Decompressor();
            int runBlocks = Math.Max(1, RunBytes / _blockSize);
            var run = new byte[runBlocks * _blockSize];
            byte[] frame = [];
            while (queue.TryDequeue(out int p))
            {
                string pack = _repository.Packs[p].Name;
                var index = _resolved.Indexes[p];
                Stream input;
                try { input = _store.OpenRead(pack, token); }
                catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { throw BackupErrors.RepositoryPackMissing(_store.Location, pack, _manifest.File); }
                try { ReadPack(p, pack, index, _key != null ? _key.OpenPack(input, pack) : input); }
                // Encrypted: each 64 KiB chunk is authenticated before any byte of it is used.
                catch (SqliteBackupException e) when (e.ErrorId == "EncryptedDataDamaged")
                {
                    throw BackupErrors.RepositoryDamaged(_store.Location, pack, _manifest.File, "it does not authenticate: " + e.Message);
                }
            }
            void ReadPack(int p, string pack, IReadOnlyList<PackEntry> index, Stream input)
            {
                // The blocks decoded so far that follow each other in the image: [runStart, runStart + runLength).
                long runStart = 0;
                int runLength = 0, inRun = 0;
                void Flush()
                {
                    if (inRun > 0) write!(runStart, run.AsSpan(0, runLength), inRun);
                    runLength = inRun = 0;
                }
                using (input)
                {
                    long at = 0;
                    foreach (var (entryIndex, positions) in _wanted[p]!)
                    {
                        token.ThrowIfCancellationRequested();
                        var e = index[entryIndex];
                        if (frame.Length < e.StoredLength) frame = new byte[Math.Max(e.StoredLength, frame.Length * 2)];
                        // Frames we do not need are read past: one sequential read of the pack, never a request per block.
                        Skip(input, e.Offset - at, pack);
                        ReadExactly(input, frame.AsSpan(0, e.StoredLength), pack);
                        at = e.Offset + e.StoredLength;
                        Interlocked.Add(ref total, e.StoredLength);
                        long position = positions[0];
                        if (inRun > 0 && (position != runStart + runLength || runLength + _blockSize > run.Length)) Flush();
                        if (inRun == 0) runStart = position;
                        var raw = run.AsSpan(runLength, _blockSize);
                        int n;
                        try { n = decompressor.Unwrap(frame.AsSpan(0, e.StoredLength), raw); }
                        catch (ZstdException x) { throw BackupErrors.RepositoryDamaged(_store.Location, pack, _manifest.File, $"entry {entryIndex} does not decompress ({x.Message})"); }
                        if (n != e.RawLength || (write == null && (_key?.BlockId(raw[..n]) ?? BlockHash.Of(raw[..n])) != e.Hash))
                            throw BackupErrors.RepositoryDamaged(_store.Location, pack, _manifest.File, $"entry {entryIndex} does not match its block id");
                        if (write == null) continue;
                        runLength += n;
                        inRun++;
                        // The same block elsewhere in the image (a repeated page): written there on its own.
                        for (int k = 1; k < positions.Count; k++) write(positions[k], raw[..n], 1);
                    }
                    if (write != null) Flush();
                }
            }
        }
        int workers = Math.Max(1, Math.Min(Math.Min(Environment.ProcessorCount, MaxReaders), _order.Length));
        var tasks = Enumerable.Range(0, workers).Select(_ => Start(Guarded(ReadPacks))).ToList();
        if (follow != null) tasks.Add(Start(Guarded(() => follow(token))));
        try
        {
            while (!Task.WaitAll([.. tasks], 250)) read?.Invoke(Interlocked.Read(ref total));
        }
        catch (AggregateException e)
        {
            // What a thread found, as it found it: the damaged or missing pack first, cancellation as cancellation.
            var first = e.Flatten().InnerExceptions.OrderBy(x => x is SqliteBackupException ? 0 : x is OperationCanceledException ? 2 : 1).First();
            ct.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        read?.Invoke(total);
    }

    static Task Start(Action body) => Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    void Skip(Stream s, long count, string pack)
    {
        if (count < 0) throw BackupErrors.RepositoryDamaged(_store.Location, RepositoryNames.IndexOf(pack), _manifest.File, "its entries overlap");
        var buffer = new byte[(int)Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) throw BackupErrors.RepositoryDamaged(_store.Location, pack, _manifest.File, "it is shorter than its index says");
            count -= n;
        }
    }

    void ReadExactly(Stream s, Span<byte> span, string pack)
    {
        try { s.ReadExactly(span); }
        catch (EndOfStreamException) { throw BackupErrors.RepositoryDamaged(_store.Location, pack, _manifest.File, "it is shorter than its index says"); }
    }
}
