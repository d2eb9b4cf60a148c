using System.Diagnostics;
using System.Globalization;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// How long a remote store may take. Three bounds, because a silent server and a slow link look alike only to a
/// clock that does not watch the bytes: an operation (with all its retries) gets a total limit, each small request
/// (list, stat, delete, a manifest) a short one, and a data transfer is stopped only when no byte has moved for a
/// while, never for being long: a 10 GiB upload over a slow link is slow, not stalled.
/// </summary>
public static class StoreTimeouts
{
    /// <summary>A silent server is reported within about two minutes: what a scheduled job or a shell user can wait.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>One small request: its own limit, never more than the operation's.</summary>
    public static TimeSpan RequestLimit(this StoreOptions o) => o.RequestTimeout < o.Timeout ? o.RequestTimeout : o.Timeout;

    /// <summary>No byte moving in a transfer: its own limit, never more than the operation's.</summary>
    public static TimeSpan StallLimit(this StoreOptions o) => o.StallTimeout < o.Timeout ? o.StallTimeout : o.Timeout;

    /// <summary>A token that ends the operation when its total limit passes (or when the caller cancels).</summary>
    internal static CancellationTokenSource Deadline(this StoreOptions o, CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(o.Timeout);
        return cts;
    }

    /// <summary>What a user reads when a store gave up: how long, which limits, and how to change them.</summary>
    /// <param name="budget">The operation's budget: where it refused a retry, the message says why no further attempt was made.</param>
    internal static string Waited(this StoreOptions o, Stopwatch watch, OperationBudget? budget = null) => string.Format(CultureInfo.InvariantCulture,
        "gave up after {0:0.#} s{4} (limits: {1:0.#} s per operation with its retries, {2:0.#} s per request, {3:0.#} s without a byte moving in a transfer; " +
        "a longer limit: -TimeoutSec on the cmdlet or timeout_sec on the job's destination)",
        watch.Elapsed.TotalSeconds, o.Timeout.TotalSeconds, o.RequestLimit().TotalSeconds, o.StallLimit().TotalSeconds,
        budget is { RetryRefused: true } ? string.Format(CultureInfo.InvariantCulture,
            ", with no further attempt started: less than one request's {0:0.#} s was left of the operation's limit", budget.Attempt.TotalSeconds) : "");
}

/// <summary>
/// Cancels a transfer when no byte has moved for the stall limit. Every read of the body being sent (and every read
/// of a body being received) re-arms it, so only a transfer that stopped moving is ended, however long it runs.
/// </summary>
sealed class StallWatch : IDisposable
{
    readonly CancellationTokenSource _cts;
    readonly TimeSpan _limit;

    public StallWatch(TimeSpan limit, CancellationToken ct)
    {
        _limit = limit;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _cts.CancelAfter(limit);
    }

    public CancellationToken Token => _cts.Token;
    public bool Stalled => _cts.IsCancellationRequested;

    public void Moved()
    {
        try { _cts.CancelAfter(_limit); } catch (ObjectDisposedException) { }
    }

    /// <summary>A request body that re-arms the watch as the HTTP client reads it.</summary>
    public Stream Watch(Stream body) => new WatchedStream(body, this);

    public void Dispose() => _cts.Dispose();

    sealed class WatchedStream(Stream inner, StallWatch watch) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count) { watch.Moved(); return inner.Read(buffer, offset, count); }
        public override int Read(Span<byte> buffer) { watch.Moved(); return inner.Read(buffer); }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) { watch.Moved(); return inner.ReadAsync(buffer, ct); }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) { watch.Moved(); return inner.ReadAsync(buffer, offset, count, ct); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
