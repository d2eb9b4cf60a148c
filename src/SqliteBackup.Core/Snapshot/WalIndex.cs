using System.Buffers.Binary;

namespace SqliteBackup.Core.Snapshot;

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
    const int SaltOffset = 32;                         // u32 aSalt[2] inside WalIndexHdr: new on every WAL restart
    const int NBackfillAttemptedOffset = NBackfillOffset + 4 + 5 * 4 + 8; // after aReadMark[5] and aLock[8]

    /// <summary>What a checkpoint changes before it writes to the database file: nBackfillAttempted (and then nBackfill).</summary>
    internal readonly record struct Checkpoints(ulong Salts, uint NBackfill, uint NBackfillAttempted)
    {
        /// <summary>
        /// Whether a checkpoint began between two readings. A writer may restart the WAL meanwhile (new salts, counters
        /// back to 0) without touching the database file: a reader on read-lock 0 allows that. After a restart, a
        /// checkpoint that wrote shows as a counter above 0; with the same salts, as a counter that moved.
        /// </summary>
        public static bool CheckpointedBetween(Checkpoints before, Checkpoints after) => before.Salts == after.Salts
            ? before.NBackfillAttempted != after.NBackfillAttempted || before.NBackfill != after.NBackfill
            : after.NBackfillAttempted != 0 || after.NBackfill != 0;
    }

    /// <summary>The checkpoint state now, or null when the wal-index cannot be read consistently.</summary>
    public static Checkpoints? CheckpointState(SqliteOwnFile database)
    {
        Span<byte> bytes = stackalloc byte[NBackfillAttemptedOffset + 4];
        if (!database.TryCopyWalIndex(bytes) || !bytes[..HeaderSize].SequenceEqual(bytes.Slice(HeaderSize, HeaderSize))) return null;
        return new Checkpoints(Native64(bytes[SaltOffset..]), Native32(bytes[NBackfillOffset..]), Native32(bytes[NBackfillAttemptedOffset..]));
    }

    static uint Native32(ReadOnlySpan<byte> b) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
    static ulong Native64(ReadOnlySpan<byte> b) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b);

    /// <summary>
    /// Where the WAL ends now (its salts and last frame), or null when the wal-index cannot be read consistently: it moves
    /// with every commit, so two different readings mean a writer committed in between.
    /// </summary>
    public static (ulong Salts, uint MxFrame)? WriteMark(SqliteOwnFile database)
    {
        Span<byte> bytes = stackalloc byte[HeaderSize * 2];
        if (!database.TryCopyWalIndex(bytes) || !bytes[..HeaderSize].SequenceEqual(bytes.Slice(HeaderSize, HeaderSize))) return null;
        return (Native64(bytes[SaltOffset..]), Native32(bytes[MxFrameOffset..]));
    }

    /// <summary>
    /// Asked from time to time: whether the application is busy with its WAL within the last <paramref name="window"/>:
    /// a commit (the WAL's end moved), or a checkpoint that began, progressed or is still running. A checkpoint of a
    /// thousand frames on a busy disk can take longer than the window, and it is the very moment a backup waits for:
    /// taking its silence for an idle application sent backups beside a committing writer to the backup API (seen on a
    /// loaded machine). Not thread-safe: one caller.
    /// </summary>
    public static Func<bool> WriterWatch(SqliteOwnFile database, TimeSpan window)
    {
        var last = WriteMark(database);
        var lastCheckpoint = CheckpointState(database);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? movedAt = null;
        return () =>
        {
            var now = WriteMark(database);
            var checkpoint = CheckpointState(database);
            if (now != last || checkpoint != lastCheckpoint || IsCheckpointRunning(checkpoint))
            {
                last = now;
                lastCheckpoint = checkpoint;
                movedAt = clock.Elapsed;
            }
            return movedAt is { } at && clock.Elapsed - at <= window;
        };
    }

    /// <summary>
    /// A checkpoint records how far it means to copy (nBackfillAttempted) before it copies, and how far it got (nBackfill)
    /// after. A checkpointer killed midway leaves them apart until the next checkpoint: callers bound their wait anyway.
    /// </summary>
    static bool IsCheckpointRunning(Checkpoints? state) => state is { } s && s.NBackfillAttempted > s.NBackfill;

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
        return Native32(first[MxFrameOffset..]) == Native32(bytes[NBackfillOffset..]);
    }
}
