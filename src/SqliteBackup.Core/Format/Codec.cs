using System.IO.Compression;
using ZstdSharp;

namespace SqliteBackup.Core.Format;

/// <summary>Streams for each <see cref="CompressionKind"/>; the formats are the standard ones so zstd -d and gunzip read them.</summary>
internal static class Codec
{
    public static string Extension(CompressionKind kind) => kind switch
    {
        CompressionKind.Zstd => ".zst",
        CompressionKind.Gzip => ".gz",
        _ => "",
    };

    public static Stream Compress(CompressionKind kind, Stream output, int zstdLevel = 3) => kind switch
    {
        CompressionKind.Zstd => CreateZstd(output, zstdLevel),
        CompressionKind.Gzip => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        _ => new NonClosingStream(output),
    };

    static Stream CreateZstd(Stream output, int level)
    {
        var z = new CompressionStream(output, level, leaveOpen: true);
        // zstd's own worker threads overlap compression with our reading; the frame stays standard.
        if (Environment.ProcessorCount > 1)
            z.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, Math.Min(Environment.ProcessorCount, 4));
        return z;
    }

    public static Stream Decompress(CompressionKind kind, Stream input) => kind switch
    {
        CompressionKind.Zstd => new DecompressionStream(input, leaveOpen: true),
        CompressionKind.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
        _ => new NonClosingStream(input),
    };

    /// <summary>Lets the no-compression path share the code of the others without closing the caller's stream.</summary>
    sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
