using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

public sealed class IncrementalBackupTests
{
    /// <summary>One incremental backup into the repository in <paramref name="repo"/>, through a counting store.</summary>
    static (BackupInfo Backup, PutCounter Store, RepositoryTarget.WriteStats Stats) Incremental(string db, string repo, VerificationLevel verify = VerificationLevel.Standard,
        int? blockSize = null, Action? onPinned = null, bool fileRead = true)
    {
        Directory.CreateDirectory(repo);
        var store = new PutCounter(new LocalDirectoryStore(repo));
        var request = new BackupRequest(db) { Destination = repo, Incremental = true, Verify = verify, BlockSize = blockSize, OnFileReadPinned = onPinned, AllowFileRead = fileRead };
        var backup = IncrementalBackup.Create(request, store, repo, repo, NullLogger.Instance, null, default, out var stats);
        return (backup, store, stats!);
    }

    static string Reassemble(string repo, BackupInfo backup, string path)
    {
        using var store = new LocalDirectoryStore(repo);
        SnapshotReader.Reassemble(store, backup.Manifest, path);
        return path;
    }

    static void AssertSqliteReads(string path, BackupInfo backup)
    {
        Cli.Require("sqlite3");
        var integrity = Cli.Run("sqlite3", path, "PRAGMA integrity_check;");
        Assert.True(integrity.Out.Trim() == "ok", $"integrity_check says {integrity.Out}{integrity.Err}");
        var counts = Cli.Run("sqlite3", path, "SELECT (SELECT count(*) FROM a) || '|' || (SELECT count(*) FROM b) || '|' || (SELECT count(*) FROM filler);");
        var parts = counts.Out.Trim().Split('|').Select(long.Parse).ToArray();
        Assert.Equal(parts[0], parts[1]);
        Assert.Equal(backup.Manifest.TableRowCounts["a"], parts[0]);
        Assert.Equal(backup.Manifest.TableRowCounts["filler"], parts[2]);
    }

