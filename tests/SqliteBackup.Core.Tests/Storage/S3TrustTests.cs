using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// What a user trusts an S3 location with, against a real Ceph radosgw: a run interrupted by the server going away
/// leaves nothing visible and the next run cleans up after it; Quick verification checks what is stored; Object Lock
/// keeps a backup from deletion for as long as its retention could keep it.
/// </summary>
[Collection(RadosGwCollection.Name)]
public sealed class S3TrustTests(RadosGwServer server) : IDisposable
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey };
    static readonly string[] Variables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_PROFILE"];

    readonly TempDir _t = new();
    readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    /// <summary>
    /// Commands reopen a backup's store from its location (s3://bucket/prefix): the endpoint and keys come from the
    /// environment as for a user. Only this collection's tests read these, one at a time; Dispose puts them back.
    /// </summary>
    void UseServerFromEnvironment()
    {
        foreach (var v in Variables) Environment.SetEnvironmentVariable(v, null);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", RadosGwServer.SecretKey);
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", server.Endpoint.AbsoluteUri);
    }

    public void Dispose()
    {
        foreach (var (v, value) in _saved) Environment.SetEnvironmentVariable(v, value);
        _t.Dispose();
    }

    /// <summary>A backup whose stored object is about <paramref name="mebibytes"/> MiB (random pages do not compress).</summary>
    BackupInfo LocalBackup(int mebibytes, string? db = null)
    {
        if (db != null) return new BackupEngine().Create(new BackupRequest(db) { Destination = _t["local"], Verify = VerificationLevel.Quick, Type = BackupType.Automatic });
        db = _t["app-" + Guid.NewGuid().ToString("N")[..6] + ".db"];
        Db.Exec(db, $"CREATE TABLE b(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {mebibytes * 4}) INSERT INTO b SELECT randomblob(262144) FROM n;");
        return new BackupEngine().Create(new BackupRequest(db) { Destination = _t["local"], Verify = VerificationLevel.Quick, Type = BackupType.Automatic });
    }

    List<MultipartUpload> UploadsUnder(string bucket, string prefix) =>
        server.Admin.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Prefix = prefix }).GetAwaiter().GetResult().MultipartUploads ?? [];

    S3Store Store(string bucket, string prefix, string query = "", int partSize = S3Store.MinimumPartSize) =>
        new(new Uri(server.LocationOf(bucket, prefix) + query), Keys, partSize);

    [SkippableFact]
    public void A_gateway_stopped_mid_upload_fails_the_copy_clearly_leaves_nothing_visible_and_the_next_run_completes_and_cleans_up()
    {
        string bucket = server.NewBucket();
        var backup = LocalBackup(12);
        Assert.True(backup.Size > 3 * S3Store.MinimumPartSize / 2, $"{backup.Size} bytes: not a multipart upload");
        var log = new ListLogger();

        SqliteBackupException e;
        using (var store = Store(bucket, "offsite", "&abort-uploads-after=3s"))
        {
            bool stopped = false;
            try
            {
                e = Assert.Throws<SqliteBackupException>(() => new BackupCopier(log).Copy(backup, store, p =>
                {
                    // The first part is on the server: the gateway goes away under the rest.
                    if (!stopped && p.PercentComplete > 0 && !p.Completed) { server.StopGateway(); stopped = true; }
                }));
            }
            finally { if (stopped) server.StartGateway(); }
            Assert.True(stopped, "the upload never reported a part");
        }
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.Contains($"s3://{bucket}/offsite", e.Message);
        Assert.Contains(server.Endpoint.GetLeftPart(UriPartial.Authority), e.Message);
        Assert.DoesNotContain(RadosGwServer.SecretKey, e.Message + e.RecommendedAction + e);

        // Nothing visible: no manifest, no data object; only the dead upload the aborted run could not abort.
        using (var look = Store(bucket, "offsite")) Assert.Empty(look.List());
        var dead = Assert.Single(UploadsUnder(bucket, "offsite/"));
        Assert.Equal("offsite/" + backup.Manifest.File, dead.Key);

        // Past the stale age, another run starts an upload of its own just before ours runs.
        Thread.Sleep(TimeSpan.FromSeconds(4.5));
        var live = server.Admin.InitiateMultipartUploadAsync(bucket, "offsite/app_other.db.zst").GetAwaiter().GetResult();

        using (var store = Store(bucket, "offsite", "&abort-uploads-after=3s"))
        {
            var result = new BackupCopier(log).Copy(backup, store);
            Assert.Equal(CopyStatus.Copied, result.Status);
            var listed = Assert.Single(new StoreCatalog().List(store));
            Assert.Equal(backup.Id, listed.Id);
        }
        Assert.Equal([live.UploadId], UploadsUnder(bucket, "offsite/").Select(u => u.UploadId));
        Assert.Contains(log.Messages, m => m.Contains("Aborted 1 unfinished upload(s)"));
        server.Admin.AbortMultipartUploadAsync(bucket, "offsite/app_other.db.zst", live.UploadId).GetAwaiter().GetResult();
    }

    [SkippableFact]
    public void New_backups_to_a_location_clean_up_first_and_a_young_upload_is_left_alone_at_the_default_age()
    {
        string bucket = server.NewBucket();
        UseServerFromEnvironment();
        var young = server.Admin.InitiateMultipartUploadAsync(bucket, "nb/app_young.db.zst").GetAwaiter().GetResult();
        var dead = server.Admin.InitiateMultipartUploadAsync(bucket, "fast/app_dead.db.zst").GetAwaiter().GetResult();
        Thread.Sleep(1100);
        string db = _t["app.db"];
        SampleDatabase.Create(db);

        // The default (24 hours): the upload just started is a concurrent run's, not a dead one.
        using (var store = StoreRegistry.Open($"s3://{bucket}/nb"))
            RemoteBackup.Create(new BackupRequest(db), store, new ListLogger());
        Assert.Equal([young.UploadId], UploadsUnder(bucket, "nb/").Select(u => u.UploadId));

        using (var store = StoreRegistry.Open($"s3://{bucket}/fast?abort-uploads-after=1s"))
            RemoteBackup.Create(new BackupRequest(db), store, new ListLogger());
        Assert.DoesNotContain(UploadsUnder(bucket, "fast/"), u => u.UploadId == dead.UploadId);
        server.Admin.AbortMultipartUploadAsync(bucket, young.Key, young.UploadId).GetAwaiter().GetResult();
    }

    [SkippableFact]
    public void A_job_destination_cleans_up_what_an_interrupted_run_left()
    {
        string bucket = server.NewBucket();
        UseServerFromEnvironment();
        var dead = server.Admin.InitiateMultipartUploadAsync(bucket, "job/app_dead.db.zst").GetAwaiter().GetResult();
        Thread.Sleep(1100);
        var backup = LocalBackup(1);
        var log = new ListLogger();
        var r = new DestinationStep(log).Run(new JobDestination($"s3://{bucket}/job?abort-uploads-after=1s"), backup, RetentionPolicy.Default, null, default);
        Assert.True(r.Succeeded, r.Error);
        Assert.Empty(UploadsUnder(bucket, "job/"));
        Assert.Contains(log.Messages, m => m.Contains("Aborted 1 unfinished upload(s)"));
        _ = dead;
    }

    [SkippableFact]
    public void An_object_deleted_behind_our_back_is_reported_missing_and_a_manifest_pointing_outside_its_prefix_is_refused()
    {
        string bucket = server.NewBucket();
        var first = LocalBackup(1);
        var second = LocalBackup(1);
        using var store = Store(bucket, "p");
        new BackupCopier().Copy(first, store);
        new BackupCopier().Copy(second, store);
        server.Admin.DeleteObjectAsync(bucket, "p/" + second.Manifest.File).GetAwaiter().GetResult();
        // A manifest that names a data object in another prefix (or bucket): never followed there.
        foreach (var file in new[] { "../q/" + second.Manifest.File, "q/" + second.Manifest.File })
        {
            var m = BackupManifest.TryParse(first.Manifest.ToJson(), out _)!;
            m.File = file;
            server.Admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p/" + second.Manifest.File + BackupManifest.Suffix, ContentBody = System.Text.Encoding.UTF8.GetString(m.ToJson()) }).GetAwaiter().GetResult();
            var log = new ListLogger();
            Assert.Equal([first.Id], new StoreCatalog(log).List(store).Select(b => b.Id));
            // '../q/x' is refused as a manifest at all (not a plain file name), 'q/x' as naming another object than its own.
            var warning = Assert.Single(log.Warnings);
            Assert.Contains($"Ignoring s3://{bucket}/p/{second.Manifest.File}{BackupManifest.Suffix}", warning);
            Assert.Contains($"'{file}'", warning);
        }

        server.Admin.DeleteObjectAsync(bucket, "p/" + first.Manifest.File).GetAwaiter().GetResult();
        var warned = new ListLogger();
        Assert.DoesNotContain(new StoreCatalog(warned).List(store), b => b.Id == first.Id);
        Assert.Contains(warned.Warnings, w => w.Contains(first.Manifest.File) && w.Contains("is missing (deleted behind our back?)"));
    }

    [SkippableFact]
    public void Quick_verification_checks_the_stored_object_where_it_lies_and_fails_a_tampered_one()
    {
        string bucket = server.NewBucket();
        UseServerFromEnvironment();
        var backup = LocalBackup(2);
        BackupInfo remote;
        using (var store = Store(bucket, "q")) remote = new BackupCopier().Copy(backup, store).Copy;
        
        var reports = new List<BackupProgress>();

        var ok = RemoteQuick.Verify(remote, reports.Add);
        Assert.True(ok.Passed, ok.Message);
        Assert.Equal(VerificationLevel.Quick, ok.Level);
        // Ceph radosgw 16 keeps no SHA-256 of an object (measured: a PUT's x-amz-checksum-sha256 is not returned by HEAD),
        // so the object was read back, as a stream.
        Assert.EndsWith("(read back)", ok.Checks.Single(c => c.Name == "Sha256").Message);
        Assert.Contains(reports, p => p.Status.Contains("/s ") && p.Status.Contains(" of "));
        Assert.Equal(ok.TimeUtc, Assert.Single(new StoreCatalog().ListLocation($"s3://{bucket}/q", false)).LastVerificationRecord!.TimeUtc);

        // Same size, other bytes: written by a plain client behind our back.
        string key = "q/" + remote.Manifest.File;
        var bytes = File.ReadAllBytes(backup.Path);
        bytes[bytes.Length / 2] ^= 0xff;
        server.Admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(bytes) }).GetAwaiter().GetResult();
        var tampered = RemoteQuick.Verify(remote);
        Assert.Equal(VerificationOutcome.Failed, tampered.Outcome);
        Assert.Equal("Sha256", tampered.Checks[^1].Name);
        Assert.Contains(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), tampered.Message);

        server.Admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(bytes[..^1]) }).GetAwaiter().GetResult();
        Assert.Equal("Size", RemoteQuick.Verify(remote).Checks[^1].Name);

        server.Admin.DeleteObjectAsync(bucket, key).GetAwaiter().GetResult();
        var gone = RemoteQuick.Verify(remote);
        Assert.Equal(VerificationOutcome.Failed, gone.Outcome);
        Assert.Equal("FilePresent", gone.Checks[^1].Name);
    }

    [SkippableFact]
    public void With_Object_Lock_on_a_copy_is_locked_as_long_as_its_retention_could_keep_it_and_a_delete_is_refused_and_reported()
    {
        string bucket = server.NewBucket(objectLock: true);
        UseServerFromEnvironment();
        var backup = LocalBackup(1);
        var policy = new RetentionPolicy { KeepDaily = 30, KeepWeekly = 2 };
        var log = new ListLogger();
        var r = new DestinationStep(log).Run(new JobDestination($"s3://{bucket}/locked", policy), backup, RetentionPolicy.Default, null, default);
        Assert.True(r.Succeeded, r.Error);

        var expected = DateTime.SpecifyKind(backup.Manifest.CreatedUtc, DateTimeKind.Utc).AddDays(30);
        foreach (var name in new[] { backup.Manifest.File, backup.Manifest.File + BackupManifest.Suffix })
        {
            var head = server.Admin.GetObjectMetadataAsync(bucket, "locked/" + name).GetAwaiter().GetResult();
            Assert.Equal(ObjectLockMode.Governance, head.ObjectLockMode);
            Assert.InRange(head.ObjectLockRetainUntilDate!.Value.ToUniversalTime(), expected.AddSeconds(-1), expected.AddSeconds(1));

            // A plain client (these very keys) cannot delete the locked version before the date.
            var denied = Assert.Throws<AmazonS3Exception>(() => server.Admin.DeleteObjectAsync(new DeleteObjectRequest
            {
                BucketName = bucket, Key = "locked/" + name, VersionId = head.VersionId,
            }).GetAwaiter().GetResult());
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        // Rotation with a rule that drops it says so and keeps it listed; Remove is refused with its own error.
        var listed = Assert.Single(new StoreCatalog().ListLocation($"s3://{bucket}/locked", false));
        var e = Assert.Throws<SqliteBackupException>(() => new StoreCatalog().Remove(listed));
        Assert.Equal("StoreObjectLocked", e.ErrorId);
        Assert.Contains($"until {expected:yyyy-MM-dd}", e.Message);
        var second = LocalBackup(1, db: _t[backup.Database + ".db"]);
        var rotated = new DestinationStep(log).Run(new JobDestination($"s3://{bucket}/locked", new RetentionPolicy { KeepLast = 1 }), second, RetentionPolicy.Default, null, default);
        Assert.True(rotated.Succeeded, rotated.Error);
        Assert.True(1 == rotated.Locked, $"kept {rotated.Kept}, removed {rotated.Removed}: " + string.Join(" | ", log.Messages));
        Assert.Equal(0, rotated.Removed);
        Assert.Contains(log.Warnings, w => w.Contains("Rotation kept backup " + backup.Id) && w.Contains("Object Lock"));
        Assert.Equal(new[] { backup.Id, second.Id }.Order(), new StoreCatalog().ListLocation($"s3://{bucket}/locked", false).Select(b => b.Id).Order());
    }

    [SkippableFact]
    public void Compliance_mode_is_the_locations_choice_and_an_unlocked_bucket_is_refused_when_the_location_asks_for_a_lock()
    {
        string locked = server.NewBucket(objectLock: true), plain = server.NewBucket();
        var backup = LocalBackup(1);
        using (var store = Store(locked, "c", "&lock-mode=compliance"))
            new BackupCopier { Retention = new RetentionPolicy { KeepMonthly = 12 } }.Copy(backup, store);
        var head = server.Admin.GetObjectMetadataAsync(locked, "c/" + backup.Manifest.File).GetAwaiter().GetResult();
        Assert.Equal(ObjectLockMode.Compliance, head.ObjectLockMode);
        Assert.Equal(DateTime.SpecifyKind(backup.Manifest.CreatedUtc, DateTimeKind.Utc).AddMonths(12).Date, head.ObjectLockRetainUntilDate!.Value.ToUniversalTime().Date);

        // Asked for a lock the bucket cannot give: refused before anything is written (it used to be written unlocked,
        // silently); without ?lock-mode= the same bucket takes the backup unlocked.
        using (var store = Store(plain, "c", "&lock-mode=compliance"))
        {
            Assert.Equal("StoreImmutabilityUnavailable", Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(backup, store)).ErrorId);
            Assert.Empty(store.List());
        }
        using (var store = Store(plain, "c"))
        {
            Assert.False(store.CanLock());
            new BackupCopier().Copy(backup, store);
            store.Delete(backup.Manifest.File + BackupManifest.Suffix);
            store.Delete(backup.Manifest.File);
            Assert.Empty(store.List());
        }
        Assert.Equal("StoreLocationInvalid", Assert.Throws<SqliteBackupException>(() => Store(plain, "c", "&lock-mode=forever")).ErrorId);
        Assert.Equal("StoreLocationInvalid", Assert.Throws<SqliteBackupException>(() => Store(plain, "c", "&abort-uploads-after=soon")).ErrorId);
    }
}
