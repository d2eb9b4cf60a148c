using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;

namespace SqliteBackup.Core.Tests;

/// <summary>Bad input: each a stable ErrorId and category, and nothing left behind.</summary>
public class BackupErrorTests
{
    static SqliteBackupException Fails(BackupRequest request) =>
        Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(request));

    static void AssertNothingLeft(string dir)
    {
        if (!Directory.Exists(dir)) return;
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void Missing_database()
    {
        using var t = new TempDir();
        var e = Fails(new BackupRequest(t["nope.db"]));
        Assert.Equal("DatabaseNotFound", e.ErrorId);
        Assert.Equal(BackupErrorCategory.ObjectNotFound, e.Category);
        Assert.False(Directory.Exists(t["backups"]));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("random")]
    public void A_file_that_is_not_SQLite_or_is_encrypted(string kind)
    {
        using var t = new TempDir();
        var bytes = kind == "text" ? "hello, I am a text file\n"u8.ToArray() : new byte[8192];
        if (kind == "random") new Random(1).NextBytes(bytes); // what an encrypted database looks like
        File.WriteAllBytes(t["x.db"], bytes);
        var e = Fails(new BackupRequest(t["x.db"]) { Destination = t["b"] });
        Assert.Equal("NotASqliteDatabase", e.ErrorId);
        Assert.Equal(BackupErrorCategory.InvalidData, e.Category);
        Assert.Contains("encrypted", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(t["x.db"]));
    }

    [Fact]
    public void A_corrupt_database_gives_no_backup()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"], wal: false);
        var bytes = File.ReadAllBytes(t["app.db"]);
        // Damage every page after the schema page, keeping the header intact.
        for (int i = 4096 + 16; i < bytes.Length; i += 7) bytes[i] ^= 0x5a;
        File.WriteAllBytes(t["app.db"], bytes);
        var e = Fails(new BackupRequest(t["app.db"]) { Destination = t["b"] });
        Assert.Equal("DatabaseCorrupt", e.ErrorId);
        AssertNothingLeft(t["b"]);
    }

    [Fact]
    public void Destination_below_a_file_is_not_writable()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["afile"], "x");
        var e = Fails(new BackupRequest(t["app.db"]) { Destination = t["afile/backups"] });
        Assert.Equal("DestinationNotWritable", e.ErrorId);
        Assert.Equal(BackupErrorCategory.PermissionDenied, e.Category);
    }

    [SkippableFact]
    public void Read_only_destination_is_not_writable_even_for_root()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        using var ro = new TmpfsMount(t["ro"], "ro,size=1m");
        Assert.True(ro.Mounted, ro.MountError);
        var e = Fails(new BackupRequest(t["app.db"]) { Destination = ro.Path });
        Assert.Equal("DestinationNotWritable", e.ErrorId);
    }

    [SkippableFact]
    public void Disk_full_during_the_write_leaves_earlier_backups_and_no_partial_file()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        Db.CreatePaired(t["small.db"], wal: true);
        Db.CreatePaired(t["big.db"], wal: true, fillerRows: 3000);
        using var disk = new TmpfsMount(t["disk"], "size=1200k");
        Assert.True(disk.Mounted, disk.MountError);
        var good = new BackupEngine().Create(new BackupRequest(t["small.db"]) { Destination = disk.Path });
        string goodSha = Db.Sha(good.Path);

        var e = Fails(new BackupRequest(t["big.db"]) { Destination = disk.Path, Compression = CompressionKind.None });

        Assert.Equal("DiskFull", e.ErrorId);
        Assert.Equal(BackupErrorCategory.ResourceUnavailable, e.Category);
        Assert.Equal(new[] { good.ManifestPath, good.Path }.Order(), Directory.GetFiles(disk.Path).Order());
        Assert.Equal(goodSha, Db.Sha(good.Path));
        Assert.Single(new BackupCatalog().List(disk.Path));
    }

    [SkippableFact]
    public void Database_locked_past_the_timeout()
    {
        Cli.Require("sqlite3");
        using var t = new TempDir();
        Db.CreatePaired(t["locked.db"], wal: false);
        // Another process holds an EXCLUSIVE lock, which in rollback-journal mode shuts out readers too.
        var psi = new ProcessStartInfo("sqlite3") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(t["locked.db"]);
        using var holder = Process.Start(psi)!;
        holder.StandardInput.WriteLine("BEGIN EXCLUSIVE; INSERT INTO a(v) VALUES (1); SELECT 'locked';");
        holder.StandardInput.Flush();
        Assert.Equal("locked", holder.StandardOutput.ReadLine());
        try
        {
            var sw = Stopwatch.StartNew();
            var e = Fails(new BackupRequest(t["locked.db"]) { Destination = t["b"], BusyTimeout = TimeSpan.FromSeconds(1) });
            Assert.Equal("DatabaseLocked", e.ErrorId);
            Assert.Equal(BackupErrorCategory.ResourceBusy, e.Category);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"gave up after {sw.Elapsed}");
            AssertNothingLeft(t["b"]);
        }
        finally
        {
            holder.StandardInput.WriteLine("ROLLBACK;");
            holder.StandardInput.Close();
            holder.WaitForExit(5000);
        }
        // Once the lock is gone the same backup succeeds.
        Assert.NotNull(new BackupEngine().Create(new BackupRequest(t["locked.db"]) { Destination = t["b"] }));
    }

    // ---- issue 8: bad input refused before anything is written, and errors that name the real cause --------------

    [Fact]
    public void An_empty_file_is_not_a_database_to_back_up()
    {
        using var t = new TempDir();
        File.WriteAllBytes(t["app.db"], []);
        var e = Fails(new BackupRequest(t["app.db"]) { Destination = t["b"] });
        Assert.Equal("DatabaseFileEmpty", e.ErrorId);
        Assert.Equal(BackupErrorCategory.InvalidData, e.Category);
        Assert.Contains("0 bytes", e.Message);
        Assert.False(Directory.Exists(t["b"]));
        Assert.Equal(0, new FileInfo(t["app.db"]).Length);
    }

    [Fact]
    public void Restoring_over_an_empty_file_replaces_it_and_keeps_it_aside()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var backup = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"] });
        File.WriteAllBytes(t["target.db"], []);
        var r = new Restorer().Restore(backup, new RestoreRequest(t["target.db"]) { Force = true });
        Assert.Equal(RestoreMethod.Rename, r.Method);
        Assert.Equal(100, Db.Count(t["target.db"], "employees"));
        Assert.NotNull(r.PreservedPath);
        Assert.Equal(0, new FileInfo(r.PreservedPath!).Length);
    }

    /// <summary>
    /// A rollback-mode database with a hot journal, as a writer killed mid-transaction leaves it: the real sqlite3 spills
    /// an uncommitted update into the file (a tiny cache forces it) and is killed before it commits.
    /// </summary>
    static void MakeHotJournal(string db)
    {
        Cli.Require("sqlite3");
        Db.CreatePaired(db, wal: false, fillerRows: 600);
        var psi = new ProcessStartInfo("sqlite3") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(db);
        using var writer = Process.Start(psi)!;
        try
        {
            writer.StandardInput.WriteLine("PRAGMA cache_size=2; BEGIN; UPDATE filler SET pad = randomblob(1000); SELECT 'spilled';");
            writer.StandardInput.Flush();
            Assert.Equal("spilled", writer.StandardOutput.ReadLine());
        }
        finally
        {
            writer.Kill();
            writer.WaitForExit(5000);
        }
        Assert.True(new FileInfo(db + "-journal").Length > 0, "no hot journal was left behind");
    }

    [SkippableFact]
    public void A_hot_journal_in_the_source_says_the_database_needs_recovery_and_changes_nothing()
    {
        using var t = new TempDir();
        MakeHotJournal(t["app.db"]);
        string dbSha = Db.Sha(t["app.db"]), journalSha = Db.Sha(t["app.db-journal"]);

        var e = Fails(new BackupRequest(t["app.db"]) { Destination = t["b"] });

        Assert.Equal("SourceNeedsRecovery", e.ErrorId);
        Assert.Equal(BackupErrorCategory.InvalidOperation, e.Category);
        Assert.Contains("hot journal", e.Message);
        Assert.Contains("sqlite3", e.RecommendedAction);
        Assert.Equal(dbSha, Db.Sha(t["app.db"]));
        Assert.Equal(journalSha, Db.Sha(t["app.db-journal"]));
        AssertNothingLeft(t["b"]);
        // Done as the message says, SQLite rolls the journal back and the backup works.
        Assert.Equal("ok", Cli.Run("sqlite3", t["app.db"], "PRAGMA quick_check;").Out.Trim());
        Assert.False(File.Exists(t["app.db-journal"]));
        Assert.NotNull(new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"] }));
    }

    [SkippableFact]
    public void A_hot_journal_at_the_restore_target_says_it_needs_recovery_and_changes_nothing()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var backup = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"] });
        MakeHotJournal(t["target.db"]);
        string dbSha = Db.Sha(t["target.db"]), journalSha = Db.Sha(t["target.db-journal"]);

        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(backup, new RestoreRequest(t["target.db"]) { Force = true }));

        Assert.Equal("RestoreTargetNeedsRecovery", e.ErrorId);
        Assert.Equal(BackupErrorCategory.InvalidOperation, e.Category);
        Assert.Equal(dbSha, Db.Sha(t["target.db"]));
        Assert.Equal(journalSha, Db.Sha(t["target.db-journal"]));
        Assert.Equal([t["target.db"], t["target.db-journal"]], Directory.GetFiles(t.Path, "target*").Order());
    }

    [SkippableFact]
    public void A_WAL_source_on_a_read_only_file_system_says_so_and_what_to_do()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var medium = new TmpfsMount(t["ro"], "size=2m");
        Assert.True(medium.Mounted, medium.MountError);
        string db = Path.Combine(medium.Path, "app.db");
        Db.CreatePaired(db, wal: true);
        Assert.False(File.Exists(db + "-shm")); // the last connection closed cleanly and removed it
        var (code, _, err) = Cli.Run("mount", "-o", "remount,ro", medium.Path);
        Assert.True(code == 0, err);

        var e = Fails(new BackupRequest(db) { Destination = t["b"] });

        Assert.Equal("SourceReadOnlyWal", e.ErrorId);
        Assert.Equal(BackupErrorCategory.ReadError, e.Category);
        Assert.Contains("-shm", e.Message);
        Assert.Contains("read-only", e.Message);
        AssertNothingLeft(t["b"]);
    }

    [Fact]
    public void A_backup_directory_that_is_a_file_says_so()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["backups"], "x");
        var e = Fails(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
        Assert.Equal("BackupDirectoryIsFile", e.ErrorId);
        Assert.Equal(BackupErrorCategory.InvalidArgument, e.Category);
        Assert.Equal("x", File.ReadAllText(t["backups"]));
    }

    [Fact]
    public void A_job_whose_backup_directory_is_a_file_says_so_instead_of_a_raw_IOException()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["backups"], "x");
        File.WriteAllText(t["backup.json"], """{ "backup": { "databases": ["./app.db"], "backup_directory": "./backups", "log_file": "./log.jsonl" } }""");
        var config = Core.Jobs.BackupJobConfigFile.Load(t["backup.json"]);
        var e = Assert.Throws<SqliteBackupException>(() => new Core.Jobs.BackupJob(new ListLogger()).Run(config));
        Assert.Equal("BackupDirectoryIsFile", e.ErrorId);
        Assert.Equal("x", File.ReadAllText(t["backups"]));
    }
}
