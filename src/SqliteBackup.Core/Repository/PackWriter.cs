using System.Security.Cryptography;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using ZstdSharp;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Collects new blocks, each compressed on its own (zstd level 3, no worker threads: a frame per block keeps each one
/// readable alone), into a pack buffer; a pack is put when it reaches <see cref="PackTargetBytes"/> of stored bytes or
/// when the backup ends, create-only, named by the SHA-256 of its bytes, then its .index. The same name is the same
/// bytes, so StoreObjectExists on such a put means it is already there.
/// </summary>
internal sealed class PackWriter(IBackupStore store, CancellationToken ct) : IDisposable
{
    /// <summary>Large enough that a big database is hundreds of requests, not tens of thousands; small enough to hold in memory.</summary>
    public const int PackTargetBytes = 16 << 20;
    public const int Level = 3;

    /// <summary>A pack being filled; its name is known once it is put.</summary>
    public sealed class Pending
    {
        public string? Name { get; internal set; }
        public long Size { get; internal set; }
    }

    readonly Compressor _compressor = new(Level);
    readonly MemoryStream _buffer = new();
    readonly List<PackEntry> _entries = [];
    byte[] _scratch = [];
    Pending _current = new();

    public List<PackRef> Written { get; } = [];
    public long BlocksWritten { get; private set; }
    public long RawBytesWritten { get; private set; }

    /// <summary>Compresses and appends a block; returns the pack it went to and its entry there.</summary>
    public (Pending Pack, int Entry, int StoredLength) Add(ReadOnlySpan<byte> block, BlockHash hash)
    {
        int bound = Compressor.GetCompressBound(block.Length);
        if (_scratch.Length < bound) _scratch = new byte[bound];
        int stored = _compressor.Wrap(block, _scratch);
        var pack = _current;
        int entry = _entries.Count;
        _entries.Add(new PackEntry(hash, _buffer.Length, stored, block.Length));
        _buffer.Write(_scratch, 0, stored);
        BlocksWritten++;
        RawBytesWritten += block.Length;
        if (_buffer.Length >= PackTargetBytes) Flush();
        return (pack, entry, stored);
    }

    /// <summary>Puts the pack being filled (if any block is in it) and its index.</summary>
    public void Flush()
    {
        if (_entries.Count == 0) return;
        var bytes = _buffer.GetBuffer();
        int length = (int)_buffer.Length;
        string name = RepositoryNames.Pack(Convert.ToHexString(SHA256.HashData(bytes.AsSpan(0, length))).ToLowerInvariant());
        PutCreateOnly(name, bytes, length);
        var index = PackIndex.Encode(_entries);
        PutCreateOnly(RepositoryNames.IndexOf(name), index, index.Length);
        _current.Name = name;
        _current.Size = length;
        Written.Add(new PackRef(name, length));
        _current = new Pending();
        _entries.Clear();
        _buffer.SetLength(0);
    }

    void PutCreateOnly(string name, byte[] bytes, int length)
    {
        try
        {
            using var ms = new MemoryStream(bytes, 0, length, writable: false);
            store.Put(name, ms, createOnly: true, null, ct);
        }
        // Named by its content: the object there is these very bytes (an index, by its pack's name, likewise).
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists") { }
    }

    public void Dispose() => _compressor.Dispose();
}
