using System.Security.Cryptography;
using ZstdSharp;

namespace SqliteBackup.Core.Repository;

/// <summary>Where block i of a snapshot lives: the index into the manifest's "packs" and the entry in that pack's .index.</summary>
public readonly record struct BlockRef(int Pack, int Entry);

/// <summary>
/// The snapshot's ordered block list: per block two zigzag varints, (pack - previous pack) and (entry - (previous entry
/// + 1)), starting from (0, -1), so a run of blocks stored one after another (an unchanged run, or a new run) encodes as
/// (0, 0) pairs and zstd squeezes them to nothing: the list of a 1 GiB database is a few KB. In the manifest: base64 of
/// the zstd frame, and the SHA-256 (hex) of the uncompressed list.
/// </summary>
public static class BlockList
{
    public static byte[] EncodeRaw(IReadOnlyList<BlockRef> blocks)
    {
        using var ms = new MemoryStream(blocks.Count * 2 + 16);
        int prevPack = 0, prevEntry = -1;
        foreach (var b in blocks)
        {
            WriteVarint(ms, ZigZag((long)b.Pack - prevPack));
            WriteVarint(ms, ZigZag((long)b.Entry - (prevEntry + 1L)));
            (prevPack, prevEntry) = (b.Pack, b.Entry);
        }
        return ms.ToArray();
    }

    /// <summary>(base64 of zstd of the raw list, hex SHA-256 of the raw list).</summary>
    public static (string Blocks, string Sha256) Encode(IReadOnlyList<BlockRef> blocks)
    {
        var raw = EncodeRaw(blocks);
        using var compressor = new Compressor(19);
        return (Convert.ToBase64String(compressor.Wrap(raw)), Convert.ToHexString(SHA256.HashData(raw)).ToLowerInvariant());
    }

    /// <summary>Exactly <paramref name="count"/> blocks, each naming one of <paramref name="packCount"/> packs; null with the problem otherwise.</summary>
    public static BlockRef[]? TryDecode(string base64, string sha256, long count, int packCount, out string? problem)
    {
        problem = null;
        byte[] raw;
        try
        {
            var z = Convert.FromBase64String(base64);
            using var d = new Decompressor();
            // At most 10 bytes per varint, two per block.
            raw = d.Unwrap(z, (int)Math.Min(int.MaxValue, Math.Max(64, count * 20 + 64))).ToArray();
        }
        catch (Exception e) when (e is FormatException or ZstdException or ArgumentException)
        {
            problem = $"its block list does not decode ({e.Message})";
            return null;
        }
        if (!string.Equals(Convert.ToHexString(SHA256.HashData(raw)), sha256, StringComparison.OrdinalIgnoreCase))
        {
            problem = "its block list does not match blocksSha256 (damaged)";
            return null;
        }
        return TryDecodeRaw(raw, count, packCount, out problem);
    }

    public static BlockRef[]? TryDecodeRaw(ReadOnlySpan<byte> raw, long count, int packCount, out string? problem)
    {
        problem = null;
        if (count < 0 || count > int.MaxValue) { problem = $"block count {count} is invalid"; return null; }
        var blocks = new BlockRef[count];
        int at = 0;
        long prevPack = 0, prevEntry = -1;
        for (int i = 0; i < count; i++)
        {
            if (!TryReadVarint(raw, ref at, out ulong dp) || !TryReadVarint(raw, ref at, out ulong de))
            {
                problem = $"its block list ends after {i} of {count} blocks (truncated)";
                return null;
            }
            long pack = prevPack + UnZigZag(dp), entry = prevEntry + 1 + UnZigZag(de);
            if (pack < 0 || pack >= packCount || entry < 0 || entry > int.MaxValue)
            {
                problem = $"block {i} names pack {pack}, entry {entry}, outside the {packCount} packs listed";
                return null;
            }
            blocks[i] = new BlockRef((int)pack, (int)entry);
            (prevPack, prevEntry) = (pack, entry);
        }
        if (at != raw.Length) { problem = $"its block list has {raw.Length - at} bytes after the {count} blocks"; return null; }
        return blocks;
    }

    static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));
    static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        s.WriteByte((byte)v);
    }

    static bool TryReadVarint(ReadOnlySpan<byte> raw, ref int at, out ulong v)
    {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= raw.Length) return false;
            byte b = raw[at++];
            v |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }
}
