using System.Buffers.Binary;

namespace SqliteBackup.Core;

/// <summary>
/// Reads the WAL-index header that SQLite keeps in '&lt;db&gt;-shm' (documented in SQLite's file format, "The WAL-Index
/// Format"). We only need one fact from it: whether every frame in the WAL has been copied back into the database file
/// (mxFrame == nBackfill). A reader that began its transaction in that state sees exactly the database file, and no
/// checkpoint can write to the file while that reader holds its transaction, so the file bytes are then the snapshot.
/// </summary>
internal static class WalIndex
{
    const int HeaderSize = 48;            // WalIndexHdr; stored twice so readers can detect a torn read
    const int MxFrameOffset = 16;         // u32 mxFrame inside WalIndexHdr
    const int IsInitOffset = 12;          // u8 isInit
    const int NBackfillOffset = 2 * HeaderSize; // u32 nBackfill, first field of WalCkptInfo

    public static bool IsFullyBackfilled(string databasePath)
    {
        string shm = databasePath + "-shm";
        Span<byte> bytes = stackalloc byte[NBackfillOffset + 4];
        try
        {
            using var fs = new FileStream(shm, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (fs.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length) return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }

        var first = bytes[..HeaderSize];
        var second = bytes.Slice(HeaderSize, HeaderSize);
        if (!first.SequenceEqual(second) || first[IsInitOffset] == 0) return false;
        // The wal-index is in the machine's native byte order.
        uint mxFrame = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(first[MxFrameOffset..]) : BinaryPrimitives.ReadUInt32BigEndian(first[MxFrameOffset..]);
        uint nBackfill = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[NBackfillOffset..]) : BinaryPrimitives.ReadUInt32BigEndian(bytes[NBackfillOffset..]);
        return mxFrame == nBackfill;
    }
}
