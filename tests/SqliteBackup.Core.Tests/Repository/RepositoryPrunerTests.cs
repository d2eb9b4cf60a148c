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
