namespace SqliteBackup.Core.Snapshot;

/// <summary>The first <c>length</c> bytes of a database, read forward through SQLite's own descriptor.</summary>
internal sealed class SqliteOwnFileStream(SqliteOwnFile file, long length) : Stream
{
    /// <summary>The database file read (for its wal-index: whether a writer is committing meanwhile).</summary>
    public SqliteOwnFile File => file;

    long _position;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        if (n <= 0) return 0;
        file.ReadExactly(buffer[..n], _position);
        _position += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
