namespace SqliteBackup.Core.Tests.Storage;

/// <summary>Gives its bytes once; past a point, runs an action (once) before giving more; counts reads from the start.</summary>
sealed class CuttingStream(byte[] data, int cutAfter, Action cut) : MemoryStream(data)
{
    bool _cut;

    /// <summary>How many times reading began at the first byte.</summary>
    public int Passes { get; private set; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (Position == 0) Passes++;
        if (Position >= cutAfter && !_cut)
        {
            _cut = true;
            cut();
            Thread.Sleep(500);
        }
        return base.Read(buffer, offset, count);
    }

    public override int Read(Span<byte> buffer)
    {
        var chunk = new byte[buffer.Length];
        int n = Read(chunk, 0, chunk.Length);
        chunk.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer, offset, count));
}
