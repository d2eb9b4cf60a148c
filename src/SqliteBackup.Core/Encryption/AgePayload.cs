using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// The STREAM construction of the age payload: 64 KiB chunks sealed with ChaCha20-Poly1305 under a key derived from the
/// file key and a random 16-byte nonce; each chunk's nonce is its 11-byte big-endian index and a last-chunk flag, so
/// chunks can not be reordered, dropped or truncated away without the reader noticing.
/// </summary>
internal static class AgePayload
{
    public const int ChunkSize = 64 << 10;
    public const int SealedChunkSize = ChunkSize + Aead.TagSize;
    public const int NonceSize = 16;
    static readonly byte[] PayloadInfo = Encoding.ASCII.GetBytes("payload");

    public static byte[] Key(ReadOnlySpan<byte> fileKey, ReadOnlySpan<byte> nonce) => Hkdf(fileKey, nonce, PayloadInfo);

    /// <summary>HKDF-SHA-256 to a 32-byte key, every key age derives.</summary>
    public static byte[] Hkdf(ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info)
    {
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, key, salt, info);
        return key;
    }

    public static void ChunkNonce(Span<byte> nonce, ulong index, bool last)
    {
        if (index >= 1UL << 56) throw new IOException("The age payload has more chunks than its 11-byte counter allows for this implementation.");
        nonce.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[3..11], index);
        nonce[11] = last ? (byte)1 : (byte)0;
    }

    /// <summary>
    /// Splits a stream into the payload's chunks, for the writer (plaintext chunks) and the reader (sealed ones) alike:
    /// a chunk shorter than the buffer is the last, and a full one is the last only when the stream ends right after it,
    /// which one byte read past it tells (that byte starts the next chunk).
    /// </summary>
    internal sealed class Chunks(Stream input)
    {
        int _lookahead = -1;

        /// <summary>Fills <paramref name="chunk"/> as far as the stream goes; the count read (0 only at its end).</summary>
        public int Next(Span<byte> chunk, out bool last)
        {
            int filled = 0;
            if (_lookahead >= 0) { chunk[0] = (byte)_lookahead; filled = 1; _lookahead = -1; }
            filled += ReadFull(input, chunk[filled..]);
            last = filled < chunk.Length;
            if (!last)
            {
                int b = input.ReadByte();
                if (b < 0) last = true; else _lookahead = b;
            }
            return filled;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; the count read.</summary>
    public static int ReadFull(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
