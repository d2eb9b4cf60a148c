using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>The SHA-256 of a block's raw bytes, as a value (a dictionary key without a string per block).</summary>
public readonly record struct BlockHash(ulong A, ulong B, ulong C, ulong D)
{
    public static BlockHash Of(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[32];
        SHA256.HashData(data, h);
        return From(h);
    }

    public static BlockHash From(ReadOnlySpan<byte> h) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(h), BinaryPrimitives.ReadUInt64LittleEndian(h[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(h[16..]), BinaryPrimitives.ReadUInt64LittleEndian(h[24..]));

    public void WriteTo(Span<byte> h)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(h, A);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], B);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], C);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], D);
    }

    public override string ToString()
    {
        Span<byte> h = stackalloc byte[32];
        WriteTo(h);
        return Convert.ToHexString(h).ToLowerInvariant();
    }
}

/// <summary>One block in a pack: its raw bytes' hash, where its zstd frame starts, how long the frame and the raw block are.</summary>
public readonly record struct PackEntry(BlockHash Hash, long Offset, int StoredLength, int RawLength);

/// <summary>
/// A pack's .index: "SQLBKIDX", u32 version 1, u32 count, count x (32-byte SHA-256, u64 offset, u32 stored length,
/// u32 raw length), then the SHA-256 of everything before it, so a torn or damaged index is found, never trusted.
/// Little-endian.
/// </summary>
public static class PackIndex
{
    static readonly byte[] Magic = Encoding.ASCII.GetBytes("SQLBKIDX");
    public const int Version = 1;
    const int HeaderSize = 16;
    const int EntrySize = 48;

    public static byte[] Encode(IReadOnlyList<PackEntry> entries)
    {
        var bytes = new byte[HeaderSize + entries.Count * EntrySize + 32];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)entries.Count);
        int at = HeaderSize;
        foreach (var e in entries)
        {
            e.Hash.WriteTo(span[at..]);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 32)..], (ulong)e.Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 40)..], (uint)e.StoredLength);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 44)..], (uint)e.RawLength);
            at += EntrySize;
        }
        SHA256.HashData(span[..at], span[at..]);
        return bytes;
    }

    /// <summary>The entries, or null with what is wrong (torn, damaged, unknown version).</summary>
    public static IReadOnlyList<PackEntry>? TryDecode(ReadOnlySpan<byte> bytes, out string? problem)
    {
        problem = null;
        if (bytes.Length < HeaderSize + 32 || !bytes[..8].SequenceEqual(Magic)) { problem = "it is not a pack index (no SQLBKIDX header)"; return null; }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes[..^32], hash);
        if (!hash.SequenceEqual(bytes[^32..])) { problem = "its checksum does not match its content (torn or damaged)"; return null; }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version != Version) { problem = $"its version {version} is not one this module knows ({Version}); update the module"; return null; }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        if ((long)count * EntrySize != bytes.Length - HeaderSize - 32) { problem = $"it says {count} entries but holds {(bytes.Length - HeaderSize - 32) / (double)EntrySize}"; return null; }
        var entries = new PackEntry[count];
        long expected = 0;
        for (int i = 0; i < count; i++)
        {
            var e = bytes.Slice(HeaderSize + i * EntrySize, EntrySize);
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(e[32..]);
            int stored = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[40..]);
            int raw = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[44..]);
            // Frames are written back to back: anything else is not an index we wrote.
            if (offset != expected || stored <= 0 || raw <= 0 || raw > RepositoryConfig.MaxBlockSize) { problem = $"entry {i} is not consistent (offset {offset}, stored {stored}, raw {raw})"; return null; }
            expected += stored;
            entries[i] = new PackEntry(BlockHash.From(e), offset, stored, raw);
        }
        return entries;
    }

    /// <summary>Reads and checks the .index of <paramref name="packName"/>; missing or damaged is a clear error naming both.</summary>
    public static IReadOnlyList<PackEntry> Read(IBackupStore store, string packName, string? snapshot = null, CancellationToken ct = default)
    {
        string name = RepositoryNames.IndexOf(packName);
        byte[] bytes;
        try { bytes = store.ReadAllBytes(name, ct, 64 << 20); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { throw BackupErrors.RepositoryPackMissing(store.Location, name, snapshot); }
        return TryDecode(bytes, out var problem) ?? throw BackupErrors.RepositoryDamaged(store.Location, name, snapshot, problem!);
    }

    /// <summary>
    /// Whether a pack of <paramref name="stored"/> bytes can hold the frames its index describes: exactly their sum, or in
    /// an encrypted repository their sum plus age's overhead (a one-stanza header, the nonce, a tag per 64 KiB chunk).
    /// </summary>
    public static bool SizeFits(IReadOnlyList<PackEntry> entries, long stored, bool encrypted)
    {
        long plain = PackSize(entries);
        if (!encrypted) return stored == plain;
        long chunks = Math.Max(1, (plain + Encryption.AgePayload.ChunkSize - 1) / Encryption.AgePayload.ChunkSize);
        long header = stored - plain - Encryption.AgePayload.NonceSize - chunks * 16;
        return header is > 0 and <= MaxAgeHeader;
    }

    /// <summary>An age header with one X25519 stanza is about 200 bytes.</summary>
    const int MaxAgeHeader = 1024;

    /// <summary>The stored bytes of a pack: the sum of its frames.</summary>
    public static long PackSize(IReadOnlyList<PackEntry> entries) => entries.Count == 0 ? 0 : entries[^1].Offset + entries[^1].StoredLength;
}
