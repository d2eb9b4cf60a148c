using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace SqliteBackup.Core.Snapshot;

/// <summary>
/// The database file and its wal-index as SQLite itself opened them, reached through the connection's sqlite3_file
/// (SQLITE_FCNTL_FILE_POINTER) and its I/O methods. On POSIX, closing ANY descriptor of a file drops every fcntl lock
/// the process holds on it; a FileStream of our own on the database or its -shm, opened and closed while our read
/// transaction holds SQLite's locks, silently released the read mark and let another process's checkpoint rewrite the
/// file under the copy. Reading through SQLite's own handle opens and closes nothing.
/// </summary>
internal sealed unsafe class SqliteOwnFile
{
    const int FcntlFilePointer = 7;       // SQLITE_FCNTL_FILE_POINTER
    const int ShmRegionSize = 32768;      // WALINDEX_PGSZ
    const int SqliteOk = 0, SqliteReadOnly = 8, SqliteIoErrShortRead = 522;

    // Slots of struct sqlite3_io_methods after its leading int iVersion (padded to pointer size).
    const int SlotRead = 1, SlotFileSize = 5, SlotShmMap = 12;

    [DllImport("e_sqlite3", EntryPoint = "sqlite3_file_control", CallingConvention = CallingConvention.Cdecl)]
    static extern int FileControl(IntPtr db, byte* dbName, int op, void* arg);

    readonly SqliteConnection _connection; // keeps the sqlite3_file alive as long as we are
    readonly IntPtr _file;
    readonly IntPtr* _methods;

    SqliteOwnFile(SqliteConnection connection, IntPtr file)
    {
        _connection = connection;
        _file = file;
        _methods = *(IntPtr**)file;
    }

    /// <summary>The main database file of an open connection, or null when the native library does not offer it.</summary>
    public static SqliteOwnFile? Of(SqliteConnection connection)
    {
        IntPtr file = IntPtr.Zero;
        try
        {
            ReadOnlySpan<byte> main = "main\0"u8;
            int rc;
            fixed (byte* name = main) rc = FileControl(connection.Handle!.DangerousGetHandle(), name, FcntlFilePointer, &file);
            if (rc != SqliteOk || file == IntPtr.Zero || *(IntPtr*)file == IntPtr.Zero) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        return new SqliteOwnFile(connection, file);
    }

    int Version => *(int*)_methods;
    IntPtr Slot(int index) => _methods[1 + index];

    /// <summary>Size of the database file through SQLite's descriptor (fstat).</summary>
    public long Length()
    {
        long size;
        var xFileSize = (delegate* unmanaged[Cdecl]<IntPtr, long*, int>)Slot(SlotFileSize);
        int rc = xFileSize(_file, &size);
        if (rc != SqliteOk) throw new IOException($"SQLite could not stat the database file (error {rc}).");
        return size;
    }

    /// <summary>Reads exactly buffer.Length bytes at offset; the file must be that long (SQLite zero-fills short reads).</summary>
    public void ReadExactly(Span<byte> buffer, long offset)
    {
        var xRead = (delegate* unmanaged[Cdecl]<IntPtr, void*, int, long, int>)Slot(SlotRead);
        int rc;
        fixed (byte* p = buffer) rc = xRead(_file, p, buffer.Length, offset);
        if (rc == SqliteIoErrShortRead) throw new IOException($"The database file ended before offset {offset + buffer.Length}.");
        if (rc != SqliteOk) throw new IOException($"SQLite could not read the database file at offset {offset} (error {rc}).");
    }

    /// <summary>
    /// Copies the first bytes of the wal-index (SQLite's shared memory for this database) from SQLite's own mapping.
    /// False when there is none mapped (not WAL, or heap-memory mode).
    /// </summary>
    public bool TryCopyWalIndex(Span<byte> destination)
    {
        if (Version < 2 || destination.Length > ShmRegionSize) return false;
        var xShmMap = (delegate* unmanaged[Cdecl]<IntPtr, int, int, int, void**, int>)Slot(SlotShmMap);
        if (xShmMap == null) return false;
        void* region = null;
        int rc = xShmMap(_file, 0, ShmRegionSize, 0, &region); // bExtend = 0: map what exists, never create
        if ((rc != SqliteOk && rc != SqliteReadOnly) || region == null) return false;
        new ReadOnlySpan<byte>(region, destination.Length).CopyTo(destination);
        return true;
    }

    public override string ToString() => $"sqlite3_file of {_connection.DataSource}";
}
