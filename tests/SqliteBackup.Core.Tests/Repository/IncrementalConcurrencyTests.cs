using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Tests.Storage;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// Incremental backups while ANOTHER PROCESS (the sqlite3 CLI) commits and checkpoints: every snapshot reassembles to
/// its RawSha256 and passes integrity_check with the paired tables equal (a torn snapshot would show unequal counts).
/// </summary>
public sealed class IncrementalConcurrencyTests
{
    static string Burst(int k) => string.Concat(Enumerable.Range(0, 5).Select(i =>
        $"BEGIN; INSERT INTO a(v) VALUES({k}); INSERT INTO b(v) VALUES({k}); " +
        $"UPDATE filler SET pad = randomblob(1000) WHERE id % 97 = {(k + i) % 97}; " +
        "INSERT INTO filler(pad) SELECT randomblob(1000) FROM filler LIMIT 100; COMMIT;\n"));

    internal static void AssertSound(IBackupStore store, BackupInfo backup, string path, string what)
    {
        SnapshotReader.Reassemble(store, backup.Manifest, path);
        Assert.Equal(backup.Manifest.RawSha256, Db.Sha(path));
        var integrity = Cli.Run("sqlite3", path, "PRAGMA integrity_check;");
        Assert.True(integrity.Out.Trim() == "ok", $"{what}: integrity_check says {integrity.Out}{integrity.Err}");
        var counts = Cli.Run("sqlite3", path, "SELECT (SELECT count(*) FROM a) || '|' || (SELECT count(*) FROM b);");
        var parts = counts.Out.Trim().Split('|').Select(long.Parse).ToArray();
        Assert.True(parts[0] == parts[1], $"{what}: a has {parts[0]} rows, b {parts[1]}: a torn snapshot");
        Assert.Equal(backup.Manifest.TableRowCounts["a"], parts[0]);
        File.Delete(path);
    }

    [SkippableFact]
    public void A_writer_in_another_process_committing_and_checkpointing_during_incremental_backups()
    {
        Cli.Require("sqlite3");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 8000);
        using var writer = new SqliteShell(t["live.db"], busyTimeoutMs: 20);
        writer.Run("PRAGMA wal_autocheckpoint=50;");
        string[] modes = ["PASSIVE", "FULL", "RESTART", "TRUNCATE"];
        using var stop = new CancellationTokenSource();
        int bursts = 0;
        var app = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                int k = Interlocked.Increment(ref bursts);
                writer.Run(Burst(k) + $"PRAGMA wal_checkpoint({modes[k % modes.Length]});");
                Thread.Sleep(k % 3 == 0 ? 40 : 5);
            }
        });
        var methods = new List<SnapshotMethod>();
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        try
        {
            for (int i = 0; i < 8; i++)
            {
                var backup = IncrementalBackup.Create(new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Standard },
                    store, t["repo"], t["repo"], NullLogger.Instance);
                methods.Add(backup.Manifest.SnapshotMethod);
                AssertSound(store, backup, t[$"check-{i}.db"], $"snapshot {i} ({backup.Manifest.SnapshotMethod})");
            }
        }
        finally
        {
            stop.Cancel();
            app.Wait(TimeSpan.FromSeconds(60));
        }
        Assert.True(bursts >= 8, $"the writer ran only {bursts} bursts ({string.Join(", ", methods)})");
    }

    [SkippableFact]
    public void A_checkpoint_by_another_process_while_the_file_is_read_never_reaches_the_snapshot()
    {
        Cli.Require("sqlite3");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 8000);
        using var writer = new SqliteShell(t["live.db"], busyTimeoutMs: 50);
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        for (int round = 1; round <= 4; round++)
        {
            writer.Run("PRAGMA wal_checkpoint(TRUNCATE);");
            int r = round;
            var backup = IncrementalBackup.Create(new BackupRequest(t["live.db"])
            {
                Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Standard,
                OnFileReadPinned = () => writer.Run(Burst(r) + "PRAGMA wal_checkpoint(FULL);"),
            }, store, t["repo"], t["repo"], NullLogger.Instance);
            Assert.Equal(SnapshotMethod.FileRead, backup.Manifest.SnapshotMethod);
            AssertSound(store, backup, t[$"check-{round}.db"], $"round {round}");
        }
    }
}

[Collection(RadosGwCollection.Name)]
public sealed class IncrementalS3Tests(RadosGwServer server)
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey };

    [SkippableFact]
    public void Two_incremental_backups_into_s3_the_second_small_both_reassemble()
    {
        Cli.Require("sqlite3");
        string bucket = server.NewBucket();
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 4000);
        using var store = new PutCounter(new S3Store(new Uri(server.LocationOf(bucket, "repo")), Keys, S3Store.MinimumPartSize));
        var request = new BackupRequest(t["live.db"]) { Incremental = true, Verify = VerificationLevel.Full };
        var first = IncrementalBackup.Create(request, store, t.Path, null, NullLogger.Instance);
        long firstBytes = store.PackBytes;
        store.Reset();
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(1000) WHERE id IN (10, 2000, 3900); INSERT INTO a(v) VALUES(1); INSERT INTO b(v) VALUES(1); PRAGMA wal_checkpoint(TRUNCATE);");
        var second = IncrementalBackup.Create(request with { Verify = VerificationLevel.Standard }, store, t.Path, null, NullLogger.Instance);
        Assert.Equal(first.Manifest.Id, second.Manifest.Repository!.Parent);
        Assert.True(store.PackBytes > 0 && store.PackBytes < firstBytes / 20, $"{store.PackBytes} bytes vs {firstBytes}");
        IncrementalConcurrencyTests.AssertSound(store, first, t["first.db"], "first");
        IncrementalConcurrencyTests.AssertSound(store, second, t["second.db"], "second");
        Assert.Equal(Db.Sha(t["live.db"]), second.Manifest.RawSha256);
    }
}
