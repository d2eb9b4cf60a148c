using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// ?lock-mode= on an s3:// location asks for immutability. Against a real Ceph radosgw: a bucket without Object Lock is
/// refused (StoreImmutabilityUnavailable) before any byte is uploaded, on every way a backup gets there, as an Azure
/// container without immutability is; without ?lock-mode= a bucket's own setting decides, as before. The bucket is asked
/// once per store, however many objects go there.
/// </summary>
[Collection(RadosGwCollection.Name)]
public sealed class S3LockModeTests(RadosGwServer server) : IDisposable
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey, Create = true };

    readonly TempDir _t = new();

    public void Dispose() => _t.Dispose();

    BackupInfo LocalBackup(string name = "app")
    {
        string db = _t[name + ".db"];
        if (!File.Exists(db)) Db.CreatePaired(db, wal: true, fillerRows: 500);
        return new BackupEngine().Create(new BackupRequest(db) { Destination = _t["local"], Verify = VerificationLevel.Quick, Type = BackupType.Automatic });
    }

    /// <summary>Every object version and every multipart upload in the bucket: what "nothing was uploaded" is checked against.</summary>
    (int Versions, int Uploads) Everything(string bucket) => (
        server.Admin.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket }).GetAwaiter().GetResult().Versions?.Count ?? 0,
        server.Admin.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket }).GetAwaiter().GetResult().MultipartUploads?.Count ?? 0);

    static void AssertRefused(SqliteBackupException e, string bucket)
    {
        Assert.Equal("StoreImmutabilityUnavailable", e.ErrorId);
        Assert.Contains($"s3://{bucket}/", e.Message);
        Assert.Contains("has no Object Lock configuration", e.Message);
        Assert.Contains("--object-lock-enabled-for-bucket", e.RecommendedAction);
        Assert.Contains("leave ?lock-mode= out", e.RecommendedAction);
        Assert.DoesNotContain(RadosGwServer.SecretKey, e.Message + e.RecommendedAction + e);
    }

    [SkippableFact]
    public void Lock_mode_on_a_bucket_without_Object_Lock_is_refused_before_any_byte_is_uploaded_by_every_way_a_backup_gets_there()
    {
        string bucket = server.NewBucket();
        string location = server.LocationOf(bucket, "p") + "&lock-mode=governance";
        var backup = LocalBackup();
        var log = new ListLogger();

        // Copy-SqliteBackup.
        using (var store = new S3Store(new Uri(location), Keys))
            AssertRefused(Assert.Throws<SqliteBackupException>(() => new BackupCopier(log).Copy(backup, store)), bucket);

        // New-SqliteBackup -BackupPath s3://... (plain and incremental): refused before the database is opened.
        foreach (bool incremental in new[] { false, true })
        {
            using var store = new S3Store(new Uri(location), Keys);
            var e = Assert.Throws<SqliteBackupException>(() => RemoteBackup.Create(new BackupRequest(_t["app.db"]) { Incremental = incremental }, store, log));
            AssertRefused(e, bucket);
        }

        // A snapshot copied into a repository there: no lock object, no config.
        var snapshot = Repository.RepositoryCopyTests.Snapshot(_t["app.db"], _t["repo"]);
        using (var store = new S3Store(new Uri(location), Keys))
            AssertRefused(Assert.Throws<SqliteBackupException>(() => { new RepositoryCopier(log).Copy(snapshot, store); }), bucket);

        // A job destination: that destination fails with the error, logged.
        Environment.SetEnvironmentVariable("SBT_S3_KEY_LOCKMODE", RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable("SBT_S3_SECRET_LOCKMODE", RadosGwServer.SecretKey);
        try
        {
            foreach (var b in new[] { backup, snapshot })
            {
                var r = new DestinationStep(log).Run(new JobDestination(location) { Credential = new DestinationCredential("SBT_S3_KEY_LOCKMODE", "SBT_S3_SECRET_LOCKMODE", null) },
                    b, RetentionPolicy.Default, null, default);
                Assert.False(r.Succeeded);
                Assert.Equal("StoreImmutabilityUnavailable", r.ErrorId);
                Assert.Contains("has no Object Lock configuration", r.Error);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("SBT_S3_KEY_LOCKMODE", null);
            Environment.SetEnvironmentVariable("SBT_S3_SECRET_LOCKMODE", null);
        }
        Assert.Contains(log.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Message.Contains("StoreImmutabilityUnavailable") && e.Message.Contains($"s3://{bucket}/p"));

        Assert.Equal((0, 0), Everything(bucket));
    }

    [SkippableFact]
    public void Without_lock_mode_a_plain_bucket_is_written_unlocked_and_a_bucket_with_a_default_retention_locks_by_its_own_rule()
    {
        string plain = server.NewBucket(), locked = server.NewBucket(objectLock: true);
        server.Admin.PutObjectLockConfigurationAsync(new PutObjectLockConfigurationRequest
        {
            BucketName = locked,
            ObjectLockConfiguration = new ObjectLockConfiguration
            {
                ObjectLockEnabled = ObjectLockEnabled.Enabled,
                Rule = new ObjectLockRule { DefaultRetention = new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 1 } },
            },
        }).GetAwaiter().GetResult();
        var backup = LocalBackup();

        using (var store = new S3Store(new Uri(server.LocationOf(plain, "p")), Keys))
        {
            Assert.False(store.CanLock());
            Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(backup, store).Status);
            Assert.Null(server.Admin.GetObjectMetadataAsync(plain, "p/" + backup.Manifest.File).GetAwaiter().GetResult().ObjectLockRetainUntilDate);
            store.Delete(backup.Manifest.File + BackupManifest.Suffix);
            store.Delete(backup.Manifest.File);
            Assert.Empty(store.List());
        }

        // Our own date (the default policy's 12 months) where the bucket locks, not the bucket's one day.
        using (var store = new S3Store(new Uri(server.LocationOf(locked, "p")), Keys))
        {
            Assert.True(store.CanLock());
            new BackupCopier().Copy(backup, store);
            var head = server.Admin.GetObjectMetadataAsync(locked, "p/" + backup.Manifest.File).GetAwaiter().GetResult();
            Assert.Equal(ObjectLockMode.Governance, head.ObjectLockMode);
            Assert.Equal(DateTime.SpecifyKind(backup.Manifest.CreatedUtc, DateTimeKind.Utc).AddMonths(12).Date, head.ObjectLockRetainUntilDate!.Value.ToUniversalTime().Date);
        }
    }

    [SkippableFact]
    public void A_prune_through_a_lock_mode_location_on_a_plain_bucket_still_frees_space()
    {
        string bucket = server.NewBucket();
        using (var plain = new S3Store(new Uri(server.LocationOf(bucket, "r")), Keys))
        {
            Db.CreatePaired(_t["live.db"], wal: true, fillerRows: 3000);
            RemoteBackup.Create(new BackupRequest(_t["live.db"]) { Incremental = true, Type = BackupType.Automatic }, plain, new ListLogger());
            Repository.RepositoryCopyTests.Churn(_t["live.db"], 1);
            var second = RemoteBackup.Create(new BackupRequest(_t["live.db"]) { Incremental = true, Type = BackupType.Automatic }, plain, new ListLogger());
            // The pack(s) the second snapshot added hold only its changed blocks: no snapshot names them once it is gone.
            Assert.NotEmpty(second.Manifest.Repository!.AddedPacks);
            plain.Delete(second.Manifest.File + BackupManifest.Suffix);
        }
        using var asked = new S3Store(new Uri(server.LocationOf(bucket, "r") + "&lock-mode=governance"), Keys);
        var later = DateTime.UtcNow.AddHours(2);
        var whatIf = RepositoryPruner.Prune(asked, true, new ListLogger(), later);
        Assert.True(whatIf.PacksDeleted > 0);
        Assert.Empty(whatIf.Locked);
        var pruned = RepositoryPruner.Prune(asked, false, new ListLogger(), later);
        Assert.Equal(whatIf.PacksDeleted, pruned.PacksDeleted);
    }

    [SkippableFact]
    public void The_bucket_is_asked_once_per_store_however_many_objects_go_there_and_a_refusal_is_not_asked_again()
    {
        string locked = server.NewBucket(objectLock: true), plain = server.NewBucket();
        using var proxy = new CountingProxy(server.Endpoint);
        string Via(string bucket) => $"s3://{bucket}/p?endpoint={Uri.EscapeDataString(proxy.Endpoint.AbsoluteUri)}";
        var backups = new[] { LocalBackup("a"), LocalBackup("b"), LocalBackup("c") };

        using (var store = new S3Store(new Uri(Via(locked) + "&lock-mode=governance"), Keys))
            foreach (var b in backups) Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(b, store).Status);
        Assert.Equal(1, proxy.Count("?object-lock"));

        using (var store = new S3Store(new Uri(Via(plain) + "&lock-mode=governance"), Keys))
            foreach (var b in backups) Assert.Equal("StoreImmutabilityUnavailable", Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(b, store)).ErrorId);
        Assert.Equal(2, proxy.Count("?object-lock"));
        Assert.Equal((0, 0), Everything(plain));
    }

    /// <summary>
    /// A TCP relay to the real server that keeps what clients sent, to count requests by their request line. Only for
    /// small requests (it keeps every byte sent through it).
    /// </summary>
    sealed class CountingProxy : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly Uri _upstream;
        readonly StringBuilder _sent = new();
        readonly CancellationTokenSource _stop = new();

        public CountingProxy(Uri upstream)
        {
            _upstream = upstream;
            _listener.Start();
            Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
            _ = Task.Run(AcceptAll);
        }

        public Uri Endpoint { get; }

        public int Count(string needle)
        {
            string text;
            lock (_sent) text = _sent.ToString();
            int n = 0;
            for (int at = text.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = text.IndexOf(needle, at + 1, StringComparison.Ordinal)) n++;
            return n;
        }

        async Task AcceptAll()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using var c = client;
                    using var up = new TcpClient();
                    await up.ConnectAsync(_upstream.Host, _upstream.Port);
                    var fromClient = Pump(c.GetStream(), up.GetStream(), keep: true);
                    var fromServer = Pump(up.GetStream(), c.GetStream(), keep: false);
                    await Task.WhenAny(fromClient, fromServer);
                });
            }
        }

        async Task Pump(NetworkStream from, NetworkStream to, bool keep)
        {
            var buffer = new byte[65536];
            try
            {
                int n;
                while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    if (keep) lock (_sent) _sent.Append(Encoding.Latin1.GetString(buffer, 0, n));
                    await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                }
            }
            catch (Exception) { }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
