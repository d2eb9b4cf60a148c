using Amazon.S3;
using Amazon.S3.Model;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// What radosgw stores, proven by its ETag instead of a read-back (it keeps no SHA-256 of an object): the upload
/// hashes MD5 and SHA-256 of the bytes it sends, and a Stat by the same store trusts that SHA-256 only while the
/// service shows the ETag those bytes gave. Reads of data objects are counted around the real S3Store.
/// </summary>
[Collection(RadosGwCollection.Name)]
public sealed class S3ETagTests(RadosGwServer server) : IDisposable
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey };
    readonly TempDir _t = new();

    public void Dispose() => _t.Dispose();

    BackupInfo LocalBackup(int mebibytes)
    {
        string db = _t["app-" + Guid.NewGuid().ToString("N")[..6] + ".db"];
        Db.Exec(db, $"CREATE TABLE b(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {mebibytes * 4}) INSERT INTO b SELECT randomblob(262144) FROM n;");
        return new BackupEngine().Create(new BackupRequest(db) { Destination = _t["local"], Verify = VerificationLevel.Quick, Type = BackupType.Automatic });
    }

    S3Store Store(string bucket, string prefix) => new(new Uri(server.LocationOf(bucket, prefix)), Keys, S3Store.MinimumPartSize);

    string HeadETag(string bucket, string key) => server.Admin.GetObjectMetadataAsync(bucket, key).GetAwaiter().GetResult().ETag;

    [SkippableTheory]
    [InlineData(12, "-3\"")] // 5 MiB parts: a multipart object, whose ETag is no MD5 of its bytes
    [InlineData(1, "")] // a single PUT
    public void A_copy_is_checked_by_the_services_ETag_without_reading_it_back(int mebibytes, string etagEnds)
    {
        string bucket = server.NewBucket();
        var backup = LocalBackup(mebibytes);
        string file = backup.Manifest.File;
        using var s3 = Store(bucket, "p");
        var counted = new CountingStore(s3);

        var result = new BackupCopier().Copy(backup, counted);

        Assert.Equal(CopyStatus.Copied, result.Status);
        if (etagEnds == "") Assert.DoesNotContain("-", HeadETag(bucket, "p/" + file));
        else Assert.EndsWith(etagEnds, HeadETag(bucket, "p/" + file));
        Assert.Equal(0, CountingStore.ReadsOf(counted.Location, file).Opens);
        // The SHA-256 comes from the server's ETag being the one our bytes give, not from the service's checksum.
        Assert.Null(server.Admin.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "p/" + file, ChecksumMode = ChecksumMode.ENABLED })
            .GetAwaiter().GetResult().ChecksumSHA256);
        Assert.Equal(backup.Manifest.StoredSha256, s3.Stat(file)!.Sha256);

        // The verifier's Quick, through the store that uploaded it (as New-SqliteBackup's own verification does): no read.
        var quick = new BackupVerifier().Verify(result.Copy, counted, VerificationLevel.Quick, record: false);
        Assert.True(quick.Passed, quick.Message);
        Assert.Equal(0, CountingStore.ReadsOf(counted.Location, file).Opens);

        // Another instance never hashed those bytes: it knows nothing, and a Quick check reads the object back.
        using var other = Store(bucket, "p");
        Assert.Null(other.Stat(file)!.Sha256);
    }

    [SkippableTheory]
    [InlineData(12)]
    [InlineData(1)]
    public void An_object_replaced_between_upload_and_check_is_read_back_and_the_copy_fails_as_corrupted(int mebibytes)
    {
        string bucket = server.NewBucket();
        var backup = LocalBackup(mebibytes);
        string file = backup.Manifest.File;
        using var s3 = Store(bucket, "p");
        var counted = new CountingStore(s3);
        string? etagSent = null;
        // Behind our back, right after our upload: same name, same size, other bytes.
        var replacing = new AfterPut(counted, name =>
        {
            if (name != file) return;
            etagSent = HeadETag(bucket, "p/" + name);
            var other = new byte[backup.Size];
            Random.Shared.NextBytes(other);
            server.Admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p/" + name, InputStream = new MemoryStream(other) }).GetAwaiter().GetResult();
        });

        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(backup, replacing));

        Assert.Equal("CopyCorrupted", e.ErrorId);
        Assert.NotNull(etagSent);
        Assert.Equal(1, CountingStore.ReadsOf(counted.Location, file).Opens); // read back: the ETag proved nothing
        Assert.Empty(s3.List());
    }

    [SkippableFact]
    public void A_part_damaged_on_its_way_is_refused_by_its_Content_MD5_and_nothing_is_left()
    {
        string bucket = server.NewBucket();
        var data = new byte[3 * S3Store.MinimumPartSize + 100];
        Random.Shared.NextBytes(data);
        int parts = 0;
        // The seam damages a part after its MD5 was taken, as a network would: the real server must refuse it.
        var upload = new S3Upload(server.Admin, server.Admin, StoreTimeouts.DefaultStallTimeout, bucket, "p/damaged.db.zst", S3Store.MinimumPartSize, () => new InvalidOperationException("exists"))
        {
            BeforeSend = (buffer, length) => { if (Interlocked.Increment(ref parts) == 2) buffer[length / 2] ^= 0x55; },
        };

        var e = Assert.ThrowsAny<AmazonS3Exception>(() => upload.Run(new MemoryStream(data), createOnly: true, null, default));

        Assert.Equal("BadDigest", e.ErrorCode);
        var list = server.Admin.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }).GetAwaiter().GetResult();
        Assert.Empty(list.S3Objects ?? []);
        Assert.Empty(server.Admin.ListMultipartUploadsAsync(bucket).GetAwaiter().GetResult().MultipartUploads ?? []);

        // The same upload undamaged: proven by its ETag, with the SHA-256 of what was sent.
        var sent = new S3Upload(server.Admin, server.Admin, StoreTimeouts.DefaultStallTimeout, bucket, "p/whole.db.zst", S3Store.MinimumPartSize, () => new InvalidOperationException("exists"))
            .Run(new MemoryStream(data), createOnly: true, null, default);
        Assert.NotNull(sent);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)).ToLowerInvariant(), sent.Sha256);
        Assert.Equal(HeadETag(bucket, "p/whole.db.zst").Trim('"'), sent.ETag);
        Assert.EndsWith("-4", sent.ETag);
    }

    sealed class AfterPut(IBackupStore inner, Action<string> after) : IBackupStore
    {
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
        {
            inner.Put(name, content, createOnly, progress, ct);
            after(name);
        }
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() => inner.Dispose();
    }
}
