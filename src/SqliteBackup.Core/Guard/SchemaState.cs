using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.Core.Guard;

/// <summary>
/// What a migration is expected to change: PRAGMA user_version (which migration tools bump) and a SHA-256 of the schema
/// text in sqlite_schema (which catches migrations that do not). Row data is not part of it.
/// </summary>
public sealed record SchemaState(long UserVersion, string SchemaHash)
{
    public static SchemaState Read(string database, TimeSpan? busyTimeout = null)
    {
        using var c = SqliteFiles.Open(database, SqliteOpenMode.ReadOnly, busyTimeout);
        long version = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA user_version"));
        var text = new StringBuilder();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                text.Append(r.GetString(0)).Append('\0').Append(r.GetString(1)).Append('\0').Append(r.GetString(2)).Append('\0').Append(r.GetString(3)).Append('\n');
        }
        return new SchemaState(version, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant());
    }

    public override string ToString() => $"user_version {UserVersion}, schema {SchemaHash[..12]}";
}
