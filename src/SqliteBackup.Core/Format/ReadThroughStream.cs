namespace SqliteBackup.Core.Format;

/// <summary>
/// A forward-only read of another stream, for wrappers that only watch what passes (count it, tell whose failure it
/// was): the rest of Stream's surface is refused here once rather than in each. The inner stream stays the caller's.
/// </summary>
internal abstract class ReadThroughStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public abstract override int Read(Span<byte> buffer);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
