using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Tests.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// A job destination holding a repository: its own rotation removes a snapshot there, and then its prune deletes the
/// packs no remaining snapshot there names, as the local rotation does (a local directory and a real radosgw).
/// </summary>
static class DestinationPrune
{
    /// <summary>Snapshot A, then B of a replacement database sharing no block with A; the destination keeps the last one.</summary>
    public static void RotatesAndPrunes(TempDir t, string location, Func<IBackupStore> open)
    {
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        var a = Snapshot(t);
        foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
        Db.Exec(t["live.db"], "CREATE TABLE other(pad); INSERT INTO other SELECT randomblob(900) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n);");
        Thread.Sleep(1100);
        var b = Snapshot(t);
        var onlyA = a.Manifest.Repository!.Packs.Select(p => p.Name).Except(b.Manifest.Repository!.Packs.Select(p => p.Name)).ToList();
        Assert.NotEmpty(onlyA);

        var log = new ListLogger();
        var destination = new JobDestination(location, new RetentionPolicy { KeepLast = 1 });
        // Hours later for the prune's age guard (packs younger than an hour may be a backup's under way): not what this tests.
        var step = new DestinationStep(log) { UtcNow = () => DateTime.UtcNow.AddHours(2) };
        var first = step.Run(destination, a, RetentionPolicy.Default, null, default);
        Assert.True(first.Succeeded, first.Error);
        Assert.Equal(0, first.PacksPruned);

        var second = step.Run(destination, b, RetentionPolicy.Default, null, default);
        Assert.True(second.Succeeded, second.Error);
        Assert.Equal(1, second.Removed);
        Assert.Equal(onlyA.Count, second.PacksPruned);
        Assert.True(second.BytesFreed >= a.Manifest.Repository.Packs.Where(p => onlyA.Contains(p.Name)).Sum(p => p.Size));
        Assert.Contains(log.Entries, e => e.EventId == BackupEvents.RepositoryPruned && e.Message.Contains($"deleted {onlyA.Count} pack(s)"));

        using var store = open();
        var names = store.List().Select(o => o.Name).ToList();
        var expected = b.Manifest.Repository.Packs.Select(p => p.Name).ToList();
        Assert.Equal(expected.Order(), names.Where(RepositoryNames.IsPack).Order());
        Assert.Equal(expected.Select(RepositoryNames.IndexOf).Order(), names.Where(RepositoryNames.IsIndex).Order());
        var left = Assert.Single(new StoreCatalog().List(store));
        Assert.Equal(b.Id, left.Id);
        RepositoryCopyTests.AssertRestorable(store, left.Manifest, t["check.db"]);
    }

    static BackupInfo Snapshot(TempDir t) => IncrementalBackup.CreateLocal(
        new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Quick, Type = BackupType.Automatic }, NullLogger.Instance);
}

public sealed class LocalDestinationPruneTests
{
    [Fact]
    public void Rotation_of_a_local_destination_directory_prunes_the_packs_only_removed_snapshots_used()
    {
        using var t = new TempDir();
        DestinationPrune.RotatesAndPrunes(t, t["off"], () => new LocalDirectoryStore(t["off"]));
    }
}

[Collection(RadosGwCollection.Name)]
public sealed class RadosGwDestinationPruneTests(RadosGwServer server) : IDisposable
{
    static readonly string[] Variables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_PROFILE"];
    readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    public void Dispose()
    {
        foreach (var (v, value) in _saved) Environment.SetEnvironmentVariable(v, value);
    }

    [SkippableFact]
    public void Rotation_of_an_s3_destination_prunes_the_packs_only_removed_snapshots_used()
    {
        string bucket = server.NewBucket();
        // A job destination reaches the store the way a user's job does: keys and endpoint from the environment.
        foreach (var v in Variables) Environment.SetEnvironmentVariable(v, null);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", RadosGwServer.SecretKey);
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", server.Endpoint.AbsoluteUri);
        using var t = new TempDir();
        string location = $"s3://{bucket}/off";
        DestinationPrune.RotatesAndPrunes(t, location, () => StoreRegistry.Open(location, new StoreOptions()));
    }
}
