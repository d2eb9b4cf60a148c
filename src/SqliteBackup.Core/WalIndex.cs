using System.Buffers.Binary;

namespace SqliteBackup.Core;

/// <summary>
/// Reads the WAL-index header that SQLite keeps in '&lt;db&gt;-shm' (documented in SQLite's file format, "The WAL-Index
/// Format"). We only need one fact from it: whether every frame in the WAL has been copied back into the database file
/// (mxFrame == nBackfill). Checked while our read transaction is open, that means the database file holds exactly our
/// snapshot, and no checkpoint can write to the file while the transaction lasts: a checkpointer never backfills past
/// the mark of a reader, and needs read-lock 0 exclusively before it writes frames that a lock-0 reader would see.
/// The bytes come from SQLite's own mapping of the -shm (<see cref="SqliteOwnFile"/>): opening and closing a
/// descriptor of our own on it would drop the very read lock this reasoning depends on.
/// </summary>
internal static class WalIndex
{
    const int HeaderSize = 48;            // WalIndexHdr; stored twice so readers can detect a torn read
    const int MxFrameOffset = 16;         // u32 mxFrame inside WalIndexHdr
    const int IsInitOffset = 12;          // u8 isInit
    const int NBackfillOffset = 2 * HeaderSize; // u32 nBackfill, first field of WalCkptInfo
    internal const int BytesNeeded = NBackfillOffset + 4;

    public static bool IsFullyBackfilled(SqliteOwnFile database)
    {
        Span<byte> bytes = stackalloc byte[BytesNeeded];
        return database.TryCopyWalIndex(bytes) && IsFullyBackfilled(bytes);
    }

    internal static bool IsFullyBackfilled(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < BytesNeeded) return false;
        var first = bytes[..HeaderSize];
        var second = bytes.Slice(HeaderSize, HeaderSize);
        if (!first.SequenceEqual(second) || first[IsInitOffset] == 0) return false;
        // The wal-index is in the machine's native byte order.
        uint mxFrame = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(first[MxFrameOffset..]) : BinaryPrimitives.ReadUInt32BigEndian(first[MxFrameOffset..]);
        uint nBackfill = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[NBackfillOffset..]) : BinaryPrimitives.ReadUInt32BigEndian(bytes[NBackfillOffset..]);
        return mxFrame == nBackfill;
    }
}
