namespace SqliteBackup.Core.Storage;

/// <summary>
/// An object's bytes that survive a dropped connection: when a read fails for the network's sake (or the body ends
/// before its length), the object is opened again at the first byte not yet read and reading goes on, as the Azure SDK
/// does for blobs. The store's reopen must refuse an object that changed since the first open (an S3 If-Match on the
/// ETag, an SFTP file whose size or time moved): bytes of two objects are never spliced into one stream. Whatever reads
/// a backup still proves it by its SHA-256; this only spares a multi-GiB restore from starting over.
/// </summary>
sealed class ResumingReadStream : Stream
{
    /// <summary>Reopens in a row without a byte read in between; the store's reopen has its own retries besides.</summary>
    internal const int MaxResumesWithoutProgress = 4;

    /// <summary>In all, for one stream: a link that drops every few MiB is better reported than read forever.</summary>
    internal const int MaxResumes = 32;

    readonly long _length;
    readonly Func<long, CancellationToken, Stream> _reopen;
    readonly Func<Exception, bool> _transient;
    Stream _inner;
    long _position;
    int _resumes;
    int _resumesWithoutProgress;

    /// <param name="first">The object as first opened, from its first byte.</param>
    /// <param name="length">Its length at that open: a body that ends before it was cut, not finished.</param>
    /// <param name="reopen">The same object from an offset, or an error when it cannot be (changed, gone, unreachable).</param>
    /// <param name="transient">Which failures of a read are the connection's (worth a reopen).</param>
    public ResumingReadStream(Stream first, long length, Func<long, CancellationToken, Stream> reopen, Func<Exception, bool> transient)
    {
        _inner = first;
        _length = length;
        _reopen = reopen;
        _transient = transient;
    }

    /// <summary>How often the object was opened again (tests, logs).</summary>
    public int Resumes => _resumes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            try { return Advance(_inner.Read(buffer), buffer.Length); }
            catch (Exception e) when (CanResume(e)) { Resume(CancellationToken.None); }
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (true)
        {
            try { return Advance(await _inner.ReadAsync(buffer, ct).ConfigureAwait(false), buffer.Length); }
            catch (Exception e) when (!ct.IsCancellationRequested && CanResume(e)) { Resume(ct); }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    int Advance(int n, int asked)
    {
        if (n == 0 && asked > 0 && _position < _length)
            throw new EndedEarlyException($"The object's body ended after {_position} of its {_length} bytes.");
        _position += n;
        if (n > 0) _resumesWithoutProgress = 0;
        return n;
    }

    bool CanResume(Exception e) =>
        (e is EndedEarlyException || _transient(e)) && _resumes < MaxResumes && _resumesWithoutProgress < MaxResumesWithoutProgress;

    void Resume(CancellationToken ct)
    {
        _resumes++;
        _resumesWithoutProgress++;
        try { _inner.Dispose(); } catch (Exception) { } // a broken connection may fail its own close
        if (ct.WaitHandle.WaitOne(Backoff.Doubling(_resumesWithoutProgress))) ct.ThrowIfCancellationRequested();
        _inner = _reopen(_position, ct);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>A body shorter than its length: the connection closed early without saying so.</summary>
    sealed class EndedEarlyException(string message) : IOException(message);
}
