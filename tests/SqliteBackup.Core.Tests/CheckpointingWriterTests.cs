using System.Diagnostics;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests;

/// <summary>
/// Backups of a WAL database while ANOTHER PROCESS commits and checkpoints, every backup read back by the real sqlite3.
/// A checkpoint from a connection in the test process cannot show a lost lock: POSIX locks belong to the process, so
/// only another process's checkpoint proceeds when ours were dropped by closing a descriptor.
/// </summary>
public class CheckpointingWriterTests
{
    static readonly string[] Modes = ["PASSIVE", "FULL", "RESTART", "TRUNCATE"];

    /// <summary>Commits that rewrite and grow the file, enough for wal_autocheckpoint=50 to fire several times.</summary>
    static string Burst(int k, int spread = 9) => string.Concat(Enumerable.Range(0, 5).Select(i =>
        $"BEGIN; INSERT INTO a(v) VALUES({k}); INSERT INTO b(v) VALUES({k}); " +
        $"UPDATE filler SET pad = randomblob(1000) WHERE id % {spread} = {(k + i) % spread}; " +
        "INSERT INTO filler(pad) SELECT randomblob(1000) FROM filler LIMIT 300; COMMIT;\n"));

    [SkippableFact]
    public void Checkpoints_by_another_process_during_a_file_read_backup_never_reach_the_copy()
    {
        Cli.Require("sqlite3");
        Cli.Require("zstd");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 20_000);
        using var writer = new SqliteShell(t["live.db"], busyTimeoutMs: 50);
        writer.Run("PRAGMA wal_autocheckpoint=50;");
        int round = 0;
        foreach (var mode in Modes.SelectMany(m => Enumerable.Repeat(m, 3)))
        {
            round++;
            // A fully checkpointed WAL is the state in which the engine reads the file itself.
            writer.Run("PRAGMA wal_checkpoint(TRUNCATE);");
            List<string>? checkpoint = null;
            var backup = new BackupEngine().Create(new BackupRequest(t["live.db"])
            {
                Destination = t["backups"],
                Verify = VerificationLevel.Quick,
                OnFileReadPinned = () => checkpoint = writer.Run(Burst(round) + $"PRAGMA wal_checkpoint({mode});"),
            });
            Assert.Equal(SnapshotMethod.FileRead, backup.Manifest.SnapshotMethod);
            Assert.NotNull(checkpoint);
            // busy=1: the checkpoint could not pass our reader; the pages it would have written stayed in the WAL.
            Assert.True(checkpoint![^1].StartsWith("1|") || mode == "PASSIVE", $"{mode}: {string.Join(",", checkpoint)}");
            AssertSoundBackup(backup, t[$"check-{round}.db"], $"round {round} ({mode})");
        }
    }

    [SkippableFact]
    public void If_our_locks_were_lost_the_tripwire_publishes_nothing()
    {
        Cli.Require("sqlite3");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 20_000);
        using var writer = new SqliteShell(t["live.db"], busyTimeoutMs: 50);
        writer.Run("PRAGMA wal_checkpoint(TRUNCATE);");
        var e = Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(new BackupRequest(t["live.db"])
        {
            Destination = t["backups"],
            OnFileReadPinned = () =>
            {
                // The classic POSIX mistake, made on purpose: closing any descriptor of the -shm drops this process's locks.
                using (new FileStream(t["live.db"] + "-shm", FileMode.Open, FileAccess.Read, FileShare.ReadWrite)) { }
                writer.Run(Burst(1) + "PRAGMA wal_checkpoint(FULL);");
            },
        }));
        Assert.Equal("SnapshotMoved", e.ErrorId);
        Assert.DoesNotContain(Directory.GetFiles(t["backups"]), f => f.EndsWith(".zst") || f.EndsWith(".manifest.json"));
    }

    [SkippableFact]
    public void Backups_in_a_loop_beside_a_writer_that_checkpoints_in_every_mode_all_restore()
    {
        Cli.Require("sqlite3");
        Cli.Require("zstd");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 20_000);
        using var writer = new SqliteShell(t["live.db"], busyTimeoutMs: 20);
        writer.Run("PRAGMA wal_autocheckpoint=50;");
        using var stop = new CancellationTokenSource();
        int bursts = 0;
        // Bursts of commits, a checkpoint in each mode in turn, then a short idle gap: an application's rhythm.
        var app = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                int k = Interlocked.Increment(ref bursts);
                writer.Run(Burst(k, spread: 97) + $"PRAGMA wal_checkpoint({Modes[k % Modes.Length]});");
                Thread.Sleep(k % 3 == 0 ? 60 : 5);
            }
        });
        var methods = new List<SnapshotMethod>();
        try
        {
            for (int i = 0; i < 10; i++)
            {
                var backup = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["backups"], Verify = VerificationLevel.Quick });
                methods.Add(backup.Manifest.SnapshotMethod);
                AssertSoundBackup(backup, t[$"check-{i}.db"], $"backup {i} ({backup.Manifest.SnapshotMethod})");
            }
        }
        finally
        {
            stop.Cancel();
            app.Wait(TimeSpan.FromSeconds(60));
        }
        // Ten backups must each have overlapped several bursts, or this test proved nothing about checkpoints.
        Assert.True(bursts >= 10, $"the writer ran only {bursts} bursts ({string.Join(", ", methods)})");
    }

    /// <summary>The real zstd and sqlite3 read the published file: integrity_check passes and the paired counts agree with the manifest.</summary>
    static void AssertSoundBackup(BackupInfo backup, string checkPath, string what)
    {
        var (code, _, err) = Cli.Run("zstd", "-d", "-q", "-f", backup.Path, "-o", checkPath);
        Assert.True(code == 0, $"{what}: zstd -d failed: {err}");
        var integrity = Cli.Run("sqlite3", checkPath, "PRAGMA integrity_check;");
        Assert.True(integrity.Out.Trim() == "ok", $"{what}: integrity_check says {integrity.Out}{integrity.Err}");
        var counts = Cli.Run("sqlite3", checkPath, "SELECT (SELECT count(*) FROM a) || '|' || (SELECT count(*) FROM b) || '|' || (SELECT count(*) FROM filler);");
        var parts = counts.Out.Trim().Split('|').Select(long.Parse).ToArray();
        Assert.True(parts[0] == parts[1], $"{what}: a has {parts[0]} rows, b {parts[1]}: a torn snapshot");
        Assert.Equal(backup.Manifest.TableRowCounts["a"], parts[0]);
        Assert.Equal(backup.Manifest.TableRowCounts["filler"], parts[2]);
        File.Delete(checkPath);
    }
}
