using System.Text;
using Microsoft.Data.Sqlite;

namespace SqliteBackup.Core.Snapshot;

/// <summary>Opening SQLite files the way a backup tool must: no pooling (files are renamed and deleted under us), explicit modes.</summary>
public static class SqliteFiles
{
    static readonly byte[] Magic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    public static SqliteConnection Open(string path, SqliteOpenMode mode, TimeSpan? busyTimeout = null)
    {
        var csb = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling((busyTimeout ?? TimeSpan.FromSeconds(30)).TotalSeconds),
        };
        var c = new SqliteConnection(csb.ToString());
        c.Open();
        return c;
    }

    /// <summary>
    /// A database file either is empty (SQLite treats that as a new database) or starts with the magic header.
    /// Encrypted databases look like random bytes here, which is why they are rejected up front.
    /// </summary>
    public static bool HasSqliteHeader(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (fs.Length == 0) return true;
        Span<byte> header = stackalloc byte[16];
        return fs.ReadAtLeast(header, 16, throwOnEndOfStream: false) == 16 && header.SequenceEqual(Magic);
    }

    /// <summary>The same test through the descriptor SQLite opened, for a file SQLite may hold locks on.</summary>
    internal static bool HasSqliteHeader(SqliteOwnFile file)
    {
        long length = file.Length();
        if (length == 0) return true;
        if (length < Magic.Length) return false;
        Span<byte> header = stackalloc byte[16];
        file.ReadExactly(header, 0);
        return header.SequenceEqual(Magic);
    }

    public static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    public static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public static List<string> Column(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.IsDBNull(0) ? "" : Convert.ToString(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return list;
    }

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>Ordinary tables and their row counts (virtual tables are skipped: their module may be absent where the backup is checked).</summary>
    public static Dictionary<string, long> RowCounts(SqliteConnection c)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var tables = Column(c, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name");
        foreach (var t in tables)
            counts[t] = Convert.ToInt64(Scalar(c, $"SELECT count(*) FROM {QuoteIdentifier(t)}"));
        return counts;
    }

    static readonly string[] SidecarSuffixes = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// The write-ahead log, shared-memory index or rollback journal of a database beside it: part of that database, never
    /// a database to back up on its own (a folder listing or a wildcard such as ./data/* brings them along).
    /// </summary>
    public static bool IsSidecar(string path)
    {
        foreach (var suffix in SidecarSuffixes)
            if (path.EndsWith(suffix, StringComparison.Ordinal) && path.Length > suffix.Length && File.Exists(path[..^suffix.Length])) return true;
        return false;
    }

    public static bool IsBusy(SqliteException e) => e.SqliteErrorCode is 5 or 6; // SQLITE_BUSY, SQLITE_LOCKED
    public static bool IsCorrupt(SqliteException e) => e.SqliteErrorCode is 11 or 26; // SQLITE_CORRUPT, SQLITE_NOTADB
}
