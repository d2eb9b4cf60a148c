using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.Core.Tests.Jobs;

/// <summary>The job as a service's stop runs it: Shutdown backups, and a time limit after which it gives up cleanly.</summary>
public class ShutdownJobTests
{
    static BackupJobConfig Config(TempDir t, string section)
    {
        File.WriteAllText(t["backup.json"], "{ \"backup\": " + section + " }");
        return BackupJobConfigFile.Load(t["backup.json"]);
    }

    static IReadOnlyList<DatabaseJobResult> Run(BackupJobConfig c, JobRunOptions options) =>
        new BackupJob(new BackupLogProvider(new JsonLinesLog(c.LogFile)).CreateLogger("job")).Run(c, random: new Random(7), options: options);

    [Fact]
    public void A_shutdown_run_takes_Shutdown_backups_and_leaves_the_restore_test_to_scheduled_runs()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """{ "databases": ["./app.db"] }""");
        var r = Assert.Single(Run(c, new JobRunOptions { Type = BackupType.Shutdown }));
        Assert.True(r.Succeeded, r.Error);
        Assert.Equal(BackupType.Shutdown, r.Backup!.Type);
        Assert.True(r.Verified);
        Assert.Null(r.RestoreTest);
    }

    [Fact]
    public void The_preview_of_a_shutdown_run_says_Shutdown_and_plans_no_restore_test()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """{ "databases": ["./app.db"] }""");
        var steps = new BackupJob(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Preview(c, DateTime.UtcNow, new JobRunOptions { Type = BackupType.Shutdown, TimeLimit = TimeSpan.FromSeconds(45) });
        Assert.StartsWith("Back up as Shutdown", steps[0].Action);
        Assert.Contains("within 45 s", steps[0].Action);
        Assert.DoesNotContain(steps, s => s.Action.StartsWith("Restore-test", StringComparison.Ordinal));
    }

    [Fact]
    public void A_run_past_its_time_limit_is_abandoned_leaving_nothing_behind_and_is_logged()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"], wal: false);
        SampleDatabase.Create(t["crm.db"], employees: 10);
        var c = Config(t, """{ "databases": ["./app.db", "./crm.db"] }""");
        // A writer that never lets go: in rollback-journal mode an exclusive lock keeps every reader out.
        using var holder = new SqliteConnection($"Data Source={t["app.db"]};Pooling=False");
        holder.Open();
        SqliteFiles.Exec(holder, "BEGIN EXCLUSIVE; DELETE FROM assignments;");

        var clock = Stopwatch.StartNew();
        var results = Run(c, new JobRunOptions { Type = BackupType.Shutdown, TimeLimit = TimeSpan.FromSeconds(1) });
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.All(results, r => Assert.Equal("BackupJobTimedOut", r.ErrorId));
        Assert.Contains("1 s", results[0].Error);
        Assert.Empty(new BackupCatalog().List(c.BackupDirectory));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(c.BackupDirectory), f => !f.EndsWith(".jsonl", StringComparison.Ordinal) && !f.EndsWith(".lock", StringComparison.Ordinal));
        var events = new JsonLinesLog(c.LogFile).Read().Select(e => e.Event).ToList();
        Assert.Contains(BackupEvents.JobTimedOut.Name, events);
        Assert.Contains(BackupEvents.JobFailed.Name, events);
    }

    [Fact]
    public void A_time_limit_hit_during_the_offsite_copy_says_the_local_backup_is_kept_and_names_the_destination()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        // Connections are accepted (the kernel's backlog) and never answered.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        // Variables of this test's own: nothing else reads them.
        Environment.SetEnvironmentVariable("SQLITEBACKUP_TEST_TIMEOUT_KEY", "KEY");
        Environment.SetEnvironmentVariable("SQLITEBACKUP_TEST_TIMEOUT_SECRET", "not-a-real-secret");
        var c = Config(t, $$"""{ "databases": ["./app.db"], "destinations": [{ "path": "s3://bucket/offsite?endpoint=http://127.0.0.1:{{port}}", "user_env": "SQLITEBACKUP_TEST_TIMEOUT_KEY", "secret_env": "SQLITEBACKUP_TEST_TIMEOUT_SECRET" }] }""");

        var clock = Stopwatch.StartNew();
        var r = Assert.Single(Run(c, new JobRunOptions { Type = BackupType.Shutdown, TimeLimit = TimeSpan.FromSeconds(3) }));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), clock.Elapsed.ToString());
        Assert.Equal("DestinationTimedOut", r.ErrorId);
        Assert.NotNull(r.Backup);
        Assert.True(File.Exists(r.Backup!.Path));
        Assert.Contains(r.Backup.Path, r.Error);
        Assert.Contains("s3://bucket/offsite", r.Error);
        Assert.Contains("3 s", r.Error);
        Assert.DoesNotContain("abandoned", r.Error);
        Assert.DoesNotContain("not-a-real-secret", r.Error);
        var d = Assert.Single(r.Destinations);
        Assert.Equal("DestinationTimedOut", d.ErrorId);
        Assert.Single(new BackupCatalog().List(c.BackupDirectory));

        var log = new JsonLinesLog(c.LogFile).Read().ToList();
        var timedOut = Assert.Single(log, e => e.Event == BackupEvents.JobTimedOut.Name);
        Assert.DoesNotContain("not backed up", timedOut.Message);
        Assert.Contains("s3://bucket/offsite", timedOut.Message);
        Assert.Contains(r.Backup.Path, timedOut.Message);
        Assert.DoesNotContain(log, e => (e.Message + e.Error).Contains("not-a-real-secret", StringComparison.Ordinal));
    }
}
