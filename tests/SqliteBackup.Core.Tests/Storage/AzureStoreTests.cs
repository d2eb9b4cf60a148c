using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Azure;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>The store contract and Azure's own promises, against a real Azurite: a fresh container per test.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureStoreTests(AzuriteServer server) : StoreContract
{
    static readonly StoreOptions Keys = new() { UserName = AzuriteServer.Account, Secret = AzuriteServer.Key };

    /// <summary>The variables Azure's tools read; tests that set them restore them (a collection's tests run one at a time).</summary>
    static readonly string[] Variables = ["AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN"];

    string? _container;
    string Container => _container ??= server.NewContainer();

    protected override IBackupStore NewStore() => StoreRegistry.Open(server.LocationOf(Container, "backups/" + Guid.NewGuid().ToString("N")[..8]), Keys);

    AzureStore NewAzureStore(string prefix, int blockSize = 1 << 20, StoreOptions? options = null) =>
        new(new Uri(server.LocationOf(Container, prefix)), options ?? Keys, blockSize);

    BlockBlobClient Blob(string key) => server.Admin.GetBlobContainerClient(Container).GetBlockBlobClient(key);

    static byte[] Read(IBackupStore store, string name)
    {
        using var s = store.OpenRead(name);
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    static T WithEnvironment<T>(IReadOnlyDictionary<string, string?> values, Func<T> body)
    {
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in Variables) Environment.SetEnvironmentVariable(v, values.TryGetValue(v, out var value) ? value : null);
            return body();
        }
        finally
        {
            foreach (var (v, value) in saved) Environment.SetEnvironmentVariable(v, value);
        }
    }

    [SkippableFact]
    public void The_azure_schemes_open_an_Azure_store_whose_location_reopens_the_same_place_and_names_no_secret()
    {
        string container = Container;
        using (var store = StoreRegistry.Open(server.LocationOf(container, "a/b"), Keys))
        {
            Assert.IsType<AzureStore>(store);
            Assert.Equal($"azure+http://{server.Endpoint.Authority}/devstoreaccount1/{container}/a/b", store.Location);
            store.Put("one", new MemoryStream(Bytes(10)), createOnly: true);
        }
        // azure://account with the endpoint in the query: shown (and reopened) as the container URL, since a query
        // is dropped wherever a location is shown.
        using (var store = StoreRegistry.Open($"azure://devstoreaccount1/{container}/a/b?endpoint={Uri.EscapeDataString(server.Endpoint.AbsoluteUri)}", Keys))
        {
            Assert.Equal($"azure+http://{server.Endpoint.Authority}/devstoreaccount1/{container}/a/b", store.Location);
            using var again = StoreRegistry.Open(store.Location, Keys);
            Assert.Equal(["one"], again.List().Select(o => o.Name));
        }
    }

    [SkippableFact]
    public void Credentials_come_from_the_environment_variables_Azures_tools_read()
    {
        string container = Container;
        string location = $"azure://devstoreaccount1/{container}/env";
        var sas = new BlobSasBuilder(BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = container }
            .ToSasQueryParameters(new Azure.Storage.StorageSharedKeyCredential(AzuriteServer.Account, AzuriteServer.Key)).ToString();

        // A connection string names its endpoint: azure://account is enough.
        WithEnvironment(new Dictionary<string, string?> { ["AZURE_STORAGE_CONNECTION_STRING"] = server.ConnectionString }, () =>
        {
            using var store = StoreRegistry.Open(location);
            store.Put("from-connection-string", new MemoryStream(Bytes(10)), createOnly: true);
            Assert.Equal($"azure://devstoreaccount1/{container}/env", store.Location);
            return 0;
        });
        string url = server.LocationOf(container, "env");
        WithEnvironment(new Dictionary<string, string?> { ["AZURE_STORAGE_ACCOUNT"] = AzuriteServer.Account, ["AZURE_STORAGE_KEY"] = AzuriteServer.Key }, () =>
        {
            using var store = StoreRegistry.Open(url);
            store.Put("from-account-key", new MemoryStream(Bytes(10)), createOnly: true);
            return 0;
        });
        WithEnvironment(new Dictionary<string, string?> { ["AZURE_STORAGE_SAS_TOKEN"] = "?" + sas }, () =>
        {
            using var store = StoreRegistry.Open(url);
            store.Put("from-sas", new MemoryStream(Bytes(10)), createOnly: true);
            Assert.Equal(["from-account-key", "from-connection-string", "from-sas"], store.List().Select(o => o.Name).Order(StringComparer.Ordinal));
            return 0;
        });

        // Nothing set: refused before anything is sent. Credentials for another account: refused too.
        foreach (var (env, expected) in new (Dictionary<string, string?>, string)[]
        {
            (new(), "no Azure credentials were found"),
            (new() { ["AZURE_STORAGE_ACCOUNT"] = "otheraccount", ["AZURE_STORAGE_KEY"] = AzuriteServer.Key }, "'otheraccount' (AZURE_STORAGE_ACCOUNT)"),
            (new() { ["AZURE_STORAGE_CONNECTION_STRING"] = server.ConnectionString.Replace("devstoreaccount1;", "otheraccount;") }, "for the storage account 'otheraccount'"),
            (new() { ["AZURE_STORAGE_CONNECTION_STRING"] = "AccountName=x;AccountKey=Wr0ng-s3cret-value;Nonsense" }, "not a connection string"),
            (new() { ["AZURE_STORAGE_KEY"] = "Wr0ng-s3cret-value!" }, "AZURE_STORAGE_KEY is not an account key"),
        })
        {
            var e = WithEnvironment(env, () => Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open(url).List()));
            Assert.Equal("StoreAccessDenied", e.ErrorId);
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain("Wr0ng-s3cret-value", e.ToString());
            Assert.DoesNotContain(AzuriteServer.Key, e.ToString());
        }
    }

    [SkippableFact]
    public void A_wrong_key_or_SAS_is_access_denied_naming_the_location_and_never_the_secret()
    {
        string container = Container;
        string wrongKey = Convert.ToBase64String(SHA512.HashData("Wr0ng-s3cret-value"u8));
        string forgedSas = "sv=2023-11-03&sr=c&sp=racwdl&se=2099-01-01T00%3A00%3A00Z&sig=" + Uri.EscapeDataString(Convert.ToBase64String(SHA256.HashData("forged"u8)));
        var stores = new Func<IBackupStore>[]
        {
            () => NewAzureStore("denied", options: new StoreOptions { UserName = AzuriteServer.Account, Secret = wrongKey }),
            () => WithEnvironment(new Dictionary<string, string?> { ["AZURE_STORAGE_SAS_TOKEN"] = forgedSas }, () => StoreRegistry.Open(server.LocationOf(container, "denied"))),
        };
        foreach (var open in stores)
        {
            using var store = open();
            foreach (Action op in new Action[] { () => store.List(), () => store.Put("o", new MemoryStream(Bytes(10)), true), () => store.Stat("o"), () => store.OpenRead("o") })
            {
                var e = Assert.Throws<SqliteBackupException>(op);
                Assert.Equal("StoreAccessDenied", e.ErrorId);
                Assert.Contains(server.LocationOf(container, "denied"), e.Message);
                Assert.Contains("403", e.Message);
                string all = e.Message + e.RecommendedAction + e;
                Assert.DoesNotContain(wrongKey, all);
                Assert.DoesNotContain(forgedSas[forgedSas.IndexOf("sig=", StringComparison.Ordinal)..][4..], all);
                Assert.DoesNotContain(Uri.UnescapeDataString(forgedSas[(forgedSas.IndexOf("sig=", StringComparison.Ordinal) + 4)..]), all);
            }
        }
    }

    [SkippableFact]
    public void A_large_object_is_staged_in_blocks_and_committed_last_with_progress_on_the_calling_thread()
    {
        using var store = NewAzureStore("big");
        var data = Bytes(5 * 1024 * 1024 + 123, seed: 7);
        var reports = new List<long>();
        var threads = new HashSet<int>();
        store.Put("big.db.zst", new NonSeekable(data), createOnly: true, new Progress(b => { reports.Add(b); threads.Add(Environment.CurrentManagedThreadId); }));
        Assert.Equal([Environment.CurrentManagedThreadId], threads);
        Assert.Equal(data.Length, reports[^1]);
        Assert.True(reports.Count >= 6, $"progress came {reports.Count} times for 6 blocks");

        var blocks = Blob("big/big.db.zst").GetBlockList(BlockListTypes.All).Value;
        Assert.Equal(6, blocks.CommittedBlocks.Count()); // five of 1 MiB and the rest
        Assert.Empty(blocks.UncommittedBlocks);
        var stat = store.Stat("big.db.zst")!;
        Assert.Equal(data.Length, stat.Size);
        // Azure keeps no SHA-256 of a blob: none is claimed (copies read the blob back instead).
        Assert.Null(stat.Sha256);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(Read(store, "big.db.zst")));
    }

    [SkippableFact]
    public void An_upload_that_dies_after_staging_blocks_leaves_nothing_that_lists_and_the_next_upload_completes()
    {
        using var store = NewAzureStore("dies");
        // Three blocks are staged when the source fails; its own failure comes back as it was.
        var e = Assert.Throws<IOException>(() => store.Put("half.db.zst", new FailingStream(Bytes(5 << 20), failAfter: 3 << 20), createOnly: true));
        Assert.Equal("the source failed mid-transfer", e.Message);
        Assert.Null(store.Stat("half.db.zst"));
        Assert.Empty(store.List());
        Assert.NotEmpty(Blob("dies/half.db.zst").GetBlockList(BlockListTypes.Uncommitted).Value.UncommittedBlocks);

        // The next run's create-only upload of the same name is not blocked by what the dead one staged.
        var data = Bytes((3 << 20) + 5, seed: 3);
        store.Put("half.db.zst", new MemoryStream(data), createOnly: true);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(Read(store, "half.db.zst")));
        Assert.Empty(Blob("dies/half.db.zst").GetBlockList(BlockListTypes.Uncommitted).Value.UncommittedBlocks);
    }

    [SkippableFact]
    public void Create_only_holds_for_a_block_upload_and_racing_writers_of_one_name_leave_one_winner()
    {
        using var store = NewAzureStore("race");
        var first = Bytes(3 << 20, seed: 1);
        store.Put("x.db.zst", new MemoryStream(first), createOnly: true);
        Assert.Equal("StoreObjectExists", Assert.Throws<SqliteBackupException>(() => store.Put("x.db.zst", new MemoryStream(Bytes(3 << 20, seed: 2)), createOnly: true)).ErrorId);
        Assert.Equal(SHA256.HashData(first), SHA256.HashData(Read(store, "x.db.zst")));

        foreach (int size in new[] { 64 * 1024, (2 << 20) + 1 })
        {
            string name = $"race-{size}";
            var results = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
            Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
            {
                try { store.Put(name, new MemoryStream(Bytes(size, i)), createOnly: true); results[i] = "won"; }
                catch (SqliteBackupException e) { results[i] = e.ErrorId; }
            });
            var winner = Assert.Single(results, r => r.Value == "won").Key;
            Assert.Equal(5, results.Count(r => r.Value == "StoreObjectExists"));
            Assert.Equal(SHA256.HashData(Bytes(size, winner)), SHA256.HashData(Read(store, name)));
        }
    }

    [SkippableFact]
    public void A_missing_container_is_reported_by_every_operation_and_a_writer_creates_it()
    {
        server.Require();
        string container = "no-such-" + Guid.NewGuid().ToString("N")[..12];
        using (var reader = new AzureStore(new Uri(server.LocationOf(container, "p")), Keys))
        {
            foreach (Action op in new Action[] { () => reader.List(), () => reader.Stat("o"), () => reader.OpenRead("o"), () => reader.Put("o", new MemoryStream(Bytes(10)), true) })
            {
                var e = Assert.Throws<SqliteBackupException>(op);
                Assert.Equal("StoreLocationNotFound", e.ErrorId);
                Assert.Contains("ContainerNotFound", e.Message);
            }
        }
        Assert.False(server.Admin.GetBlobContainerClient(container).Exists().Value);

        // A writer sees an empty location until its first upload creates the container.
        using var writer = new AzureStore(new Uri(server.LocationOf(container, "p")), Keys with { Create = true }, blockSize: 1 << 20);
        Assert.Empty(writer.List());
        Assert.Null(writer.Stat("small"));
        writer.Delete("small");
        Assert.Equal("StoreObjectNotFound", Assert.Throws<SqliteBackupException>(() => writer.OpenRead("small")).ErrorId);
        Assert.False(server.Admin.GetBlobContainerClient(container).Exists().Value);
        writer.Put("small", new MemoryStream(Bytes(10)), createOnly: true);
        string second = "no-such-" + Guid.NewGuid().ToString("N")[..12];
        using var blockWriter = new AzureStore(new Uri(server.LocationOf(second, "p")), Keys with { Create = true }, blockSize: 1 << 20);
        blockWriter.Put("large", new MemoryStream(Bytes(3 << 20)), createOnly: true);
        Assert.Equal(["small"], writer.List().Select(o => o.Name));
        Assert.Equal(["large"], blockWriter.List().Select(o => o.Name));
        server.Admin.DeleteBlobContainer(container);
        server.Admin.DeleteBlobContainer(second);
    }

    [SkippableFact]
    public void A_server_that_never_answers_is_unavailable_within_the_timeout_and_its_retries()
    {
        server.Require();
        // Connections are accepted (the kernel's backlog) and never answered.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/devstoreaccount1";
        using var store = new AzureStore(new Uri($"azure+{endpoint}/c-silent/p"), Keys with { Timeout = TimeSpan.FromSeconds(1) });
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SqliteBackupException>(() => store.List());
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.Contains(endpoint, e.Message);
        // The operation's 1 s limit ends it, retries included (StoreTimeouts).
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 5);
        Assert.DoesNotContain(AzuriteServer.Key, e.ToString());
    }

    [SkippableFact]
    public void A_backup_copied_to_Azure_is_checked_by_reading_it_back_and_one_whose_data_is_deleted_behind_our_back_is_reported_missing()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: false, fillerRows: 200);
        var local = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Verify = VerificationLevel.None });
        string location = server.LocationOf(Container, "copies");
        var log = new ListLogger();

        // The stores above the seam reopen a location from its text: credentials from the environment, as a job has them.
        WithEnvironment(new Dictionary<string, string?> { ["AZURE_STORAGE_CONNECTION_STRING"] = server.ConnectionString }, () =>
        {
            using var store = StoreRegistry.Open(location, new StoreOptions { Create = true });
            // A leftover object of the backup's name with other bytes of the same size: only reading it back tells.
            var wrong = Bytes((int)local.Manifest.StoredSize, seed: 99);
            store.Put(local.Manifest.File, new MemoryStream(wrong), createOnly: true);
            Assert.Null(store.Stat(local.Manifest.File)!.Sha256);
            Assert.Equal("CopyConflict", Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, store)).ErrorId);
            store.Delete(local.Manifest.File);

            var copy = new BackupCopier().Copy(local, store);
            Assert.Equal(SqliteBackup.Core.Copies.CopyStatus.Copied, copy.Status);
            Assert.Equal(local.Manifest.StoredSha256, Convert.ToHexString(SHA256.HashData(Read(store, local.Manifest.File))).ToLowerInvariant());
            Assert.Equal(local.Id, Assert.Single(new StoreCatalog().ListLocation(location, false)).Id);

            // Deleted behind our back: not listed, and said so.
            Blob("copies/" + local.Manifest.File).Delete();
            Assert.Empty(new StoreCatalog(log).List(store));
            Assert.Contains(log.Warnings, w => w.Contains(local.Manifest.File) && w.Contains("is missing"));
            return 0;
        });
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
