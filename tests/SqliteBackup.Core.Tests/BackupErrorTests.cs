using System.Diagnostics;
using Microsoft.Data.Sqlite;

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
}
