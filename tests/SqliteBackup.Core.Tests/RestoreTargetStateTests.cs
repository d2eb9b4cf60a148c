using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.Core.Tests;

/// <summary>What a restore does with the database it replaces: its journal mode and page size, and its PreRestore backup.</summary>
public class RestoreTargetStateTests
{
    static BackupInfo MakeBackup(TempDir t)
    {
        SampleDatabase.Create(t["app.db"]);
        return new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
    }

    static void CreateWal(string path, int pageSize)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        SqliteFiles.Exec(c, $"PRAGMA page_size={pageSize}; PRAGMA journal_mode=WAL; CREATE TABLE other (x); INSERT INTO other VALUES (1);");
    }

    [Fact]
    public void A_WAL_target_with_another_page_size_is_replaced_and_stays_WAL()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        CreateWal(t["wal.db"], 8192);
        var r = new Restorer().Restore(b, new RestoreRequest(t["wal.db"]) { Force = true });
        Assert.Equal(RestoreMethod.BackupApi, r.Method);
        using var c = SqliteFiles.Open(t["wal.db"], SqliteOpenMode.ReadOnly);
        Assert.Equal(100L, SqliteFiles.Scalar(c, "SELECT count(*) FROM employees"));
        Assert.Equal("wal", SqliteFiles.Scalar(c, "PRAGMA journal_mode"));
        Assert.Equal(b.Manifest.PageSize, Convert.ToInt32(SqliteFiles.Scalar(c, "PRAGMA page_size")));
        Assert.Equal(1L, r.PreRestoreBackup!.Manifest.TableRowCounts["other"]);
    }

    [Fact]
    public void A_WAL_target_with_another_page_size_held_open_is_refused_before_any_PreRestore_backup()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        CreateWal(t["wal.db"], 8192);
        using var holder = new SqliteConnection($"Data Source={t["wal.db"]};Pooling=False");
        holder.Open();
        SqliteFiles.Scalar(holder, "SELECT count(*) FROM other");
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(b, new RestoreRequest(t["wal.db"]) { Force = true, BusyTimeout = TimeSpan.FromMilliseconds(200) }));
        Assert.Equal("RestoreWalPageSizeMismatch", e.ErrorId);
        Assert.Single(new BackupCatalog().List(t["backups"]));
        Assert.Equal("wal", SqliteFiles.Scalar(holder, "PRAGMA journal_mode"));
    }

    [Fact]
    public void No_PreRestore_backup_when_asked_and_a_chosen_folder_when_given()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        var r = new Restorer().Restore(b, new RestoreRequest(t["app.db"]) { Force = true, NoPreRestoreBackup = true });
        Assert.Null(r.PreRestoreBackup);
        Assert.Single(new BackupCatalog().List(t["backups"]));
        r = new Restorer().Restore(b, new RestoreRequest(t["app.db"]) { Force = true, PreRestoreDirectory = t["pre"] });
        Assert.Equal(t["pre"], r.PreRestoreBackup!.Directory);
    }
}
