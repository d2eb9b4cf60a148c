using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Amazon.S3.Model;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>The store contract and S3's own promises, against a real Ceph radosgw: a fresh bucket per test.</summary>
[Collection(RadosGwCollection.Name)]
public sealed class S3StoreTests(RadosGwServer server) : StoreContract
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey };

    string? _bucket;
    string Bucket => _bucket ??= server.NewBucket();

    protected override IBackupStore NewStore() => StoreRegistry.Open(server.LocationOf(Bucket, "backups/" + Guid.NewGuid().ToString("N")[..8]), Keys);

    S3Store NewS3Store(string prefix, int partSize = S3Store.MinimumPartSize, StoreOptions? options = null) =>
        new(new Uri(server.LocationOf(Bucket, prefix)), options ?? Keys, partSize);

    List<MultipartUpload> UploadsUnder(string prefix) =>
        server.Admin.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = prefix }).GetAwaiter().GetResult().MultipartUploads ?? [];

    static byte[] Read(IBackupStore store, string name)
    {
        using var s = store.OpenRead(name);
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    [SkippableFact]
    public void The_s3_scheme_opens_an_S3_store_whose_location_names_bucket_and_prefix_only()
    {
        using var store = StoreRegistry.Open(server.LocationOf(Bucket, "a/b"), Keys);
        Assert.IsType<S3Store>(store);
        Assert.Equal($"s3://{Bucket}/a/b", store.Location);
        var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("s3://AKIAEXAMPLE:hunter2@bucket/x"));
        Assert.Equal("StoreLocationInvalid", e.ErrorId);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.Equal("StoreLocationInvalid", Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("s3://bucket/x?endpointt=http://h")).ErrorId);
    }

    [SkippableFact]
    public void Keys_endpoint_and_region_come_from_the_AWS_environment_variables_and_a_missing_profile_is_named()
    {
        string bucket = Bucket;
        // Only this collection's tests read these, and a collection's tests run one at a time.
        string[] variables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_PROFILE",
            "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_EC2_METADATA_DISABLED"];
        var saved = variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in variables) Environment.SetEnvironmentVariable(v, null);
            // No keys anywhere (and no instance to ask): refused before anything is sent.
            Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
            Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL", server.Endpoint.AbsoluteUri);
            using (var store = StoreRegistry.Open($"s3://{bucket}/env"))
            {
                var e = Assert.Throws<SqliteBackupException>(() => store.List());
                Assert.Equal("StoreAccessDenied", e.ErrorId);
            }

            // A profile is read through the SDK's chain too; where its files are, the SDK settles once per process
            // (before this test could point it at files of its own), so only a missing profile is tested here.
            Environment.SetEnvironmentVariable("AWS_PROFILE", "nosuchprofile");
            using (var store = StoreRegistry.Open($"s3://{bucket}/env"))
            {
                var e = Assert.Throws<SqliteBackupException>(() => store.List());
                Assert.Equal("StoreAccessDenied", e.ErrorId);
                Assert.Contains("'nosuchprofile' (AWS_PROFILE)", e.Message);
            }

            Environment.SetEnvironmentVariable("AWS_PROFILE", null);
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL", null);
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", RadosGwServer.AccessKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", RadosGwServer.SecretKey);
            Environment.SetEnvironmentVariable("AWS_REGION", "eu-west-3");
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", server.Endpoint.AbsoluteUri);
            using (var store = StoreRegistry.Open($"s3://{bucket}/env"))
            {
                store.Put("from-environment", new MemoryStream(Bytes(10)), createOnly: true);
                Assert.Equal(["from-environment"], store.List().Select(o => o.Name));
            }

            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "Wr0ng-s3cret-value");
            using (var store = StoreRegistry.Open($"s3://{bucket}/env"))
            {
                var e = Assert.Throws<SqliteBackupException>(() => store.List());
                Assert.Equal("StoreAccessDenied", e.ErrorId);
                Assert.DoesNotContain("Wr0ng-s3cret-value", e.ToString());
            }
        }
        finally
        {
            foreach (var (v, value) in saved) Environment.SetEnvironmentVariable(v, value);
        }
    }

    [SkippableFact]
    public void A_large_object_goes_up_in_parts_and_reads_back_identical()
    {
        using var store = NewS3Store("big");
        var data = Bytes(40 * 1024 * 1024 + 123, seed: 7);
        long reported = 0;
        var threads = new HashSet<int>();
        store.Put("big.db.zst", new NonSeekable(data), createOnly: true, new Progress(b => { reported = b; threads.Add(Environment.CurrentManagedThreadId); }));
        // A shell can draw progress only from its own thread.
        Assert.Equal([Environment.CurrentManagedThreadId], threads);

        var head = server.Admin.GetObjectMetadataAsync(Bucket, "big/big.db.zst").GetAwaiter().GetResult();
        Assert.EndsWith("-9\"", head.ETag); // 8 parts of 5 MiB and the rest: a multipart object's ETag counts its parts
        Assert.Equal(data.Length, store.Stat("big.db.zst")!.Size);
        Assert.Equal(data.Length, reported);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(Read(store, "big.db.zst")));
        Assert.Empty(UploadsUnder("big/"));
    }

    [SkippableFact]
    public void A_multipart_upload_that_dies_midway_leaves_no_object_and_no_upload()
    {
        using var store = NewS3Store("dies");
        // Two parts are on the server when the source fails.
        // The source's own failure comes back as it was, not dressed up as the server's.
        var e = Assert.Throws<IOException>(() => store.Put("half.db.zst", new FailingStream(Bytes(20 << 20), failAfter: 12 << 20), createOnly: true));
        Assert.Equal("the source failed mid-transfer", e.Message);
        Assert.Null(store.Stat("half.db.zst"));
        Assert.Empty(store.List());
        Assert.Empty(UploadsUnder("dies/"));
    }

    [SkippableFact]
    public void Uploads_a_killed_run_left_are_aborted_by_the_next_and_other_locations_are_left_alone()
    {
        using var store = NewS3Store("killed");
        // What a process killed mid-upload leaves: an initiated upload with a part, never completed nor aborted.
        foreach (var key in new[] { "killed/left.db.zst", "killed/nested/other-location.db.zst", "killedx/sibling.db.zst" })
        {
            var up = server.Admin.InitiateMultipartUploadAsync(Bucket, key).GetAwaiter().GetResult();
            server.Admin.UploadPartAsync(new UploadPartRequest { BucketName = Bucket, Key = key, UploadId = up.UploadId, PartNumber = 1, InputStream = new MemoryStream(Bytes(1024)) }).GetAwaiter().GetResult();
        }
        Assert.Empty(store.List());
        Assert.Equal(0, store.AbortStaleUploads(TimeSpan.FromHours(1))); // too young: may still be running
        Assert.Equal(1, ((IStaleUploadCleanup)store).AbortStaleUploads(TimeSpan.Zero));
        Assert.Equal(["killed/nested/other-location.db.zst"], UploadsUnder("killed/").Select(u => u.Key));
        Assert.Single(UploadsUnder("killedx/"));
    }

    [SkippableFact]
    public void Create_only_holds_for_a_multipart_upload_too()
    {
        using var store = NewS3Store("mp-create-only");
        var first = Bytes(11 << 20, seed: 1);
        store.Put("x.db.zst", new MemoryStream(first), createOnly: true);
        var e = Assert.Throws<SqliteBackupException>(() => store.Put("x.db.zst", new MemoryStream(Bytes(11 << 20, seed: 2)), createOnly: true));
        Assert.Equal("StoreObjectExists", e.ErrorId);
        Assert.Equal(SHA256.HashData(first), SHA256.HashData(Read(store, "x.db.zst")));
        Assert.Empty(UploadsUnder("mp-create-only/"));
    }

    [SkippableFact]
    public void Two_writers_racing_for_one_name_one_wins_and_the_other_is_told()
    {
        using var store = NewS3Store("race");
        var results = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            try { store.Put("race", new MemoryStream(Bytes(256 * 1024, i)), createOnly: true); results[i] = "won"; }
            catch (SqliteBackupException e) { results[i] = e.ErrorId; }
        });
        var winner = Assert.Single(results, r => r.Value == "won").Key;
        Assert.Equal(7, results.Count(r => r.Value == "StoreObjectExists"));
        Assert.Equal(SHA256.HashData(Bytes(256 * 1024, winner)), SHA256.HashData(Read(store, "race")));
    }

    [SkippableFact]
    public void A_wrong_secret_or_an_unknown_key_is_access_denied_and_the_secret_is_never_shown()
    {
        string bucket = Bucket;
        foreach (var options in new[]
        {
            new StoreOptions { UserName = RadosGwServer.AccessKey, Secret = "Wr0ng-s3cret-value" },
            new StoreOptions { UserName = "NOSUCHKEY", Secret = "Wr0ng-s3cret-value" },
        })
        {
            using var store = NewS3Store("denied", options: options);
            foreach (Action op in new Action[] { () => store.List(), () => store.Put("o", new MemoryStream(Bytes(10)), true), () => store.Stat("o") })
            {
                var e = Assert.Throws<SqliteBackupException>(op);
                Assert.Equal("StoreAccessDenied", e.ErrorId);
                Assert.Contains($"s3://{bucket}/denied", e.Message);
                Assert.DoesNotContain("Wr0ng-s3cret-value", e.Message + e.RecommendedAction + e);
            }
        }
    }

    [SkippableFact]
    public void A_missing_bucket_is_reported_as_such_by_every_operation()
    {
        server.Require();
        using var store = new S3Store(new Uri(server.LocationOf("no-such-bucket-" + Guid.NewGuid().ToString("N")[..8], "p")), Keys);
        foreach (Action op in new Action[] { () => store.List(), () => store.Stat("o"), () => store.OpenRead("o"), () => store.Put("o", new MemoryStream(Bytes(10)), true) })
            Assert.Equal("StoreLocationNotFound", Assert.Throws<SqliteBackupException>(op).ErrorId);
    }

    [SkippableFact]
    public void A_server_that_never_answers_is_unavailable_within_a_bounded_time()
    {
        server.Require();
        // Connections are accepted (the kernel's backlog) and never answered.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        using var store = new S3Store(new Uri($"s3://bucket/p?endpoint={Uri.EscapeDataString(endpoint)}"), Keys with { Timeout = TimeSpan.FromSeconds(1) });
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SqliteBackupException>(() => store.List());
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.Contains(endpoint, e.Message);
        // It waited for its limit (a timer may fire a millisecond before this stopwatch says 1 s) and did not hang.
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 30);
    }

    /// <summary>A source that cannot tell its length, like a compressor's output.</summary>
    sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }

    sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

public sealed class S3PartSizeTests
{
    [Fact]
    public void Parts_stay_16_MiB_up_to_15_GiB_and_10000_parts_reach_past_S3s_5_TiB_limit()
    {
        Assert.Equal(16 << 20, S3Store.PartSize(S3Store.DefaultPartSize, 1));
        Assert.Equal(16 << 20, S3Store.PartSize(S3Store.DefaultPartSize, 1000));
        Assert.Equal(32 << 20, S3Store.PartSize(S3Store.DefaultPartSize, 1001));
        long total = Enumerable.Range(1, 10_000).Sum(n => (long)S3Store.PartSize(S3Store.DefaultPartSize, n));
        Assert.True(total > 5L << 40, $"10,000 parts hold only {total} bytes");
    }
}
