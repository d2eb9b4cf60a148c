using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests;

public class BackupEngineTests
{
    static BackupInfo Backup(string db, string dest, CompressionKind c = CompressionKind.Zstd, VerificationLevel v = VerificationLevel.Standard) =>
        new BackupEngine().Create(new BackupRequest(db) { Destination = dest, Compression = c, Verify = v });

    [Fact]
    public void Manifest_describes_the_backup_relative_to_itself()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var b = Backup(t["app.db"], t["backups"]);

        var m = BackupCatalog.ReadManifest(b.ManifestPath, out var problem)!;
        Assert.Null(problem);
        Assert.Equal(System.IO.Path.GetFileName(b.Path), m.File);
        Assert.DoesNotContain("/", m.File);
        Assert.Equal("app", m.Database);
        Assert.Equal(BackupType.Manual, m.Type);
        Assert.Equal(new FileInfo(b.Path).Length, m.StoredSize);
        Assert.Equal(Db.Sha(b.Path), m.StoredSha256);
        Assert.Equal(100, m.TableRowCounts["employees"]);
        Assert.Equal(5, m.TableRowCounts["departments"]);
        Assert.Equal(3, m.UserVersion);
        Assert.Equal(4096, m.PageSize);
        Assert.Equal(m.RawSize, m.PageSize * m.PageCount);
        Assert.Equal("wal", m.JournalMode);
        Assert.Equal(SnapshotMethod.FileRead, m.SnapshotMethod);
        Assert.StartsWith("3.", m.SqliteVersion);
        var v = Assert.Single(m.Verifications);
        Assert.True(v.Passed);
        Assert.Equal(VerificationLevel.Standard, v.Level);
        Assert.True(m.StoredSize < m.RawSize);
    }

    [SkippableTheory]
    [InlineData(CompressionKind.Zstd, "zstd")]
    [InlineData(CompressionKind.Gzip, "gzip")]
    [InlineData(CompressionKind.None, "")]
    public void Standard_tools_decompress_and_sqlite3_reads_the_same_rows(CompressionKind kind, string tool)
    {
        Cli.Require("sqlite3");
        if (tool != "") Cli.Require(tool);
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        Db.Exec(t["app.db"], "INSERT INTO departments VALUES (99, 'Backups ''R'' Us', 1.5)");
        var b = Backup(t["app.db"], t["backups"], kind);
        string restored = t["restored.db"];
        switch (kind)
        {
            case CompressionKind.Zstd: Assert.Equal(0, Cli.Run("zstd", "-d", "-q", "-o", restored, b.Path).Code); break;
            case CompressionKind.Gzip: Assert.Equal(0, Cli.Run("sh", "-c", "gunzip -c \"$0\" > \"$1\"", b.Path, restored).Code); break;
            default: File.Copy(b.Path, restored); break;
        }

        const string Query = "SELECT count(*), sum(salary), (SELECT name FROM departments WHERE id = 99) FROM employees;";
        var expected = Cli.Run("sqlite3", t["app.db"], Query);
        var actual = Cli.Run("sqlite3", restored, Query);
        Assert.Equal(0, actual.Code);
        Assert.Equal(expected.Out, actual.Out);
        Assert.Contains("Backups 'R' Us", actual.Out);
        Assert.Equal("ok\n", Cli.Run("sqlite3", restored, "PRAGMA integrity_check;").Out);
    }

    [Fact]
    public void Committed_content_still_in_the_WAL_is_in_the_backup_and_the_source_is_untouched()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        using var app = Db.Open(t["app.db"]);
        SqliteFiles.Exec(app, "PRAGMA wal_autocheckpoint=0; INSERT INTO departments VALUES (42, 'Only in WAL', 0);");
        Assert.True(new FileInfo(t["app.db-wal"]).Length > 0);
        string dbSha = Db.Sha(t["app.db"]), walSha = Db.Sha(t["app.db-wal"]);

        var b = Backup(t["app.db"], t["backups"], CompressionKind.None);

        using var copy = SqliteFiles.Open(b.Path, SqliteOpenMode.ReadOnly);
        Assert.Equal("Only in WAL", SqliteFiles.Scalar(copy, "SELECT name FROM departments WHERE id = 42"));
        Assert.Equal(dbSha, Db.Sha(t["app.db"]));
        Assert.Equal(walSha, Db.Sha(t["app.db-wal"]));
    }

    [Fact]
    public void Backing_up_an_idle_database_leaves_no_side_files_and_no_change()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"], wal: false);
        string before = Db.Sha(t["app.db"]);
        Backup(t["app.db"], t["backups"]);
        Assert.Equal(before, Db.Sha(t["app.db"]));
        Assert.Equal(["app.db", "backups"], Directory.EnumerateFileSystemEntries(t.Path).Select(p => System.IO.Path.GetFileName(p)!).Order().ToArray());
        Assert.Equal(2, Directory.GetFiles(t["backups"]).Length);
    }

    [Fact]
    public void Two_backups_in_the_same_second_get_their_own_files()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var backups = Enumerable.Range(0, 4).Select(_ => Backup(t["app.db"], t["backups"], v: VerificationLevel.Quick)).ToList();
        Assert.Equal(4, backups.Select(b => b.Path).Distinct().Count());
        Assert.Equal(4, new BackupCatalog().List(t["backups"]).Count);
    }

    [Fact]
    public void Backups_and_created_directories_are_owner_only()
    {
        if (OperatingSystem.IsWindows()) return;
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var b = Backup(t["app.db"], t["nested/backups"]);
        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(rw, File.GetUnixFileMode(b.Path));
        Assert.Equal(rw, File.GetUnixFileMode(b.ManifestPath));
        Assert.Equal(rw | UnixFileMode.UserExecute, File.GetUnixFileMode(t["nested/backups"]));
        Assert.Equal(rw | UnixFileMode.UserExecute, File.GetUnixFileMode(t["nested"]));
    }

    [Fact]
    public void A_backup_directory_moved_elsewhere_still_lists_verifies_and_restores()
    {
        using var t = new TempDir();
        using var elsewhere = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        Backup(t["app.db"], t["backups"]);
        Directory.Move(t["backups"], elsewhere["moved"]);

        var b = Assert.Single(new BackupCatalog().List(elsewhere["moved"]));
        Assert.StartsWith(elsewhere.Path, b.Path);
        Assert.True(new BackupVerifier().Verify(b, VerificationLevel.Full).Passed);
        new Restorer().Restore(b, new RestoreRequest(elsewhere["restored.db"]));
        Assert.Equal(100, Db.Count(elsewhere["restored.db"], "employees"));
    }

    [SkippableTheory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void A_backup_taken_while_another_process_writes_is_consistent(bool wal, bool allowFileRead)
    {
        Cli.Require("sqlite3");
        using var t = new TempDir();
        // Big enough (about 5,000 pages in steps of 16) that the writer's commits certainly land during the copy.
        Db.CreatePaired(t["live.db"], wal, fillerRows: 20000);
        using var writer = new Writer(t["live.db"], paced: !wal);
        long before = Db.Count(t["live.db"], "a");

        var log = new ListLogger();
        var b = new BackupEngine(log).Create(new BackupRequest(t["live.db"])
        {
            Destination = t["backups"], Compression = CompressionKind.None, Verify = VerificationLevel.Full, PagesPerStep = 16, AllowFileRead = allowFileRead,
        });
        if (!wal) Assert.Contains(log.Messages, m => m.Contains("restarted the copy")); // the writer really interleaved with the copy

        Assert.True(writer.Running, "the writer must keep running through the backup: " + string.Join("\n", writer.Errors));
        Assert.Empty(writer.Errors);
        long a = Db.Count(b.Path, "a"), bb = Db.Count(b.Path, "b");
        Assert.Equal(a, bb);
        Assert.True(a >= before);
        Assert.Equal(a, b.Manifest.TableRowCounts["a"]);
        using var c = SqliteFiles.Open(b.Path, SqliteOpenMode.ReadOnly);
        Assert.Equal(0L, SqliteFiles.Scalar(c, "SELECT count(*) FROM a JOIN b USING (id) WHERE a.v <> b.v"));
        Thread.Sleep(200);
        Assert.True(Db.Count(t["live.db"], "a") > a, "the writer kept committing after the backup");
    }

    [Fact]
    public void Stale_temporaries_are_cleaned_by_the_next_backup_and_orphans_are_invisible_but_kept()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        Directory.CreateDirectory(t["backups"]);
        string deadTemp = t["backups/.sqlitebackup-999999-0123456789abcdef.tmp"];
        string orphan = t["backups/app_20200101-000000_manual_deadbeef.db.zst"];
        string userFile = t["backups/notes.txt"];
        File.WriteAllText(deadTemp, "partial");
        File.WriteAllText(orphan, "no manifest");
        File.WriteAllText(userFile, "mine");
        File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddDays(-2));
        Assert.Empty(new BackupCatalog().List(t["backups"]));

        Backup(t["app.db"], t["backups"]);

        Assert.False(File.Exists(deadTemp));
        Assert.True(File.Exists(orphan)); // a backup-named file is never deleted by cleanup (see Trust/StaleFileTests)
        Assert.True(File.Exists(userFile));
        Assert.Single(new BackupCatalog().List(t["backups"]));
    }

    [Fact]
    public void Progress_is_reported_from_start_to_completion()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["big.db"], wal: true, fillerRows: 3000);
        var reports = new List<BackupProgress>();
        new BackupEngine().Create(new BackupRequest(t["big.db"]) { Destination = t["backups"], PagesPerStep = 64, AllowFileRead = false }, reports.Add);
        var copying = reports.Where(r => r.Status.StartsWith("Copying pages")).Select(r => r.PercentComplete).ToList();
        Assert.True(copying.Count > 5, $"only {copying.Count} copy reports");
        Assert.Equal(copying.Order(), copying);
        Assert.Equal(100, copying[^1]);
        Assert.True(reports[^1].Completed);
    }
}
