using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Repository;

public sealed class RepositoryPrunerTests
{
    internal static BackupInfo Snapshot(string db, string repo, VerificationLevel verify = VerificationLevel.Quick) =>
        IncrementalBackup.CreateLocal(new BackupRequest(db) { Destination = repo, Incremental = true, Verify = verify }, NullLogger.Instance);

    /// <summary>Two snapshots of a database replaced in between by one that shares no block with it: each has its own pack.</summary>
    static (BackupInfo First, BackupInfo Second) TwoSnapshots(TempDir t)
    {
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        var first = Snapshot(t["live.db"], t["repo"]);
        foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
        Db.Exec(t["live.db"], "CREATE TABLE other(pad); INSERT INTO other SELECT randomblob(900) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n);");
        var second = Snapshot(t["live.db"], t["repo"]);
        Assert.NotEmpty(first.Manifest.Repository!.AddedPacks.Except(second.Manifest.Repository!.Packs.Select(p => p.Name)));
        return (first, second);
    }

    static string[] Packs(string repo) => Directory.GetFiles(repo, "pack-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Prune_deletes_only_the_packs_of_a_forgotten_snapshot_and_WhatIf_shows_the_same_without_deleting()
    {
        using var t = new TempDir();
        var (first, second) = TwoSnapshots(t);
        File.Delete(first.ManifestPath);
        using var store = new LocalDirectoryStore(t["repo"]);
        var before = Packs(t["repo"]);
        var onlyFirst = first.Manifest.Repository!.AddedPacks.Except(second.Manifest.Repository!.Packs.Select(p => p.Name)).ToList();
        long expected = onlyFirst.Sum(p => new FileInfo(Path.Combine(t["repo"], p)).Length + new FileInfo(Path.Combine(t["repo"], RepositoryNames.IndexOf(p))).Length);
        var later = DateTime.UtcNow.AddHours(2);

        var whatIf = RepositoryPruner.Prune(store, whatIf: true, NullLogger.Instance, later);
        Assert.Equal(expected, whatIf.BytesFreed);
        Assert.Equal(before, Packs(t["repo"]));

        // Just written: younger than an hour, so a real prune now keeps everything.
        Assert.Equal(0, RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance).BytesFreed);
        Assert.Equal(before, Packs(t["repo"]));

        var log = new ListLogger();
        var pruned = RepositoryPruner.Prune(store, whatIf: false, log, later);
        Assert.False(pruned.Deferred);
        Assert.Equal(expected, pruned.BytesFreed);
        Assert.Equal(before.Except(onlyFirst.SelectMany(p => new[] { p, RepositoryNames.IndexOf(p) })).ToArray(), Packs(t["repo"]));
        Assert.Contains(log.Entries, e => e.EventId == BackupEvents.RepositoryPruned);
        Assert.Empty(Directory.GetFiles(t["repo"], "lock-*"));

        SnapshotReader.Reassemble(store, second.Manifest, t["second.db"]);
        Assert.Equal(second.Manifest.RawSha256, Db.Sha(t["second.db"]));
    }

    [Fact]
    public void Prune_deletes_nothing_while_a_backup_holds_its_lock_and_says_who()
    {
        using var t = new TempDir();
        var (first, _) = TwoSnapshots(t);
        File.Delete(first.ManifestPath);
        using var store = new LocalDirectoryStore(t["repo"]);
        var before = Packs(t["repo"]);
        using var backup = RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(5), NullLogger.Instance);
        var log = new ListLogger();

        var result = RepositoryPruner.Prune(store, whatIf: false, log, DateTime.UtcNow.AddHours(2));

