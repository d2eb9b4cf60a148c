using SqliteBackup.Core.Snapshot;
namespace SqliteBackup.Core.Tests;

public class SqliteFilesTests
{
    [Fact]
    public void A_wal_shm_or_journal_file_beside_its_database_is_a_sidecar_and_nothing_else_is()
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        foreach (var suffix in new[] { "-wal", "-shm", "-journal" })
        {
            File.WriteAllText(t["app.db" + suffix], "");
            Assert.True(SqliteFiles.IsSidecar(t["app.db" + suffix]), suffix);
        }
        // A database whose own name ends like a sidecar, with nothing of that stem beside it, is a database.
        File.WriteAllText(t["my-journal"], "");
        Assert.False(SqliteFiles.IsSidecar(t["my-journal"]));
        Assert.False(SqliteFiles.IsSidecar(t["app.db"]));
        Assert.False(SqliteFiles.IsSidecar(t["app.db-WAL"]));
    }
}
