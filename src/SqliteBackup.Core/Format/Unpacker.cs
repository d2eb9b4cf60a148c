using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Format;

/// <summary>
/// What one read of a stored backup proved. <see cref="Failure"/> is what stopped the decompression (bytes that do not
/// decode, or a decompressed copy that could not be written); the stored bytes were still read to their end, so the
/// stored hash and size are always whole and a damaged object is reported by its SHA-256, as a separate read would.
/// </summary>
internal sealed record Unpacked(string StoredSha256, long StoredSize, string RawSha256, long RawSize, Exception? Failure);

/// <summary>
/// Reads a stored backup object once, as a stream: the stored bytes are hashed as they are decompressed, and the
/// decompressed bytes are hashed and, when asked, written to a new owner-only file. So a check or a restore reads a
/// local file once, and a remote object once from its service, with no compressed copy on local disk.
/// Decompression and reading run on the calling thread, hashing and writing the decompressed bytes on another core.
/// </summary>
internal static class Unpacker
{
    const int Buffer = 1 << 20;

    /// <param name="rawFile">Where the decompressed database goes (a new file, created here); null: hashed only.</param>
    /// <param name="storedRead">Stored bytes read so far, reported on the calling thread.</param>
    /// <exception cref="Exception">What reading <paramref name="stored"/> threw: the object could not be read, which proves nothing about it.</exception>
    /// <param name="decrypt">For an encrypted backup: opens the plaintext of the stored bytes (an age file); it must leave them open.</param>
    public static Unpacked Run(Stream stored, CompressionKind kind, string? rawFile, Action<long>? storedRead, CancellationToken ct,
        Func<Stream, Stream>? decrypt = null)
    {
        using var source = new SourceStream(stored);
        using var storedHash = new HashingStream(source, leaveOpen: true);
        Exception? failure = null;
        long rawSize = 0;
        string rawHash = "";
        try
        {
            // A damaged ciphertext throws (EncryptedDataDamaged) only after the intact chunks before it were decompressed
            // into rawFile: a failure here means the caller discards that copy unused.
            using var plain = decrypt?.Invoke(storedHash);
            (rawHash, rawSize) = Decompress(storedHash, plain ?? storedHash, kind, rawFile, storedRead, ct);
        }
        catch (Exception e) when (source.Failure == null && e is not OperationCanceledException) { failure = e; }
        if (source.Failure != null) ExceptionDispatchInfo.Throw(source.Failure);
        // The rest of the stored bytes still count: a damaged object is reported by its hash, whatever stopped decoding.
        if (failure != null)
        {
            var buffer = new byte[Buffer];
            while (storedHash.Read(buffer) > 0) ct.ThrowIfCancellationRequested();
            if (source.Failure != null) ExceptionDispatchInfo.Throw(source.Failure);
        }
        return new Unpacked(storedHash.HashHex(), storedHash.BytesRead, rawHash, rawSize, failure);
    }

    static (string, long) Decompress(HashingStream counted, Stream input, CompressionKind kind, string? rawFile, Action<long>? storedRead, CancellationToken ct)
    {
        using var output = rawFile == null ? null : PrivateFiles.CreateNew(rawFile, Buffer);
        using var full = new BlockingCollection<(byte[] Data, int Count)>(boundedCapacity: 4);
        var free = new ConcurrentBag<byte[]>();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var writerFailed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long total = 0;
        var writer = Task.Run(() =>
        {
            try
            {
                foreach (var (data, count) in full.GetConsumingEnumerable(writerFailed.Token))
                {
                    sha.AppendData(data, 0, count);
                    output?.Write(data, 0, count);
                    total += count;
                    free.Add(data);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                writerFailed.Cancel();
                throw;
            }
        });
        try
        {
            using var d = Codec.Decompress(kind, input);
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var buffer = free.TryTake(out var b) ? b : new byte[Buffer];
                int n = d.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                storedRead?.Invoke(counted.BytesRead);
                if (n == 0) break;
                full.Add((buffer, n), writerFailed.Token);
            }
        }
        // The writer stopped (no space for the copy...): its own exception, awaited below, says why.
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && writer.IsFaulted) { }
        finally { full.CompleteAdding(); }
        try { writer.GetAwaiter().GetResult(); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { ct.ThrowIfCancellationRequested(); }
        // Scratch copies need no durability: a restore's copy is flushed where it is placed beside the target.
        output?.Flush();
        return (Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant(), total);
    }

    /// <summary>Tells a failure to read the stored object apart from a failure to decode what was read.</summary>
    sealed class SourceStream(Stream inner) : ReadThroughStream
    {
        public Exception? Failure { get; private set; }
        public override int Read(Span<byte> buffer)
        {
            try { return inner.Read(buffer); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failure ??= e;
                throw;
            }
        }
    }
}
