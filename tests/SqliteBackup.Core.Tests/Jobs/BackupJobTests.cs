using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Tests.Jobs;

public class BackupJobTests
{
    static BackupJobConfig Config(TempDir t, string section)
    {
        File.WriteAllText(t["backup.json"], "{ \"backup\": " + section + " }");
        return BackupJobConfigFile.Load(t["backup.json"]);
    }

    static IReadOnlyList<DatabaseJobResult> Run(BackupJobConfig c) =>
        new BackupJob(new BackupLogProvider(new JsonLinesLog(c.LogFile)).CreateLogger("job")).Run(c, random: new Random(7));

    [Fact]
    public void A_run_backs_up_verifies_rotates_logs_and_restore_tests_once_a_week()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        SampleDatabase.Create(t["crm.db"], employees: 20);
        var c = Config(t, """{ "databases": ["./app.db", "./crm.db"], "retention_last": 2, "retention_days": 0, "retention_weeks": 0, "retention_months": 0 }""");

        var first = Run(c);
        Assert.Equal(["app", "crm"], first.Select(r => r.Database));
        Assert.All(first, r =>
        {
            Assert.True(r.Succeeded, r.Error);
            Assert.Equal(BackupType.Automatic, r.Backup!.Type);
            Assert.True(r.Verified);
            Assert.NotNull(r.RestoreTest);
            Assert.True(r.RestoreTest!.Passed, r.RestoreTest.Message);
        });

        var second = Run(c);
        Assert.All(second, r => Assert.Null(r.RestoreTest)); // tested less than a week ago
        var third = Run(c);
        Assert.All(third, r => Assert.Equal(1, r.Removed));
        Assert.Equal(2, new BackupCatalog().List(c.BackupDirectory).Count(b => b.Database == "app"));

        var events = new JsonLinesLog(c.LogFile).Read().Select(e => e.Event).ToList();
        Assert.Equal(3, events.Count(e => e == "JobStarted"));
        Assert.Equal(3, events.Count(e => e == "JobCompleted"));
        Assert.Equal(6, events.Count(e => e == "BackupSucceeded"));
        Assert.Equal(2, events.Count(e => e == "RestoreTested"));
        Assert.Equal(2, events.Count(e => e == "RotationRemoved"));
    }

    [Fact]
    public void One_failing_database_does_not_stop_the_others_and_is_reported()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["broken.db"], "not sqlite");
        var c = Config(t, """{ "databases": ["./broken.db", "./app.db"], "weekly_restore_test": false }""");
        var results = Run(c);
        Assert.False(results[0].Succeeded);
        Assert.Equal("NotASqliteDatabase", results[0].ErrorId);
        Assert.True(results[1].Succeeded);
        Assert.Contains(new JsonLinesLog(c.LogFile).Read(), e => e.Event == "JobFailed");
    }

    [Fact]
    public void A_second_run_on_the_same_directory_is_refused_while_the_first_holds_the_lock()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """{ "databases": ["./app.db"] }""");
        using (JobLock.Acquire(c.BackupDirectory))
        {
            var e = Assert.Throws<SqliteBackupException>(() => Run(c));
            Assert.Equal("BackupJobAlreadyRunning", e.ErrorId);
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
        }
        Assert.True(Run(c).Single().Succeeded); // released: the lock file left behind is not a lock
    }

    [Fact]
    public void A_disabled_configuration_does_nothing()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """{ "enabled": false, "databases": ["./app.db"] }""");
        Assert.Empty(new BackupJob(NullLogger.Instance).Run(c));
        Assert.False(Directory.Exists(c.BackupDirectory));
    }
}
