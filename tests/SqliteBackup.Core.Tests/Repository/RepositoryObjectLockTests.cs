using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Tests.Storage;
using SqliteBackup.Core.Verification;
using static SqliteBackup.Core.Tests.Repository.RepositoryCopyTests;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// A repository in a bucket with Object Lock, on a real Ceph radosgw: packs, indexes and snapshot manifests are locked as
/// long as the snapshot's retention could keep it, a pack reused by a newer snapshot has its lock extended to that
/// snapshot's date, and a prune never deletes a pack still locked (kept, said, deleted by a later prune).
/// </summary>
[Collection(RadosGwCollection.Name)]
public sealed class RepositoryObjectLockTests(RadosGwServer server) : IDisposable
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey, Create = true };

    readonly TempDir _t = new();

    public void Dispose() => _t.Dispose();

    S3Store Store(string bucket, string prefix) => new(new Uri(server.LocationOf(bucket, prefix)), Keys);

    (ObjectLockMode? Mode, DateTime? Until) LockOf(string bucket, string key)
    {
        var head = server.Admin.GetObjectMetadataAsync(bucket, key).GetAwaiter().GetResult();
        return (head.ObjectLockMode, head.ObjectLockRetainUntilDate?.ToUniversalTime());
    }

    static DateTime Utc(DateTime d) => DateTime.SpecifyKind(d, DateTimeKind.Utc);

    static void AssertAbout(DateTime expected, DateTime? actual) => Assert.InRange(actual!.Value, expected.AddSeconds(-1), expected.AddSeconds(1));

    [SkippableFact]
    public void An_incremental_backup_into_a_locked_bucket_locks_its_packs_indexes_and_manifest_and_a_reused_pack_is_extended()
    {
        string bucket = server.NewBucket(objectLock: true);
        using var store = Store(bucket, "repo");
        Db.CreatePaired(_t["live.db"], wal: true, fillerRows: 3000);
        BackupInfo Backup() => IncrementalBackup.Create(new BackupRequest(_t["live.db"]) { Verify = VerificationLevel.Quick, Type = BackupType.Automatic },
            store, _t.Path, null, NullLogger.Instance);

        var first = Backup();
        var firstUntil = LockPeriod.RetainUntil(RetentionPolicy.Default, Utc(first.Manifest.CreatedUtc))!.Value;
        var packs = first.Manifest.Repository!.Packs.Select(p => p.Name).ToList();
        foreach (var name in packs.SelectMany(p => new[] { p, RepositoryNames.IndexOf(p) }).Append(first.Manifest.File + BackupManifest.Suffix))
        {
            var (mode, until) = LockOf(bucket, "repo/" + name);
            Assert.Equal(ObjectLockMode.Governance, mode);
            AssertAbout(firstUntil, until);
        }
        // The repository's own bookkeeping must stay replaceable: never locked.
        Assert.Null(LockOf(bucket, "repo/" + RepositoryNames.Config).Until);

        // Created at least a second later, so its date is later: the packs it reuses reach it.
        Thread.Sleep(1100);
        Churn(_t["live.db"], 1);
        var second = Backup();
        var secondUntil = LockPeriod.RetainUntil(RetentionPolicy.Default, Utc(second.Manifest.CreatedUtc))!.Value;
        Assert.True(secondUntil > firstUntil);
        var reused = second.Manifest.Repository!.Packs.Select(p => p.Name).Intersect(packs).ToList();
        Assert.NotEmpty(reused);
        foreach (var name in reused.SelectMany(p => new[] { p, RepositoryNames.IndexOf(p) }))
            AssertAbout(secondUntil, LockOf(bucket, "repo/" + name).Until);
        Assert.Empty(SnapshotReader.QuickCheck(store, second.Manifest));
        AssertRestorable(store, second.Manifest, _t["check.db"]);
    }

    [SkippableFact]
    public void A_copy_locks_by_the_destinations_retention_and_a_later_copy_reusing_a_pack_extends_it_never_shortens_it()
    {
        string bucket = server.NewBucket(objectLock: true);
        using var store = Store(bucket, "off");
        Db.CreatePaired(_t["live.db"], wal: true, fillerRows: 3000);
        var first = RepositoryCopyTests.Snapshot(_t["live.db"], _t["repo"]);
        Thread.Sleep(1100);
        Churn(_t["live.db"], 2);
        var second = RepositoryCopyTests.Snapshot(_t["live.db"], _t["repo"]);

        new RepositoryCopier { Retention = new RetentionPolicy { KeepDaily = 7 } }.Copy(first, store);
        string shared = second.Manifest.Repository!.Packs.Select(p => p.Name).Intersect(first.Manifest.Repository!.Packs.Select(p => p.Name)).First();
        var week = Utc(first.Manifest.CreatedUtc).AddDays(7);
        AssertAbout(week, LockOf(bucket, "off/" + shared).Until);
        AssertAbout(week, LockOf(bucket, "off/" + first.Manifest.File + BackupManifest.Suffix).Until);

        new RepositoryCopier { Retention = new RetentionPolicy { KeepDaily = 30 } }.Copy(second, store);
        var month = Utc(second.Manifest.CreatedUtc).AddDays(30);
        AssertAbout(month, LockOf(bucket, "off/" + shared).Until);
        AssertAbout(month, LockOf(bucket, "off/" + RepositoryNames.IndexOf(shared)).Until);
        AssertAbout(month, LockOf(bucket, "off/" + second.Manifest.File + BackupManifest.Suffix).Until);
        // The first snapshot's own manifest keeps its own date.
        AssertAbout(week, LockOf(bucket, "off/" + first.Manifest.File + BackupManifest.Suffix).Until);

        // Copied again under a shorter rule: the shared pack keeps the later date.
        store.ExtendLock(shared, week);
        AssertAbout(month, LockOf(bucket, "off/" + shared).Until);
    }

    [SkippableFact]
    public void Prune_skips_an_unreferenced_pack_still_locked_says_so_in_WhatIf_and_the_log_and_a_later_prune_deletes_it()
    {
        string bucket = server.NewBucket(objectLock: true);
        using var store = Store(bucket, "repo");
        Db.CreatePaired(_t["live.db"], wal: true, fillerRows: 300);
        var snapshot = new RepositoryCopier().Copy(RepositoryCopyTests.Snapshot(_t["live.db"], _t["repo"]), store).Copy;

        // Two packs no snapshot names (as a killed backup leaves them): one locked a few seconds, one not locked.
        string Stray(byte fill, DateTime? until)
        {
            string pack = RepositoryNames.Pack(new string((char)('a' + fill), 64));
            foreach (var name in new[] { pack, RepositoryNames.IndexOf(pack) })
            {
                var bytes = new MemoryStream(Enumerable.Repeat(fill, 1000).ToArray());
                if (until is { } u) store.PutLocked(name, bytes, u);
                else store.Put(name, bytes, createOnly: true);
            }
            return pack;
        }
        var lockedUntil = DateTime.UtcNow.AddSeconds(6);
        string locked = Stray(1, lockedUntil), free = Stray(2, null);
        var later = DateTime.UtcNow + PrunePlan.MinimumAge + TimeSpan.FromMinutes(1);

        var preview = RepositoryPruner.Prune(store, whatIf: true, NullLogger.Instance, later);
        Assert.Equal(1, preview.PacksDeleted);
        Assert.Equal(1, preview.PacksLocked);
        Assert.Equal(new[] { locked, RepositoryNames.IndexOf(locked) }.Order(), preview.Locked.Select(l => l.Name).Order());
        Assert.Equal(2000, preview.BytesFreed);
        Assert.Equal(4, store.List().Count(o => o.Name == locked || o.Name == free || o.Name == RepositoryNames.IndexOf(locked) || o.Name == RepositoryNames.IndexOf(free)));

        var log = new ListLogger();
        var pruned = RepositoryPruner.Prune(store, whatIf: false, log, later);
        Assert.Equal(1, pruned.PacksDeleted);
        Assert.Equal(1, pruned.PacksLocked);
        Assert.Equal(2000, pruned.BytesFreed);
        var names = store.List().Select(o => o.Name).ToHashSet();
        Assert.Contains(locked, names);
        Assert.Contains(RepositoryNames.IndexOf(locked), names);
        Assert.DoesNotContain(free, names);
        Assert.DoesNotContain(RepositoryNames.IndexOf(free), names);
        var warning = Assert.Single(log.Entries, e => e.EventId == BackupEvents.RepositoryPacksLocked);
        Assert.Contains("Kept 1 unreferenced pack(s)", warning.Message);
        Assert.Contains($"until {lockedUntil:yyyy-MM-dd HH:mm}", warning.Message);
        // What snapshots need is untouched.
        Assert.Empty(SnapshotReader.QuickCheck(store, snapshot.Manifest));

        // Once the lock has run out, the next prune deletes it.
        Thread.Sleep(Math.Max(0, (int)(lockedUntil - DateTime.UtcNow).TotalMilliseconds) + 1500);
        var again = RepositoryPruner.Prune(store, whatIf: false, log, later);
        Assert.Equal(1, again.PacksDeleted);
        Assert.Equal(0, again.PacksLocked);
        Assert.DoesNotContain(store.List(), o => o.Name == locked || o.Name == RepositoryNames.IndexOf(locked));
        AssertRestorable(store, snapshot.Manifest, _t["check.db"]);
    }
}
