using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>Rotation of a location holding plain backups and snapshots of one database: one plan, then one prune.</summary>
public sealed class SnapshotRotationTests
{
    /// <summary>
    /// A plain backup, then snapshot A of one database, snapshot B of a replacement sharing no block with A, snapshot C
    /// of B after a few row changes (B's pack plus a small one of its own). Keeping the last one removes the plain backup,
    /// A and B; only A's packs are no remaining snapshot's.
    /// </summary>
    static (BackupInfo Plain, BackupInfo A, BackupInfo B, BackupInfo C) Mixed(TempDir t)
    {
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        var plain = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["repo"], Verify = VerificationLevel.Quick, Type = BackupType.Automatic });
        var a = Snapshot(t);
        foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
        Db.Exec(t["live.db"], "CREATE TABLE other(pad); INSERT INTO other SELECT randomblob(900) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n);");
        var b = Snapshot(t);
        Db.Exec(t["live.db"], "UPDATE other SET pad = randomblob(900) WHERE rowid IN (7, 300);");
        // No pause: C's parent is B even when A, B and C share one whole-second stamp (the manifests' times order them).
        var c = Snapshot(t);
        Assert.Equal(b.Manifest.Id, c.Manifest.Repository!.Parent);
        // Written an hour and more ago, as a rotation's packs are: the prune's age guard is not what this tests.
        foreach (var f in Directory.GetFiles(t["repo"], "pack-*")) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-2));
        return (plain, a, b, c);
    }

    // Automatic: a Manual backup is protected from rotation.
    static BackupInfo Snapshot(TempDir t) => IncrementalBackup.CreateLocal(
        new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Quick, Type = BackupType.Automatic }, NullLogger.Instance);

    static string[] Packs(string repo) => Directory.GetFiles(repo, "pack-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    static IReadOnlyList<RotationDecision> PlanKeepLast(string repo)
    {
        var listed = new StoreCatalog().ListLocation(repo, allowInsecureDirectory: true);
        Assert.Equal(4, listed.Count);
        return BackupRotation.Plan(listed, new RetentionPolicy { KeepLast = 1 }, TimeZoneInfo.Utc);
    }

    static string[] OnlyPacksOf(BackupInfo gone, params BackupInfo[] remaining) =>
        gone.Manifest.Repository!.Packs.Select(p => p.Name).Except(remaining.SelectMany(r => r.Manifest.Repository!.Packs.Select(p => p.Name)))
            .SelectMany(p => new[] { p, RepositoryNames.IndexOf(p) }).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Rotation_of_plain_backups_and_snapshots_removes_the_right_manifests_and_prunes_exactly_the_packs_only_they_used()
    {
        using var t = new TempDir();
        var (plain, a, b, c) = Mixed(t);
        var before = Packs(t["repo"]);
        var freed = OnlyPacksOf(a, c).Concat(OnlyPacksOf(b, c)).Distinct().Order(StringComparer.Ordinal).ToArray();
        // Which packs C still shares with A and B varies with its parent: the expectation follows the manifests.
        long freedBytes = freed.Sum(p => new FileInfo(Path.Combine(t["repo"], p)).Length);

        var decisions = PlanKeepLast(t["repo"]);
        Assert.Equal([c.Id], decisions.Where(d => d.Action == RetentionAction.Keep).Select(d => d.Backup.Id));
        var rotation = new BackupRotation(NullLogger.Instance);

        var preview = Assert.Single(rotation.PruneRepositories(decisions, whatIf: true));
        Assert.True(preview.WhatIf);
        Assert.Equal(freedBytes, preview.BytesFreed);
        Assert.Equal(before, Packs(t["repo"]));
        Assert.Equal(4, Directory.GetFiles(t["repo"], "*.manifest.json").Length);

        foreach (var d in decisions) rotation.Apply(d, allowInsecureDirectory: true);
        var log = new ListLogger();
        var pruned = Assert.Single(new BackupRotation(log).PruneRepositories(decisions, whatIf: false, allowInsecureDirectory: true));

        Assert.False(pruned.Deferred);
        Assert.Equal(freedBytes, pruned.BytesFreed);
        Assert.Equal([Path.GetFileName(c.ManifestPath)], Directory.GetFiles(t["repo"], "*.manifest.json").Select(Path.GetFileName));
        Assert.False(File.Exists(plain.Path));
        Assert.Equal(before.Except(freed).ToArray(), Packs(t["repo"]));
        Assert.Contains(log.Entries, e => e.EventId == BackupEvents.RepositoryPruned);
        using var store = new LocalDirectoryStore(t["repo"]);
        SnapshotReader.Reassemble(store, c.Manifest, t["c.db"]);
        Assert.Equal(c.Manifest.RawSha256, Db.Sha(t["c.db"]));
    }

    [Fact]
    public void A_rotation_while_a_backup_holds_the_shared_lock_forgets_the_snapshots_defers_the_prune_and_loses_nothing()
    {
        using var t = new TempDir();
        var (_, a, b, c) = Mixed(t);
        var before = Packs(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        var decisions = PlanKeepLast(t["repo"]);
        var log = new ListLogger();
        var rotation = new BackupRotation(log);

        using (RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(5), NullLogger.Instance))
        {
            foreach (var d in decisions) rotation.Apply(d, allowInsecureDirectory: true);
            var deferred = Assert.Single(rotation.PruneRepositories(decisions, whatIf: false, allowInsecureDirectory: true));
            Assert.True(deferred.Deferred);
            Assert.Equal(0, deferred.BytesFreed);
        }
        Assert.Contains(log.Entries, e => e.EventId == BackupEvents.RepositoryPruneDeferred && e.Message.Contains("next rotation"));
        Assert.Equal(before, Packs(t["repo"]));
        SnapshotReader.Reassemble(store, c.Manifest, t["c.db"]);
        Assert.Equal(c.Manifest.RawSha256, Db.Sha(t["c.db"]));

        // The next rotation removes nothing more, and frees the space.
        var next = BackupRotation.Plan(new StoreCatalog().ListLocation(t["repo"], allowInsecureDirectory: true), new RetentionPolicy { KeepLast = 1 }, TimeZoneInfo.Utc);
        var pruned = Assert.Single(rotation.PruneRepositories(next, whatIf: false));
        Assert.Equal(before.Except(OnlyPacksOf(a, c)).Except(OnlyPacksOf(b, c)).ToArray(), Packs(t["repo"]));
        Assert.False(pruned.Deferred);
        SnapshotReader.Reassemble(store, c.Manifest, t["c2.db"]);
        Assert.Equal(c.Manifest.RawSha256, Db.Sha(t["c2.db"]));
    }
}
