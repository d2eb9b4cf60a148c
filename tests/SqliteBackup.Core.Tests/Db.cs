using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.Core.Tests;

/// <summary>Small helpers for building and reading real SQLite files in tests.</summary>
public static class Db
{
    public static SqliteConnection Open(string path) => SqliteFiles.Open(path, SqliteOpenMode.ReadWriteCreate);

    public static void Exec(string path, string sql)
    {
        using var c = Open(path);
        SqliteFiles.Exec(c, sql);
    }

    public static long Count(string path, string table)
    {
        using var c = SqliteFiles.Open(path, SqliteOpenMode.ReadOnly);
        return Convert.ToInt64(SqliteFiles.Scalar(c, $"SELECT count(*) FROM {table}"));
    }

    /// <summary>A database with two tables that every transaction writes together, so a torn snapshot shows as unequal counts.</summary>
    public static void CreatePaired(string path, bool wal, int fillerRows = 0)
    {
        using var c = Open(path);
        SqliteFiles.Exec(c, (wal ? "PRAGMA journal_mode=WAL;" : "PRAGMA journal_mode=DELETE;") +
            "CREATE TABLE a (id INTEGER PRIMARY KEY, v INTEGER NOT NULL); CREATE TABLE b (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);" +
            "CREATE TABLE filler (id INTEGER PRIMARY KEY, pad BLOB NOT NULL);");
        if (fillerRows > 0)
            SqliteFiles.Exec(c, $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {fillerRows}) INSERT INTO filler SELECT i, randomblob(1000) FROM n;");
    }

    public static string Sha(string path) => HashingStream.HashFile(path, out _);
}
