namespace SqliteBackup.Core.Format;

/// <summary>
/// A new backup's stored bytes as a stream to read from: the raw snapshot is read and compressed only as the reader asks
/// for more, and both sides are hashed on the way. A store's Put pulls a backup straight from the snapshot through it,
/// so no compressed copy is ever written locally, and a failure on either side stops the other where it stands.
/// </summary>
internal sealed class CompressingReader : Stream
{
    const int Chunk = 1 << 20;
    readonly HashingStream _raw;
    readonly MemoryStream _pending = new();
    readonly HashingStream _stored;
    readonly CancellationToken _ct;
    readonly byte[] _chunk = new byte[Chunk];
    readonly long _length;
    Stream? _compressor;
    string? _rawSha256, _storedSha256;
    long _remaining;
    int _served;

    /// <param name="input">Exactly <paramref name="length"/> raw bytes are read from it; it stays open.</param>
    public CompressingReader(Stream input, long length, CompressionKind kind, int zstdLevel, CancellationToken ct)
    {
        _raw = new HashingStream(input, leaveOpen: true);
        _stored = new HashingStream(_pending, leaveOpen: true);
        _compressor = Codec.Compress(kind, _stored, zstdLevel);
        _length = _remaining = length;
        _ct = ct;
    }

    /// <summary>Raw bytes read so far (progress).</summary>
    public long RawRead => _length - _remaining;

    /// <summary>True once every stored byte has been produced; the hashes and sizes below are final only then.</summary>
    public bool Complete => _storedSha256 != null;
    public string RawSha256 => _rawSha256 ?? throw NotComplete();
    public long RawSize => _length;
    public string StoredSha256 => _storedSha256 ?? throw NotComplete();
    public long StoredSize => Complete ? _stored.BytesWritten : throw NotComplete();

    static InvalidOperationException NotComplete() => new("The stored bytes were not all read.");

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_served == _pending.Length)
        {
            if (_compressor == null) return 0;
            Fill();
        }
        int n = (int)Math.Min(buffer.Length, _pending.Length - _served);
        _pending.GetBuffer().AsSpan(_served, n).CopyTo(buffer);
        _served += n;
        return n;
    }

    /// <summary>Compresses the next chunk of raw bytes (or ends the frame) into the pending buffer.</summary>
    void Fill()
    {
        _ct.ThrowIfCancellationRequested();
        _pending.SetLength(0);
        _served = 0;
        if (_remaining == 0)
        {
            _compressor!.Dispose();
            _compressor = null;
            _stored.Flush();
            _rawSha256 = _raw.HashHex();
            _storedSha256 = _stored.HashHex();
            return;
        }
        int n = _raw.Read(_chunk, 0, (int)Math.Min(Chunk, _remaining));
        if (n == 0) throw new IOException($"The database file ended {_remaining} bytes early.");
        _compressor!.Write(_chunk, 0, n);
        _remaining -= n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _compressor?.Dispose();
            _compressor = null;
            _raw.Dispose();
            _stored.Dispose();
            _pending.Dispose();
        }
        base.Dispose(disposing);
    }
}
