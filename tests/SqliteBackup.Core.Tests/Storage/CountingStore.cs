using System.Collections.Concurrent;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// A store that counts how often, and how much of, each object is read, and can spoil what is put (fail after some
/// bytes, flip a byte): wrapped around a real store (a local directory, or S3 against radosgw), and registered under the
/// scheme counting:// for a local directory, so code that opens stores by location (the catalogue) reaches it too.
/// Counts and spoilers are kept per object location, so tests running side by side do not see each other's.
/// </summary>
public sealed class CountingStore(IBackupStore inner, string? location = null) : IBackupStore
{
    public const string Scheme = "counting";
    static readonly ConcurrentDictionary<string, Reads> Counts = new();
    static readonly ConcurrentDictionary<string, Func<string, Stream, Stream>> Spoilers = new();
    static int _registered;

    public sealed class Reads
    {
        public int Opens;
        public long Bytes;
    }

    /// <summary>counting:///dir: a local directory behind the counting wrapper.</summary>
    public static string LocationOf(string directory)
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            StoreRegistry.Register(Scheme, (uri, options) => new CountingStore(new LocalDirectoryStore(Uri.UnescapeDataString(uri.AbsolutePath), options), uri.OriginalString));
        return $"{Scheme}://{directory}";
    }

    public string Location { get; } = location ?? inner.Location;

    public static Reads ReadsOf(string location, string name) => Counts.GetOrAdd(location.TrimEnd('/') + "/" + name, _ => new Reads());

    public static void Reset(string location)
    {
        foreach (var key in Counts.Keys.Where(k => k.StartsWith(location.TrimEnd('/') + "/", StringComparison.Ordinal))) Counts.TryRemove(key, out _);
    }

    /// <summary>Every Put at <paramref name="location"/> reads its content through <paramref name="spoil"/>(name, content).</summary>
    public static void Spoil(string location, Func<string, Stream, Stream>? spoil)
    {
        if (spoil == null) Spoilers.TryRemove(location, out _);
        else Spoilers[location] = spoil;
    }

    public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
    public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);

    public Stream OpenRead(string name, CancellationToken ct = default)
    {
        var reads = ReadsOf(Location, name);
        Interlocked.Increment(ref reads.Opens);
        return new Counted(inner.OpenRead(name, ct), reads);
    }

    public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default) =>
        inner.Put(name, Spoilers.TryGetValue(Location, out var spoil) ? spoil(name, content) : content, createOnly, progress, ct);

    public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
    public void Dispose() => inner.Dispose();

    /// <summary>Throws after <paramref name="bytes"/> bytes of the object called like <paramref name="suffix"/> were read.</summary>
    public static Func<string, Stream, Stream> FailAfter(long bytes, string suffix = ".zst") =>
        (name, s) => name.EndsWith(suffix, StringComparison.Ordinal) ? new Filter(s, (pos, span) => { if (pos + span.Length > bytes) throw new IOException("the test store failed mid-upload"); }) : s;

    /// <summary>Flips one byte at <paramref name="offset"/> of the data object on its way in: stored is not what was sent.</summary>
    public static Func<string, Stream, Stream> FlipByteAt(long offset) =>
        (name, s) => name.EndsWith(".manifest.json", StringComparison.Ordinal) ? s : new Filter(s, (pos, span) =>
        {
            if (offset >= pos && offset < pos + span.Length) span[(int)(offset - pos)] ^= 0x55;
        });

    sealed class Counted(Stream s, Reads reads) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = s.Read(buffer);
            Interlocked.Add(ref reads.Bytes, n);
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => s.Length;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) s.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Lets <paramref name="touch"/> see (and change) each chunk read, with its position.</summary>
    sealed class Filter(Stream s, SpanAction touch) : Stream
    {
        long _pos;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = s.Read(buffer);
            touch(_pos, buffer[..n]);
            _pos += n;
            return n;
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
    }

    public delegate void SpanAction(long position, Span<byte> chunk);
}
