using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using SqliteBackup.Core.Backups;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Reads the snapshot image a few chunks ahead on its own low-priority thread and hashes the whole image (RawSha256) as it
/// goes, while the consumer hashes, dedups and packs the blocks of the chunks already read: the two SHA-256 passes over
/// the image are most of an incremental backup's work, and this way they run on two cores. The image hash stays a real
/// SHA-256 of every byte read. A failure of the reading thread is rethrown to the consumer as it was thrown.
/// While an application's writer is committing (<c>writerActive</c>), the reader rests as long as it worked after each
/// chunk: streaming the image through memory slows a writer's commits on the other core whatever our CPU priority
/// (measured on the 2-core bench machine: one idle-class thread copying memory, a core left free, doubled a writer's p99
/// commit latency; the same reading at half duty left it within 1.1x), so with a writer the image is read at half speed.
/// </summary>
internal sealed class ImageReader : IDisposable
{
    /// <summary>Buffers in flight: enough to keep both threads busy, little memory (6 MiB).</summary>
    const int Buffers = 6;

    readonly BlockingCollection<byte[]> _free = new();
    readonly BlockingCollection<(byte[] Buffer, int Length)> _full = new();
    readonly List<byte[]> _rented = [];
    readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    readonly CancellationTokenSource _stop;
    readonly Task _reading;
    readonly Func<bool>? _writerActive;
    long _consumed;
    long _restedTicks;

    /// <param name="writerActive">Asked after every chunk: whether an application's writer committed lately.</param>
    public ImageReader(Stream input, long length, int chunk, CancellationToken ct, Func<bool>? writerActive = null)
    {
        _writerActive = writerActive;
        for (int i = 0; i < Buffers; i++) _rented.Add(ArrayPool<byte>.Shared.Rent(chunk));
        foreach (var b in _rented) _free.Add(b);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _reading = BackgroundPriority.Run(() =>
        {
            try { Pump(input, length, chunk, _stop.Token); }
            finally { _full.CompleteAdding(); }
        });
    }

    /// <summary>Bytes handed to the consumer so far (for progress, from any thread).</summary>
    public long Consumed => Volatile.Read(ref _consumed);

    /// <summary>How long the reader rested for a writer (see the class summary).</summary>
    public TimeSpan Rested => TimeSpan.FromTicks(Volatile.Read(ref _restedTicks));

    void Pump(Stream input, long length, int chunk, CancellationToken ct)
    {
        long done = 0;
        long owed = 0;
        var clock = Stopwatch.StartNew();
        while (done < length)
        {
            var buffer = _free.Take(ct);
            long began = clock.ElapsedTicks;
            int want = (int)Math.Min(chunk, length - done);
            int got = 0;
            while (got < want)
            {
                int n = input.Read(buffer, got, want - got);
                if (n == 0) throw new IOException($"The database file ended {length - done - got} bytes early.");
                got += n;
            }
            _whole.AppendData(buffer, 0, got);
            _full.Add((buffer, got), ct);
            done += got;
            if (_writerActive?.Invoke() != true) continue;
            // A chunk's work is about a millisecond, the shortest sleep: the rest owed is carried to the next chunk.
            owed += clock.ElapsedTicks - began;
            if (owed < Stopwatch.Frequency / 1000) continue;
            long before = clock.ElapsedTicks;
            ct.WaitHandle.WaitOne(TimeSpan.FromTicks(owed * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
            long rested = clock.ElapsedTicks - before;
            owed -= rested;
            Interlocked.Add(ref _restedTicks, rested * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        }
    }

    /// <summary>The image in order, chunk by chunk; a chunk's memory is reused once the next one is asked for.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Chunks()
    {
        foreach (var (buffer, length) in _full.GetConsumingEnumerable())
        {
            yield return buffer.AsMemory(0, length);
            Interlocked.Add(ref _consumed, length);
            _free.Add(buffer);
        }
        // The reader stopped: at the end of the image, or with its failure, which is the backup's.
        _reading.GetAwaiter().GetResult();
    }

    /// <summary>The SHA-256 of the whole image, once <see cref="Chunks"/> has been read to its end.</summary>
    public byte[] Sha256()
    {
        _reading.GetAwaiter().GetResult();
        return _whole.GetHashAndReset();
    }

    public void Dispose()
    {
        // A consumer that failed stops the reader, which must be done with the input and the buffers before they go.
        _stop.Cancel();
        try { _reading.Wait(); }
        catch (AggregateException) { }
        _stop.Dispose();
        _whole.Dispose();
        foreach (var b in _rented) ArrayPool<byte>.Shared.Return(b);
        _free.Dispose();
        _full.Dispose();
    }
}
