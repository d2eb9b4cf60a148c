using System.Security.Cryptography;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using ZstdSharp;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Collects new blocks, each compressed on its own (zstd level 3, no worker threads: a frame per block keeps each one
/// readable alone), into a pack buffer; a pack is put when it reaches <see cref="PackTargetBytes"/> of stored bytes or
/// when the backup ends, create-only, named by the SHA-256 of its bytes, then its .index. The same name is the same
/// bytes, so StoreObjectExists on such a put means it is already there. A full pack is put on a low-priority thread
/// while the next one fills (one put in flight, two buffers); its failure surfaces at the next pack or at
/// <see cref="Finish"/>, as it was thrown.
/// </summary>
/// In an encrypted repository a pack's stored bytes are one age file of its frames (to the repository key), and its name
/// is the SHA-256 of those encrypted bytes, so copies and Quick checks need no key; offsets in its index are offsets in
/// the plaintext.
internal sealed class PackWriter(IBackupStore store, CancellationToken ct, PackLocks? locks = null, RepositoryKey? key = null) : IDisposable
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
    MemoryStream _buffer = new();
    MemoryStream _spare = new();
    Task _putting = Task.CompletedTask;
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

    /// <summary>Puts the last pack (if any block is in it) and waits until every pack and index is in the store.</summary>
    public void Finish()
    {
        Flush();
        _putting.GetAwaiter().GetResult();
    }

    /// <summary>Seals the pack being filled (if any block is in it) and starts putting it and its index.</summary>
    void Flush()
    {
        if (_entries.Count == 0) return;
        // The previous put is done (or its failure is this backup's) before its buffer is filled again.
        _putting.GetAwaiter().GetResult();
        var buffer = _buffer;
        int length = (int)buffer.Length;
        var index = PackIndex.Encode(_entries);
        var pending = _current;
        void Publish(byte[] bytes, int size, string name)
        {
            pending.Name = name;
            pending.Size = size;
            PutCreateOnly(name, bytes, size);
            PutCreateOnly(RepositoryNames.IndexOf(name), index, index.Length);
            lock (Written) Written.Add(new PackRef(name, size));
        }
        if (key == null)
        {
            string name = RepositoryNames.Pack(Convert.ToHexString(SHA256.HashData(buffer.GetBuffer().AsSpan(0, length))).ToLowerInvariant());
            pending.Name = name;
            pending.Size = length;
            _putting = BackgroundPriority.Run(() => Publish(buffer.GetBuffer(), length, name));
        }
        else
            // Sealed beside the next pack's filling; the name is known only then (it is read after Finish).
            _putting = BackgroundPriority.Run(() =>
            {
                using var plain = new MemoryStream(buffer.GetBuffer(), 0, length, writable: false);
                using var sealer = new Encryption.AgeEncryptingReader(plain, key.PackRecipients);
                using var sealedPack = new MemoryStream(length + length / 1024 + 4096);
                sealer.CopyTo(sealedPack);
                Publish(sealedPack.GetBuffer(), (int)sealedPack.Length, RepositoryNames.Pack(sealer.StoredSha256));
            });
        _current = new Pending();
        _entries.Clear();
        (_buffer, _spare) = (_spare, buffer);
        _buffer.SetLength(0);
    }

    void PutCreateOnly(string name, byte[] bytes, int length)
    {
        try
        {
            using var ms = new MemoryStream(bytes, 0, length, writable: false);
            (locks ?? PackLocks.None).Put(store, name, ms, null, ct);
        }
        // Named by its content: the object there is these very bytes (an index, by its pack's name, likewise); its lock
        // (left by a failed run, or a shorter one) reaches this snapshot's date.
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
        {
            locks?.ExtendObject(name, ct);
        }
    }

    public void Dispose()
    {
        // After a failure elsewhere, a put still running finishes before the backup reports (its pack is left for prune).
        try { _putting.Wait(); }
        catch (AggregateException) { }
        _compressor.Dispose();
    }
}
