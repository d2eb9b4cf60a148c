using ListMultipartUploadsRequest = Amazon.S3.Model.ListMultipartUploadsRequest;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Tests.Copies;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// The streaming promises against a real radosgw: a backup goes up in parts straight from the snapshot (a scratch
/// folder far too small for it is enough), is read back once to verify, is read once to verify again or to restore, and
/// an upload that fails half way leaves neither an object nor an incomplete multipart upload.
/// </summary>
[Collection(RadosGwCollection.Name)]
public sealed class StreamingS3Tests(RadosGwServer server)
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey };

    string? _bucket;
    string Bucket => _bucket ??= server.NewBucket();

    /// <summary>Small parts, so a few MiB already make a multipart object (which carries no whole-object SHA-256).</summary>
    CountingStore NewStore(string prefix)
    {
        var s3 = new S3Store(new Uri(server.LocationOf(Bucket, prefix)), Keys, S3Store.MinimumPartSize);
        return new CountingStore(s3);
    }

    [SkippableFact]
    public void A_backup_streams_to_radosgw_through_a_scratch_too_small_for_it_and_each_check_or_restore_reads_it_once()
    {
        server.Require();
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        string db = StreamingBackupTests.RandomDatabase(t["app.db"], 12, wal: true);
        using var scratch = new TmpfsMount(t["scratch"], "size=1m");
        Assert.True(scratch.Mounted, scratch.MountError);
        using var store = NewStore("streamed");

        var b = RemoteBackup.Create(new BackupRequest(db) { ScratchPath = scratch.Path }, store, new ListLogger());

        Assert.True(b.StoredSize > 3 * S3Store.MinimumPartSize / 2, "the backup must need several parts");
        var reads = () => CountingStore.ReadsOf(store.Location, b.Manifest.File);
        Assert.Equal((1, b.StoredSize), (reads().Opens, reads().Bytes));
        var listed = Assert.Single(new StoreCatalog().List(store));
        Assert.True(listed.Verified);
        Assert.Empty(Directory.GetFileSystemEntries(scratch.Path));

        foreach (var level in new[] { VerificationLevel.Standard, VerificationLevel.Full })
        {
            CountingStore.Reset(store.Location);
            var r = new BackupVerifier(null, t["checks"]).Verify(listed, store, level);
            Assert.True(r.Passed, r.Message);
            Assert.Equal((1, b.StoredSize), (reads().Opens, reads().Bytes));
        }
        CountingStore.Reset(store.Location);
        var restored = new Restorer().Restore(listed, store, new RestoreRequest(t["restored.db"]));
        Assert.Equal((1, b.StoredSize), (reads().Opens, reads().Bytes));
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(restored.Destination));
    }

    [SkippableFact]
    public void An_upload_that_fails_half_way_leaves_no_backup_and_no_incomplete_upload()
    {
        server.Require();
        using var t = new TempDir();
        string db = StreamingBackupTests.RandomDatabase(t["app.db"], 12, wal: false);
        using var store = NewStore("failing");
        // After the first part went up: the multipart upload exists on the server when the source fails.
        CountingStore.Spoil(store.Location, CountingStore.FailAfter(S3Store.MinimumPartSize + (1 << 20)));
        try
        {
            var e = Assert.Throws<SqliteBackupException>(() => RemoteBackup.Create(new BackupRequest(db) { ScratchPath = t["scratch"] }, store, new ListLogger()));
            Assert.Contains("failed mid-upload", e.ToString());
        }
        finally { CountingStore.Spoil(store.Location, null); }

        Assert.Empty(store.List());
        var uploads = server.Admin.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = "failing/" }).GetAwaiter().GetResult();
        Assert.Empty(uploads.MultipartUploads ?? []);
        Assert.Empty(Directory.GetFileSystemEntries(t["scratch"]));
    }
}
