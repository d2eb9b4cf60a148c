using Amazon.S3.Model;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Tests.Jobs;
using SqliteBackup.Core.Tests.Storage;

namespace SqliteBackup.Core.Tests.Copies;

/// <summary>
/// What someone else did to a remote location behind our back, against a real radosgw: a copy whose data object was
/// deleted is copied again (not reported as already there), and a data object without its manifest (an orphan) is
/// reported, listed on request and removable, never deleted on its own.
/// </summary>
[Collection(RadosGwCollection.Name)]
public sealed class RemoteRepairAndOrphanTests(RadosGwServer server) : IDisposable
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey, Create = true };
    readonly TempDir _t = new();
    readonly TimeSpan _grace = StoreCatalog.OrphanGrace;

    public void Dispose()
    {
        StoreCatalog.OrphanGrace = _grace;
        _t.Dispose();
    }

    void DeleteObject(string bucket, string key) =>
        server.Admin.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }).GetAwaiter().GetResult();

    [SkippableFact]
    public void A_copy_whose_data_object_was_deleted_is_copied_again_and_lists_again()
    {
        string bucket = server.NewBucket();
        SampleDatabase.Create(_t["app.db"]);
        var local = new BackupEngine().Create(new BackupRequest(_t["app.db"]) { Destination = _t["b"] });
        using var store = StoreRegistry.Open(server.LocationOf(bucket, "cp"), Keys);
        var copier = new BackupCopier();
        Assert.Equal(CopyStatus.Copied, copier.Copy(local, store).Status);
        Assert.Equal(CopyStatus.AlreadyPresent, copier.Copy(local, store).Status);

        DeleteObject(bucket, "cp/" + local.Manifest.File);
        Assert.Empty(new StoreCatalog().List(store));
        var again = copier.Copy(local, store);

        Assert.Equal(CopyStatus.Copied, again.Status);
        var there = Assert.Single(new StoreCatalog().List(store));
        Assert.Equal(local.Id, there.Id);
        Assert.True(there.Verified);
        Assert.Equal(CopyStatus.AlreadyPresent, copier.Copy(local, store).Status);
    }

    [SkippableFact]
    public void A_data_object_of_another_size_behind_a_same_manifest_stays_a_conflict()
    {
        string bucket = server.NewBucket();
        SampleDatabase.Create(_t["app.db"]);
        var local = new BackupEngine().Create(new BackupRequest(_t["app.db"]) { Destination = _t["b"] });
        using var store = StoreRegistry.Open(server.LocationOf(bucket, "cp"), Keys);
        new BackupCopier().Copy(local, store);
        DeleteObject(bucket, "cp/" + local.Manifest.File);
        server.Admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cp/" + local.Manifest.File, ContentBody = "not this backup" }).GetAwaiter().GetResult();

        Assert.Equal("CopyConflict", Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, store)).ErrorId);
    }

    [SkippableFact]
    public void The_job_catch_up_repairs_a_copy_whose_data_object_was_deleted()
    {
        string bucket = server.NewBucket();
        string location = server.LocationOf(bucket, "app");
        SampleDatabase.Create(_t["app.db"]);
        var c = BackupJobTests.Config(_t, $$"""
            { "databases": ["./app.db"], "retention_last": 2, "retention_days": 0, "retention_weeks": 0, "retention_months": 0, "weekly_restore_test": false,
              "keep_local_until_copied": true,
              "destinations": [{ "path": "{{location}}", "retention_last": 10 }] }
            """);
        var saved = new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", RadosGwServer.AccessKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", RadosGwServer.SecretKey);
            Assert.True(BackupJobTests.Run(c).Single().Succeeded);
            var first = Assert.Single(new BackupCatalog().List(c.BackupDirectory));
            DeleteObject(bucket, "app/" + first.Manifest.File);

            var next = BackupJobTests.Run(c).Single();

            Assert.True(next.Succeeded, next.Error);
            Assert.Equal(1, next.Destinations.Single().CaughtUp);
            var there = new StoreCatalog().ListLocation(location, false);
            Assert.Equal(2, there.Count);
            Assert.Contains(there, b => b.Id == first.Id && b.Verified == true);
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    [SkippableFact]
    public void A_remote_data_object_without_a_manifest_is_warned_about_listed_on_request_and_removed_only_when_asked()
    {
        string bucket = server.NewBucket();
        SampleDatabase.Create(_t["app.db"]);
        var local = new BackupEngine().Create(new BackupRequest(_t["app.db"]) { Destination = _t["b"] });
        using var store = StoreRegistry.Open(server.LocationOf(bucket, "o"), Keys);
        new BackupCopier().Copy(local, store);
        // As a kill -9 between the data upload and the manifest leaves it: a backup-named object alone.
        string orphanName = "app_20200101-000000_manual_deadbeef.db.zst";
        server.Admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "o/" + orphanName, ContentBody = "bytes someone may need" }).GetAwaiter().GetResult();
        // And a backup whose manifest was deleted behind our back.
        DeleteObject(bucket, "o/" + local.Manifest.File + BackupManifest.Suffix);

        // Within the grace period it may be a backup still being written: neither reported nor listed.
        var log = new ListLogger();
        Assert.Empty(new StoreCatalog(log).List(store));
        Assert.Empty(log.Warnings);
        Assert.Empty(new StoreCatalog().ListWithOrphans(store, null).Orphans);

        StoreCatalog.OrphanGrace = TimeSpan.Zero;
        Assert.Empty(new StoreCatalog(log).List(store));
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("2 backup object(s) without a manifest", warning);
        Assert.Contains(orphanName, warning);
        Assert.Contains(local.Manifest.File, warning);

        var orphans = new StoreCatalog().ListWithOrphans(store, null).Orphans;
        Assert.Equal([orphanName, local.Manifest.File], orphans.Select(o => o.Manifest.File));
        Assert.All(orphans, o => Assert.True(o.IsOrphan && o.IsRemote));
        Assert.Equal($"s3://{bucket}/o/{orphanName}", orphans[0].Path);
        Assert.Equal("app", orphans[0].Database);
        Assert.Equal(22, orphans[0].Size);
        Assert.NotNull(store.Stat(orphanName)); // listing deletes nothing

        new StoreCatalog().RemoveOrphan(orphans[0], store);
        Assert.Null(store.Stat(orphanName));
        Assert.Equal(local.Manifest.File, Assert.Single(new StoreCatalog().ListWithOrphans(store, null).Orphans).Manifest.File);

        // One that got its manifest back since it was listed is a backup again, not removed as an orphan.
        new BackupCopier().Copy(local, store);
        Assert.Equal("OrphanNotRemoved", Assert.Throws<SqliteBackupException>(() => new StoreCatalog().RemoveOrphan(orphans[1], store)).ErrorId);
        Assert.Single(new StoreCatalog().List(store));
    }
}
