using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests;

/// <summary>
/// The file-read snapshot is only taken when it is provably the same image the backup API would copy;
/// these tests pin down when each method is used and that writes and checkpoints cannot reach the file-read image.
/// </summary>
public class SnapshotMethodTests
{
    [Fact]
    public void A_checkpointed_WAL_database_is_read_as_a_file_and_restores_identically_to_the_backup_API()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var fileRead = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["a"], Compression = CompressionKind.None });
        var api = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"], Compression = CompressionKind.None, AllowFileRead = false });
        Assert.Equal(SnapshotMethod.FileRead, fileRead.Manifest.SnapshotMethod);
        Assert.Equal(SnapshotMethod.BackupApi, api.Manifest.SnapshotMethod);
        Assert.Equal(api.Manifest.TableRowCounts, fileRead.Manifest.TableRowCounts);
        Assert.Equal(api.Manifest.PageCount, fileRead.Manifest.PageCount);
        Assert.True(new BackupVerifier().Verify(fileRead, VerificationLevel.Full).Passed);
        using var c = SqliteFiles.Open(fileRead.Path, SqliteOpenMode.ReadOnly);
        Assert.Equal("ok", SqliteFiles.Scalar(c, "PRAGMA integrity_check"));
    }

    [Fact]
    public void Frames_not_yet_checkpointed_send_the_copy_through_the_backup_API()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        using var app = Db.Open(t["app.db"]);
        SqliteFiles.Exec(app, "PRAGMA wal_autocheckpoint=0; INSERT INTO departments VALUES (50, 'In the WAL', 0);");
        var b = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"] });
        Assert.Equal(SnapshotMethod.BackupApi, b.Manifest.SnapshotMethod);
        Assert.Equal(6, b.Manifest.TableRowCounts["departments"]);
    }

    [Fact]
    public void A_database_an_application_keeps_committing_to_is_read_as_a_file_between_its_checkpoints()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        using var writer = new Writer(t["live.db"], paced: true);
        // A writer starved of CPU for a tenth of a second looks idle, and then the backup API is the right choice: on a
        // loaded test machine that can happen once, not three times in a row.
        var tries = Enumerable.Range(0, 3).Select(_ => new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["b"], Verify = VerificationLevel.Full }));
        var b = tries.FirstOrDefault(x => x.Manifest.SnapshotMethod == SnapshotMethod.FileRead);
        Assert.True(b != null, "three backups beside a committing writer all went through the backup API");
        // Each of the writer's transactions adds one row to both tables: a consistent snapshot has as many in each.
        Assert.Equal(b!.Manifest.TableRowCounts["a"], b.Manifest.TableRowCounts["b"]);
        Assert.True(new BackupVerifier().Verify(b, VerificationLevel.Full).Passed);
    }

    [Fact]
    public void A_rollback_journal_database_goes_through_the_backup_API()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"], wal: false);
        var b = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"] });
        Assert.Equal(SnapshotMethod.BackupApi, b.Manifest.SnapshotMethod);
        Assert.Equal("delete", b.Manifest.JournalMode);
    }

    [Fact]
    public void Commits_and_checkpoints_during_a_file_read_snapshot_do_not_reach_it()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        Db.Exec(t["live.db"], "INSERT INTO a(v) VALUES (1); INSERT INTO b(v) VALUES (1);");
        using var other = Db.Open(t["live.db"]);
        string? checkpoint = null;
        var b = new BackupEngine().Create(new BackupRequest(t["live.db"])
        {
            Destination = t["b"],
            OnFileReadPinned = () =>
            {
                // Another connection commits, rewrites filler pages, then tries to push all of it into the database file.
                SqliteFiles.Exec(other, "BEGIN; INSERT INTO a(v) SELECT v FROM a; INSERT INTO b(v) SELECT v FROM b; UPDATE filler SET pad = zeroblob(1000); COMMIT;");
                using var cmd = other.CreateCommand();
                cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                using var r = cmd.ExecuteReader();
                r.Read();
                checkpoint = $"busy={r.GetInt64(0)} log={r.GetInt64(1)} checkpointed={r.GetInt64(2)}";
            },
        });
        Assert.Equal(SnapshotMethod.FileRead, b.Manifest.SnapshotMethod);
        Assert.NotNull(checkpoint);
        Assert.Contains("checkpointed=0", checkpoint); // our read transaction held the checkpoint back
        Assert.Equal(1, b.Manifest.TableRowCounts["a"]);
        Assert.True(new BackupVerifier().Verify(b, VerificationLevel.Full).Passed);
        string restored = t["restored.db"];
        new Restorer().Restore(b, new RestoreRequest(restored));
        using var c = SqliteFiles.Open(restored, SqliteOpenMode.ReadOnly);
        Assert.Equal(1L, SqliteFiles.Scalar(c, "SELECT count(*) FROM a"));
        Assert.Equal(0L, SqliteFiles.Scalar(c, "SELECT count(*) FROM filler WHERE pad = zeroblob(1000)"));
        Assert.Equal(2L, SqliteFiles.Scalar(other, "SELECT count(*) FROM a"));
    }
}
