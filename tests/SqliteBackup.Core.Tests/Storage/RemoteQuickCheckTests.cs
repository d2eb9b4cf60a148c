using System.Security.Cryptography;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// The no-download path of a remote Quick verification, on a service that keeps a whole-object SHA-256 (AWS S3 does
/// for a single-part object; radosgw 16, the test server, does not: S3TrustTests covers the read-back path there).
/// The store here is a local directory that reports a stored checksum and counts the reads of data objects.
/// </summary>
public sealed class RemoteQuickCheckTests
{
    const string Scheme = "sumtest";
    static readonly Dictionary<string, ChecksumStore.State> States = [];

    static RemoteQuickCheckTests() =>
        StoreRegistry.Register(Scheme, (uri, _) => new ChecksumStore(States[uri.Host]));

    [Fact]
    public void Quick_compares_the_services_checksum_without_reading_the_object_and_a_different_checksum_fails()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var local = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["local"], Verify = VerificationLevel.Quick });
        string host = "h" + Guid.NewGuid().ToString("N")[..8];
        var state = States[host] = new ChecksumStore.State(t["remote"], $"{Scheme}://{host}/p");
        BackupInfo remote;
        using (var store = StoreRegistry.Open(state.Location)) remote = new BackupCopier().Copy(local, store).Copy;
        state.DataReads = 0;

        var ok = RemoteQuick.Verify(remote);
        Assert.True(ok.Passed, ok.Message);
        Assert.Contains("nothing downloaded", ok.Checks[^1].Message);
        Assert.Equal(0, state.DataReads);

        // The service now reports another checksum for an object of the same size: tampered, or damaged at rest.
        state.Override = Convert.ToHexString(SHA256.HashData([1, 2, 3])).ToLowerInvariant();
        var bad = RemoteQuick.Verify(remote);
        Assert.Equal(VerificationOutcome.Failed, bad.Outcome);
        Assert.Contains($"the service's checksum is SHA-256 {state.Override}", bad.Message);
        Assert.Equal(0, state.DataReads);

        // No checksum kept (a multipart object): read once as a stream.
        state.Override = "";
        Assert.True(RemoteQuick.Verify(remote).Passed);
        Assert.Equal(1, state.DataReads);
    }

    sealed class ChecksumStore(ChecksumStore.State state) : IBackupStore
    {
        public sealed class State(string directory, string location)
        {
            public string Directory { get; } = directory;
            public string Location { get; } = location;
            public int DataReads;
            /// <summary>Null: the real SHA-256; "": none kept; otherwise what the service claims.</summary>
            public string? Override;
        }

        readonly LocalDirectoryStore _inner = new(state.Directory, new StoreOptions { Create = true, AllowInsecureDirectory = true });

        public string Location => state.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => _inner.List(ct);

        public StoredObject? Stat(string name, CancellationToken ct = default)
        {
            if (_inner.Stat(name, ct) is not { } o) return null;
            string? sha = state.Override switch
            {
                null => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(state.Directory, name)))).ToLowerInvariant(),
                "" => null,
                var claimed => claimed,
            };
            return o with { Sha256 = sha };
        }

        public Stream OpenRead(string name, CancellationToken ct = default)
        {
            if (!name.EndsWith(".json", StringComparison.Ordinal)) state.DataReads++;
            return _inner.OpenRead(name, ct);
        }

        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default) => _inner.Put(name, content, createOnly, progress, ct);
        public void Delete(string name, CancellationToken ct = default) => _inner.Delete(name, ct);
        public void Dispose() => _inner.Dispose();
    }
}
