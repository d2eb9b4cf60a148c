using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests;

/// <summary>
/// New-SqliteBackup's Standard verification proves its facts without writing a decompressed copy: it checks the raw
/// bytes the backup was made from and decompresses the stored file only to hash it. These tests pin down that the
/// check still reads the backup's own pages, on both snapshot paths.
/// </summary>
public class FreshVerificationTests
{
    /// <summary>
    /// A database whose second index has a broken root page: reading rows and counting them (which uses the smaller
    /// index) works, so the snapshot succeeds, but any b-tree walk of the whole file, such as quick_check, finds it.
    /// </summary>
    static void CreateWithBrokenIndex(string path, bool wal)
    {
        using (var c = Db.Open(path))
        {
            SqliteFiles.Exec(c, (wal ? "PRAGMA journal_mode=WAL;" : "") +
                "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT); CREATE INDEX ta ON t(a); CREATE INDEX tb ON t(b);" +
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5000) INSERT INTO t SELECT i, i % 10, hex(randomblob(200)) FROM n;" +
                (wal ? "PRAGMA wal_checkpoint(TRUNCATE);" : ""));
        }
        long root;
        using (var c = SqliteFiles.Open(path, SqliteOpenMode.ReadOnly))
            root = Convert.ToInt64(SqliteFiles.Scalar(c, "SELECT rootpage FROM sqlite_schema WHERE name = 'tb'"));
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = (root - 1) * 4096;
        f.WriteByte(0x07); // not a b-tree page type
    }

    [Theory]
    [InlineData(true, SnapshotMethod.FileRead)]
    [InlineData(false, SnapshotMethod.BackupApi)]
    public void Standard_verification_of_a_new_backup_reads_its_pages_and_leaves_nothing_when_they_are_bad(bool wal, SnapshotMethod method)
    {
        using var t = new TempDir();
        CreateWithBrokenIndex(t["app.db"], wal);
        // Quick does not read pages: the same snapshot is published, which shows the damage came through the copy.
        var quick = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["quick"], Verify = VerificationLevel.Quick });
        Assert.Equal(method, quick.Manifest.SnapshotMethod);

        var e = Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"] }));
        Assert.Equal("BackupVerificationFailed", e.ErrorId);
        Assert.DoesNotContain(Directory.GetFiles(t["b"]), f => !f.EndsWith(".jsonl") && !f.EndsWith(".lock"));
        // The stored file of the Quick backup, verified on its own later, fails for the same reason.
        var later = new BackupVerifier().Verify(quick, VerificationLevel.Standard);
        Assert.False(later.Passed);
        Assert.Contains(later.Checks, c => c.Name == "QuickCheck" && !c.Passed);
    }

    [Theory]
    [InlineData(true, CompressionKind.Zstd)]
    [InlineData(false, CompressionKind.Gzip)]
    [InlineData(true, CompressionKind.None)]
    public void A_new_backup_verified_at_Full_level_leaves_no_scratch_or_side_files(bool wal, CompressionKind compression)
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"], wal: wal);
        var b = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"], Compression = compression, Verify = VerificationLevel.Full });
        Assert.Equal(["Full"], b.Manifest.Verifications.Select(v => v.Level.ToString()));
        Assert.True(b.Manifest.Verifications[0].Passed);
        var left = Directory.GetFiles(t["b"]).Select(f => Path.GetFileName(f)).Where(f => !f.StartsWith("sqlitebackup-log") && !f.StartsWith(".sqlitebackup-log")).Order().ToArray();
        Assert.Equal([Path.GetFileName(b.Path), Path.GetFileName(b.ManifestPath)], left);
        Assert.Empty(Directory.GetDirectories(t["b"]));
    }

    [Theory]
    [InlineData("my app; Mode=ReadWriteCreate")]
    [InlineData("50% #1 ?x=y `touch t` $(id)")]
    public void Verification_works_in_folders_whose_names_look_like_connection_strings_or_URIs(string folder)
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t[folder]);
        SampleDatabase.Create(Path.Combine(t[folder], "app.db"));
        var b = new BackupEngine().Create(new BackupRequest(Path.Combine(t[folder], "app.db")) { Verify = VerificationLevel.Full });
        Assert.True(b.Verified);
        var later = new BackupVerifier().Verify(b, VerificationLevel.Full);
        Assert.True(later.Passed, later.Message);
    }

    [Theory]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.None)]
    public void One_read_gives_the_stored_and_raw_hashes_and_sizes_with_or_without_a_decompressed_copy(CompressionKind compression)
    {
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 5000);
        var b = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["b"], Compression = compression, Verify = VerificationLevel.Quick });
        foreach (var copy in new[] { null, t["copy.db"] })
        {
            using var input = File.OpenRead(b.Path);
            var pass = Unpacker.Run(input, compression, copy, null, default);
            Assert.Null(pass.Failure);
            Assert.Equal((b.Manifest.StoredSha256, b.Manifest.StoredSize), (pass.StoredSha256, pass.StoredSize));
            Assert.Equal((b.Manifest.RawSha256, b.Manifest.RawSize), (pass.RawSha256, pass.RawSize));
        }
        Assert.Equal(b.Manifest.RawSha256, HashingStream.HashFile(t["copy.db"], out _));
    }
}
