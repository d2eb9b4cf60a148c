using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace SqliteBackup.Core.Snapshot;

/// <summary>
/// SQLite answers "read-only" or "cannot open" for causes that need different fixes; these tell the ones apart that a
/// user can act on. Called only after every connection to the file is closed, so reading its header here cannot drop
/// a lock SQLite holds (ARCHITECTURE.md, semantics 1).
/// </summary>
internal static class SqliteFailureCauses
{
    const int SqliteReadOnlyRollback = 8 | (3 << 8); // SQLITE_READONLY_ROLLBACK: a hot journal that a read-only connection cannot roll back
    const int SqliteCantOpen = 14;
    const int SqliteReadOnly = 8;
    const int WriteOk = 2; // W_OK

    /// <summary>The database has a hot journal and the connection that met it could not roll it back.</summary>
    public static bool IsHotJournal(SqliteException e) => e.SqliteExtendedErrorCode == SqliteReadOnlyRollback;

    /// <summary>
    /// A WAL database whose -shm is missing, in a directory this process cannot create files in (a read-only file
    /// system, or no write permission): SQLite needs to create the -shm even to read, so it reports "cannot open".
    /// </summary>
    public static bool IsUnreadableWal(string database, SqliteException e)
    {
        if (e.SqliteErrorCode is not (SqliteCantOpen or SqliteReadOnly)) return false;
        try
        {
            if (File.Exists(database + "-shm") || !IsWalMode(database)) return false;
            string dir = Path.GetDirectoryName(Path.GetFullPath(database))!;
            return !OperatingSystem.IsWindows() && access(dir, WriteOk) != 0;
        }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Bytes 18 and 19 of the header (file format write and read versions) are 2 for a WAL database.</summary>
    static bool IsWalMode(string database)
    {
        using var fs = new FileStream(database, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[20];
        return fs.ReadAtLeast(header, 20, throwOnEndOfStream: false) == 20 && header[18] == 2 && header[19] == 2;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