        Assert.True(result.Deferred);
        Assert.Equal(0, result.BytesFreed);
        Assert.Equal("backup", Assert.Single(result.Holders).Operation);
        Assert.Equal(before, Packs(t["repo"]));
        var warning = Assert.Single(log.Entries, e => e.EventId == BackupEvents.RepositoryPruneDeferred);
        Assert.Contains("next rotation", warning.Message);
        Assert.Equal([backup.Name], Directory.GetFiles(t["repo"], "lock-*").Select(Path.GetFileName));
    }

    [Fact]
    public void Prune_refuses_when_a_snapshot_manifest_cannot_be_read()
    {
        using var t = new TempDir();
        var (first, second) = TwoSnapshots(t);
        File.Delete(first.ManifestPath);
        File.WriteAllText(second.ManifestPath, "{ torn");
        using var store = new LocalDirectoryStore(t["repo"]);
        var before = Packs(t["repo"]);

        var e = Assert.Throws<SqliteBackupException>(() => RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance, DateTime.UtcNow.AddHours(2)));

        Assert.Equal("RepositoryPruneRefused", e.ErrorId);
        Assert.Contains(Path.GetFileName(second.ManifestPath), e.Message);
        Assert.Equal(before, Packs(t["repo"]));
        Assert.Empty(Directory.GetFiles(t["repo"], "lock-*"));
    }

    /// <summary>
    /// The operator's case: the disk is full (or the repository read-only) and a rotation is run to free space. The prune
    /// writes its lock before it deletes anything, which fails: a clear error that says what to do, nothing deleted, and
    /// once the disk takes writes again the same prune frees the space.
    /// </summary>
    [SkippableTheory]
    [InlineData("full", "RepositoryPruneDiskFull", BackupErrorCategory.ResourceUnavailable)]
    [InlineData("read-only", "RepositoryPruneNotWritable", BackupErrorCategory.PermissionDenied)]
    public void A_prune_that_cannot_write_its_lock_is_a_clear_error_deletes_nothing_and_the_next_one_frees_the_space(string state, string errorId, BackupErrorCategory category)
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var disk = new TmpfsMount(t["repo"], "size=4m");
        Assert.True(disk.Mounted, disk.MountError);
        var (first, second) = TwoSnapshots(t);
        File.Delete(first.ManifestPath);
        using var store = new LocalDirectoryStore(t["repo"]);
        if (state == "full") Fill(t["repo"] + "/unrelated.bin");
        else Assert.Equal(0, Cli.Run("mount", "-o", "remount,ro", disk.Path).Code);
        var before = Directory.GetFiles(t["repo"]).Order(StringComparer.Ordinal).ToArray();

        var e = Assert.Throws<SqliteBackupException>(() => RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance, DateTime.UtcNow.AddHours(2)));

        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(category, e.Category);
        Assert.Contains(t["repo"], e.Message);
        Assert.Contains("Invoke-BackupRotation", e.RecommendedAction);
        Assert.Equal(before, Directory.GetFiles(t["repo"]).Order(StringComparer.Ordinal).ToArray());

        if (state == "full") File.Delete(t["repo"] + "/unrelated.bin");
        else Assert.Equal(0, Cli.Run("mount", "-o", "remount,rw", disk.Path).Code);
        Assert.True(RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance, DateTime.UtcNow.AddHours(2)).BytesFreed > 0);
        SnapshotReader.Reassemble(store, second.Manifest, t["second.db"]);
        Assert.Equal(second.Manifest.RawSha256, Db.Sha(t["second.db"]));
    }

    /// <summary>A snapshot that does not fit: DiskFull, no new snapshot, the old one restores, and with room again the next succeeds.</summary>
    [SkippableFact]
    public void An_incremental_backup_onto_a_full_disk_is_DiskFull_and_leaves_the_earlier_snapshot_restorable()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var disk = new TmpfsMount(t["repo"], "size=3m");
        Assert.True(disk.Mounted, disk.MountError);
        Db.Exec(t["live.db"], "PRAGMA journal_mode=WAL; CREATE TABLE t(pad); INSERT INTO t SELECT randomblob(3000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n); PRAGMA wal_checkpoint(TRUNCATE);");
        var first = Snapshot(t["live.db"], t["repo"]);
        Db.Exec(t["live.db"], "UPDATE t SET pad = randomblob(3000); INSERT INTO t SELECT pad FROM t; PRAGMA wal_checkpoint(TRUNCATE);");

        var e = Assert.Throws<SqliteBackupException>(() => Snapshot(t["live.db"], t["repo"]));

        Assert.Equal("DiskFull", e.ErrorId);
        Assert.Equal([Path.GetFileName(first.ManifestPath)], Directory.GetFiles(t["repo"], "*.snapshot.manifest.json").Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(t["repo"], ".sqlitebackup-*"));
        Assert.Empty(Directory.GetFiles(t["repo"], "lock-*"));
        using var store = new LocalDirectoryStore(t["repo"]);
        SnapshotReader.Reassemble(store, first.Manifest, t["first.db"]);
        Assert.Equal(first.Manifest.RawSha256, Db.Sha(t["first.db"]));
        Assert.Equal(0, Cli.Run("mount", "-o", "remount,size=16m", disk.Path).Code);
        var second = Snapshot(t["live.db"], t["repo"], VerificationLevel.Full);
        Assert.Equal(VerificationOutcome.Passed, second.Manifest.Verifications.Last().Result);
    }

    /// <summary>Writes zeros until the file system says it is full.</summary>
    static void Fill(string path)
    {
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var zeros = new byte[64 << 10];
        for (int size = zeros.Length; size > 0; size /= 2)
        {
            try { while (true) f.Write(zeros, 0, size); }
            catch (IOException e) when (BackupErrors.IsDiskFull(e)) { }
        }
    }

    [Fact]
    public void A_location_of_plain_backups_is_left_alone()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true);
        new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["plain"], Verify = VerificationLevel.Quick });
        var before = Directory.GetFiles(t["plain"]).Order().ToArray();
        using var store = new LocalDirectoryStore(t["plain"]);
        var result = RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance);
        Assert.Null(result.Plan);
        Assert.Equal(before, Directory.GetFiles(t["plain"]).Order().ToArray());
    }
}