    [SkippableFact]
    public void A_snapshot_reassembles_byte_identical_to_a_plain_backup_taken_right_after()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        Db.Exec(t["live.db"], "INSERT INTO a(v) VALUES(1); INSERT INTO b(v) VALUES(1); PRAGMA wal_checkpoint(TRUNCATE);");
        var (snap, _, stats) = Incremental(t["live.db"], t["repo"]);
        var plain = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["plain"], Verify = VerificationLevel.Quick });

        Assert.Equal(plain.Manifest.RawSha256, snap.Manifest.RawSha256);
        Assert.Equal(BackupManifest.SnapshotSchemaVersion, snap.Manifest.SchemaVersion);
        Assert.EndsWith(".snapshot", snap.Manifest.File);
        Assert.True(File.Exists(t["repo"] + "/" + snap.Manifest.File + BackupManifest.Suffix));
        Assert.Null(snap.Manifest.Repository!.Parent);
        Assert.Equal(VerificationOutcome.Passed, snap.Manifest.Verifications.Single().Result);
        Assert.Equal(stats.Blocks, snap.Manifest.Repository.BlockCount);
        Assert.Equal(snap.Manifest.Repository.AddedSize, snap.Manifest.Repository.Packs.Sum(p => p.Size));
        Assert.True(snap.Manifest.StoredSize > 0 && snap.Manifest.StoredSize <= snap.Manifest.Repository.AddedSize);

        string image = Reassemble(t["repo"], snap, t["image.db"]);
        Assert.Equal(plain.Manifest.RawSha256, Db.Sha(image));
        AssertSqliteReads(image, snap);
        // The manifest on disk is what a listing reads back.
        Assert.NotNull(BackupManifest.TryParse(File.ReadAllBytes(snap.ManifestPath), out _));
    }

    [SkippableFact]
    public void A_second_backup_after_a_few_row_changes_writes_only_the_changed_blocks()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 5000);
        var first = Incremental(t["live.db"], t["repo"]);
        // Five scattered rows of ~1 KB: at most a few dozen pages (leaves and their parents) change.
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(1000) WHERE id IN (7, 1500, 2600, 3900, 4800); INSERT INTO a(v) VALUES(2); INSERT INTO b(v) VALUES(2); PRAGMA wal_checkpoint(TRUNCATE);");
        var second = Incremental(t["live.db"], t["repo"]);

        Assert.Equal(first.Backup.Manifest.Id, second.Backup.Manifest.Repository!.Parent);
        Assert.True(second.Stats.NewBlocks is > 0 and <= 40, $"{second.Stats.NewBlocks} of {second.Stats.Blocks} blocks written");
        Assert.Equal(1, second.Store.PackCount);
        Assert.True(second.Store.PackBytes < first.Store.PackBytes / 20, $"{second.Store.PackBytes} bytes of packs vs {first.Store.PackBytes} the first time");
        Assert.Equal(second.Store.PackBytes, second.Backup.Manifest.Repository.AddedSize);
        // Its own weight is comparable with a full backup's, not with what it added.
        Assert.True(second.Backup.Manifest.StoredSize > first.Backup.Manifest.StoredSize / 2);
        Assert.Equal(2, second.Backup.Manifest.Repository.Packs.Count);

        var plain = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["plain"], Verify = VerificationLevel.Quick });
        Assert.Equal(plain.Manifest.RawSha256, Db.Sha(Reassemble(t["repo"], second.Backup, t["second.db"])));
        // The first snapshot still restores on its own.
        Assert.Equal(first.Backup.Manifest.RawSha256, Db.Sha(Reassemble(t["repo"], first.Backup, t["first.db"])));
        AssertSqliteReads(t["second.db"], second.Backup);
    }

    [Fact]
    public void Of_two_snapshots_taken_in_the_same_second_the_later_one_is_the_parent_of_the_next()
    {
        // A of one database, B of a replacement sharing no block with it, both in one whole second (the stamp in their
        // names), with B's name sorting below A's: a parent chosen by the name alone would be A, and C (B after a few row
        // changes) would store the whole database again.
        using var t = new TempDir();
        BackupInfo a, b;
        for (int attempt = 0; ; attempt++)
        {
            Assert.True(attempt < 20, "could not take two snapshots in one second with the later one's name sorting first");
            foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
            if (Directory.Exists(t["repo"])) Directory.Delete(t["repo"], recursive: true);
            Db.CreatePaired(t["live.db"], wal: true, fillerRows: 1500);
            // Start early in a second: both snapshots (tens of milliseconds each) fit in it.
            Thread.Sleep(1000 - DateTime.UtcNow.Millisecond);
            a = Incremental(t["live.db"], t["repo"]).Backup;
            foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
            Db.CreatePaired(t["live.db"], wal: true, fillerRows: 1600);
            b = Incremental(t["live.db"], t["repo"]).Backup;
            // B is retaken (its manifest removed, so no snapshot refers to it) until its random id sorts below A's.
            while (string.CompareOrdinal(b.Manifest.File, a.Manifest.File) > 0 && (DateTime.UtcNow - a.Manifest.CreatedUtc).TotalMilliseconds < 600)
            {
                File.Delete(b.ManifestPath);
                b = Incremental(t["live.db"], t["repo"]).Backup;
            }
            if (string.CompareOrdinal(b.Manifest.File, a.Manifest.File) < 0 && b.Manifest.CreatedUtc.Ticks / TimeSpan.TicksPerSecond == a.Manifest.CreatedUtc.Ticks / TimeSpan.TicksPerSecond)
                break;
        }
        Assert.Null(a.Manifest.Repository!.Parent);

        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(1000) WHERE id IN (7, 900); INSERT INTO a(v) VALUES(2); INSERT INTO b(v) VALUES(2); PRAGMA wal_checkpoint(TRUNCATE);");
        var c = Incremental(t["live.db"], t["repo"]);
        Assert.Equal(b.Manifest.Id, c.Backup.Manifest.Repository!.Parent);
        Assert.True(c.Stats.NewBlocks is > 0 and <= 40, $"{c.Stats.NewBlocks} of {c.Stats.Blocks} blocks written");
        Assert.Equal(Db.Sha(t["live.db"]), Db.Sha(Reassemble(t["repo"], c.Backup, t["c.db"])));
    }

    [Fact]
    public void An_unchanged_database_writes_no_pack_at_all()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        Incremental(t["live.db"], t["repo"]);
        var again = Incremental(t["live.db"], t["repo"]);
        Assert.Equal(0, again.Store.PackCount);
        Assert.Equal(0, again.Stats.NewBlocks);
        Assert.Empty(again.Backup.Manifest.Repository!.AddedPacks);
        Assert.Equal(0, again.Backup.Manifest.Repository.AddedSize);
        // Only the manifest was put, and the store was listed once for the parent (and once for Quick presence).
        // (Besides the repository's shared lock object, put once and deleted again, and the ledger of the shared pack
        // the Standard check hashed.)
        Assert.Single(again.Store.Puts, p => RepositoryLock.IsLockName(p.Name));
        Assert.Equal([again.Backup.Manifest.File + BackupManifest.Suffix],
            again.Store.Puts.Select(p => p.Name).Where(n => !RepositoryLock.IsLockName(n) && n != PackHashLedger.Name));
    }

    [SkippableTheory]
    [InlineData("shrinks")]
    [InlineData("grows")]
    public void A_database_that_shrinks_or_grows_reassembles_exactly(string change)
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        Incremental(t["live.db"], t["repo"]);
        Db.Exec(t["live.db"], change == "shrinks"
            ? "DELETE FROM filler WHERE id > 1000; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);"
            : "INSERT INTO filler(pad) SELECT randomblob(1000) FROM filler; PRAGMA wal_checkpoint(TRUNCATE);");
        var second = Incremental(t["live.db"], t["repo"], VerificationLevel.Full);
        Assert.Equal(new FileInfo(t["live.db"]).Length, second.Backup.Manifest.RawSize);
        Assert.Equal(Db.Sha(t["live.db"]), Db.Sha(Reassemble(t["repo"], second.Backup, t["out.db"])));
        AssertSqliteReads(t["out.db"], second.Backup);
        Assert.Contains("checks passed", second.Backup.Manifest.Verifications.Single().Message);
    }

    [SkippableTheory]
    [InlineData(1024, 4096, true)]
    [InlineData(65536, 4096, true)]
    [InlineData(4096, 65536, false)]
    [InlineData(1024, 4096, false)]
    public void Page_sizes_other_than_the_block_size_round_trip(int pageSize, int blockSize, bool fileRead)
    {
        using var t = new TempDir();
        Db.Exec(t["live.db"], $"PRAGMA page_size={pageSize}; PRAGMA journal_mode=WAL;");
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 1500);
        // 1024-byte pages: an odd page count makes the last block short.
        Db.Exec(t["live.db"], "CREATE TABLE odd(x); INSERT INTO odd VALUES(1); PRAGMA wal_checkpoint(TRUNCATE);");
        var first = Incremental(t["live.db"], t["repo"], VerificationLevel.Full, blockSize, fileRead: fileRead);
        Assert.Equal(pageSize, first.Backup.Manifest.PageSize);
        Assert.Equal(blockSize, first.Backup.Manifest.Repository!.BlockSize);
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(1000) WHERE id = 700; INSERT INTO odd VALUES(2); PRAGMA wal_checkpoint(TRUNCATE);");
        var second = Incremental(t["live.db"], t["repo"], VerificationLevel.Full, fileRead: fileRead);
        Assert.True(second.Stats.NewBlocks < second.Stats.Blocks / 4, $"{second.Stats.NewBlocks} of {second.Stats.Blocks}");
        // The backup API writes its own copy (header counters differ from the live file's): its hash is the manifest's.
        Assert.Equal(fileRead ? Db.Sha(t["live.db"]) : second.Backup.Manifest.RawSha256, Db.Sha(Reassemble(t["repo"], second.Backup, t["out.db"])));
        Assert.Equal(fileRead ? SnapshotMethod.FileRead : SnapshotMethod.BackupApi, second.Backup.Manifest.SnapshotMethod);
        AssertSqliteReads(t["out.db"], second.Backup);
    }

    [Fact]
    public void Another_block_size_against_an_existing_repository_is_refused_before_anything_is_written()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 100);
        Incremental(t["live.db"], t["repo"], blockSize: 16384);
        var before = Directory.GetFiles(t["repo"]).Order().ToList();
        var e = Assert.Throws<SqliteBackupException>(() => Incremental(t["live.db"], t["repo"], blockSize: 4096));
        Assert.Equal("RepositoryBlockSizeMismatch", e.ErrorId);
        Assert.Contains("16384", e.Message);
        Assert.Equal(before, Directory.GetFiles(t["repo"]).Order().ToList());
        // Without -BlockSize the repository's own is used.
        Assert.Equal(16384, Incremental(t["live.db"], t["repo"]).Backup.Manifest.Repository!.BlockSize);
    }

    [Fact]
    public void Compression_other_than_zstd_is_refused_with_incremental()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true);
        var e = Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(new BackupRequest(t["live.db"])
            { Destination = t["repo"], Incremental = true, Compression = CompressionKind.Gzip }));
        Assert.Equal("IncrementalNeedsZstd", e.ErrorId);
        Assert.False(Directory.Exists(t["repo"]));
    }

    [Fact]
    public void The_engine_routes_an_incremental_request_into_the_repository_at_the_destination()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 200);
        var b = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true });
        Assert.True(b.Manifest.IsSnapshot);
        Assert.True(File.Exists(Path.Combine(t["repo"], RepositoryNames.Config)));
        Assert.Equal(b.ManifestPath, Path.Combine(t["repo"], b.Manifest.File + BackupManifest.Suffix));
    }

    [Fact]
    public void A_damaged_or_missing_pack_is_a_clear_error_and_is_not_used_as_a_parent()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 1000);
        var first = Incremental(t["live.db"], t["repo"]);
        string pack = first.Backup.Manifest.Repository!.Packs[0].Name;
        var bytes = File.ReadAllBytes(Path.Combine(t["repo"], pack));
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(Path.Combine(t["repo"], pack), bytes);
        var damaged = Assert.Throws<SqliteBackupException>(() => Reassemble(t["repo"], first.Backup, t["x.db"]));
        Assert.Equal("RepositoryDamaged", damaged.ErrorId);
        Assert.Contains(pack, damaged.Message);
        Assert.Contains(first.Backup.Manifest.File, damaged.Message);
        Assert.False(File.Exists(t["x.db"]));

        File.Delete(Path.Combine(t["repo"], pack));
        var missing = Assert.Throws<SqliteBackupException>(() => Reassemble(t["repo"], first.Backup, t["y.db"]));
        Assert.Equal("RepositoryPackMissing", missing.ErrorId);
        using (var store = new LocalDirectoryStore(t["repo"])) Assert.NotEmpty(SnapshotReader.QuickCheck(store, first.Backup.Manifest));

        // The next backup finds no usable parent, stores everything again, and restores on its own.
        var second = Incremental(t["live.db"], t["repo"]);
        Assert.Null(second.Backup.Manifest.Repository!.Parent);
        Assert.True(second.Store.PackCount >= 1 && second.Stats.NewBlocks > second.Stats.Blocks / 2, $"{second.Stats.NewBlocks} of {second.Stats.Blocks} blocks written");
        Assert.Equal(Db.Sha(t["live.db"]), Db.Sha(Reassemble(t["repo"], second.Backup, t["z.db"])));
    }
}
