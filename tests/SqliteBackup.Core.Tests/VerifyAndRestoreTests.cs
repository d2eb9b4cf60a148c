using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests;

public class VerifyAndRestoreTests
{
    static BackupInfo MakeBackup(TempDir t, CompressionKind c = CompressionKind.Zstd)
    {
        if (!File.Exists(t["app.db"])) SampleDatabase.Create(t["app.db"]);
        return new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Compression = c });
    }

    [Fact]
    public void Full_verification_passes_and_is_recorded_in_the_manifest()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        var r = new BackupVerifier().Verify(b, VerificationLevel.Full, "SELECT count(*) = 100 FROM employees");
        Assert.True(r.Passed, r.Message);
        Assert.Equal(["FilePresent", "Size", "Sha256", "Decompress", "QuickCheck", "IntegrityCheck", "ForeignKeyCheck", "RowCounts", "Query"], r.Checks.Select(c => c.Name));
        var onDisk = new BackupCatalog().Open(b.Path);
        Assert.Equal(2, onDisk.Manifest.Verifications.Count);
        Assert.Equal(VerificationLevel.Full, onDisk.Manifest.Verifications[^1].Level);
        Assert.True(onDisk.Verified);
    }

    [Fact]
    public void A_user_query_that_returns_false_fails_full_verification()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        var r = new BackupVerifier().Verify(b, VerificationLevel.Full, "SELECT count(*) > 1000 FROM employees");
        Assert.False(r.Passed);
        Assert.Equal("Query", r.Checks[^1].Name);
        Assert.False(new BackupCatalog().Open(b.Path).Verified);
    }

    [Theory]
    [InlineData(VerificationLevel.Quick)]
    [InlineData(VerificationLevel.Standard)]
    public void Tampering_with_one_byte_is_caught_at_every_level(VerificationLevel level)
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        var bytes = File.ReadAllBytes(b.Path);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(b.Path, bytes);
        var r = new BackupVerifier().Verify(b, level);
        Assert.False(r.Passed);
        Assert.Equal("Sha256", r.Checks[^1].Name);
    }

    [Fact]
    public void A_missing_backup_file_fails_quick_verification()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        File.Delete(b.Path);
        var r = new BackupVerifier().Verify(b, VerificationLevel.Quick);
        Assert.False(r.Passed);
        Assert.Equal("FilePresent", r.Checks.Single().Name);
    }

    [Fact]
    public void A_manifest_whose_row_counts_disagree_fails_full_verification()
    {
        var (ok, message) = BackupVerifier.CompareRowCounts(
            new Dictionary<string, long> { ["a"] = 1, ["b"] = 2 }, new Dictionary<string, long> { ["a"] = 1, ["b"] = 3 });
        Assert.False(ok);
        Assert.Contains("b: manifest 2, backup 3", message);
    }

    [Fact]
    public void Restore_to_a_new_path_renames_into_place()
    {
        using var t = new TempDir();
        var b = MakeBackup(t, CompressionKind.Gzip);
        var r = new Restorer().Restore(b, new RestoreRequest(t["new/restored.db"].Replace("new/", "")));
        Assert.Equal(RestoreMethod.Rename, r.Method);
        Assert.Null(r.PreRestoreBackup);
        Assert.Equal(100, Db.Count(t["restored.db"], "employees"));
        Assert.Empty(Directory.GetFiles(t.Path, ".sqlitebackup-*"));
    }

    [Fact]
    public void Restore_onto_an_existing_database_needs_force_and_takes_a_PreRestore_backup()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        Db.Exec(t["app.db"], "DELETE FROM assignments; DELETE FROM employees WHERE id > 10;");

        var refused = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(b, new RestoreRequest(t["app.db"])));
        Assert.Equal("RestoreTargetExists", refused.ErrorId);
        Assert.Equal(10, Db.Count(t["app.db"], "employees"));

        var r = new Restorer().Restore(b, new RestoreRequest(t["app.db"]) { Force = true });
        Assert.Equal(100, Db.Count(t["app.db"], "employees"));
        Assert.NotNull(r.PreRestoreBackup);
        Assert.Equal(BackupType.PreRestore, r.PreRestoreBackup!.Type);
        Assert.Equal(10, r.PreRestoreBackup.Manifest.TableRowCounts["employees"]);
        Assert.Equal(2, new BackupCatalog().List(t["backups"]).Count);
    }

    [Fact]
    public void Restore_into_a_live_database_is_seen_by_its_open_connection_and_leaves_it_sound()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        using var app = Db.Open(t["app.db"]);
        SqliteFiles.Exec(app, "DELETE FROM assignments; DELETE FROM employees;");
        Assert.Equal(0L, SqliteFiles.Scalar(app, "SELECT count(*) FROM employees"));

        var r = new Restorer().Restore(b, new RestoreRequest(t["app.db"]) { Force = true });

        Assert.Equal(RestoreMethod.BackupApi, r.Method);
        Assert.Equal(100L, SqliteFiles.Scalar(app, "SELECT count(*) FROM employees"));
        Assert.Equal("ok", SqliteFiles.Scalar(app, "PRAGMA integrity_check"));
    }

    [Fact]
    public void Restore_of_a_backup_whose_checksum_fails_touches_nothing()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        File.AppendAllText(b.Path, "junk");
        string before = Db.Sha(t["app.db"]);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(b, new RestoreRequest(t["app.db"]) { Force = true }));
        Assert.Equal("BackupChecksumMismatch", e.ErrorId);
        Assert.Equal(BackupErrorCategory.InvalidData, e.Category);
        Assert.Equal(before, Db.Sha(t["app.db"]));
        Assert.Single(new BackupCatalog().List(t["backups"]));
        Assert.Empty(Directory.GetFiles(t.Path, ".sqlitebackup-*"));
    }

    [Fact]
    public void Restore_onto_a_directory_is_refused()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        Directory.CreateDirectory(t["adir"]);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(b, new RestoreRequest(t["adir"]) { Force = true }));
        Assert.Equal("RestoreTargetIsDirectory", e.ErrorId);
        Assert.Equal(BackupErrorCategory.InvalidArgument, e.Category);
        Assert.Empty(Directory.GetFileSystemEntries(t["adir"]));
    }

    [Fact]
    public void Stale_WAL_beside_a_missing_target_is_not_replayed_into_the_restore()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        // Leave a real WAL of another database where the restore target will be.
        Db.CreatePaired(t["other.db"], wal: true);
        using (var o = Db.Open(t["other.db"]))
        {
            SqliteFiles.Exec(o, "PRAGMA wal_autocheckpoint=0; INSERT INTO a(v) VALUES (1);");
            File.Copy(t["other.db-wal"], t["target.db-wal"]);
        }
        new Restorer().Restore(b, new RestoreRequest(t["target.db"]));
        Assert.False(File.Exists(t["target.db-wal"]) && new FileInfo(t["target.db-wal"]).Length > 0);
        using var c = SqliteFiles.Open(t["target.db"], SqliteOpenMode.ReadOnly);
        Assert.Equal("ok", SqliteFiles.Scalar(c, "PRAGMA integrity_check"));
        Assert.Equal(100L, SqliteFiles.Scalar(c, "SELECT count(*) FROM employees"));
    }

    [Fact]
    public void A_damaged_target_is_kept_aside_not_lost()
    {
        using var t = new TempDir();
        var b = MakeBackup(t);
        File.WriteAllText(t["app.db"], "this database was overwritten by mistake");
        var r = new Restorer().Restore(b, new RestoreRequest(t["app.db"]) { Force = true });
        Assert.Equal(RestoreMethod.Rename, r.Method);
        Assert.Equal("this database was overwritten by mistake", File.ReadAllText(r.PreservedPath!));
        Assert.Equal(100, Db.Count(t["app.db"], "employees"));
    }
}
