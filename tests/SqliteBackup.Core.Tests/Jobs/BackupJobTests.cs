using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Jobs;

public class BackupJobTests
{
    internal static BackupJobConfig Config(TempDir t, string section)
    {
        File.WriteAllText(t["backup.json"], "{ \"backup\": " + section + " }");
        return BackupJobConfigFile.Load(t["backup.json"]);
    }

    internal static IReadOnlyList<DatabaseJobResult> Run(BackupJobConfig c) =>
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

    [SkippableFact]
    public void A_restore_test_that_cannot_run_is_logged_as_inconclusive_does_not_fail_the_job_and_is_due_again()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        Db.Exec(t["app.db"], "CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT);" +
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000) INSERT INTO t SELECT i, printf('%.1000c', 'x') FROM n;");
        using var disk = new TmpfsMount(t["scratch"], "size=256k");
        Assert.True(disk.Mounted, disk.MountError);
        var c = Config(t, """{ "databases": ["./app.db"], "verification": "quick", "scratch_directory": "./scratch" }""");
        Assert.Equal(disk.Path, c.ScratchDirectory);

        var r = Run(c).Single();

        Assert.True(r.Succeeded, r.Error);
        Assert.Equal(VerificationOutcome.Inconclusive, r.RestoreTest!.Outcome);
        var events = new JsonLinesLog(c.LogFile).Read().Select(e => e.Event).ToList();
        Assert.Contains("RestoreTestInconclusive", events);
        Assert.DoesNotContain("RestoreTestFailed", events);
        Assert.DoesNotContain("JobFailed", events);
        Assert.NotNull(Run(c).Single().RestoreTest); // nothing was proven, so it is due again
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

public class BackupJobNotificationTests
{
    [Fact]
    public void The_job_notifies_the_configured_webhook_of_a_failed_database_and_still_backs_up_the_others()
    {
        using var t = new TempDir();
        using var hook = new SqliteBackup.Core.Tests.Notifications.LocalHttpServer(200);
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["broken.db"], "not sqlite");
        File.WriteAllText(t["backup.json"], $$"""{ "backup": { "databases": ["./broken.db", "./app.db"], "weekly_restore_test": false, "notify": ["{{hook.Url}}"] } }""");
        var c = BackupJobConfigFile.Load(t["backup.json"]);
        var results = new BackupJob(new BackupLogProvider(new JsonLinesLog(c.LogFile)).CreateLogger("job")).Run(c);
        Assert.Equal([false, true], results.Select(r => r.Succeeded));
        var message = System.Text.Json.JsonDocument.Parse(Assert.Single(hook.Bodies)).RootElement;
        Assert.Equal("JobFailed", message.GetProperty("event").GetString());
        Assert.Equal("broken", message.GetProperty("database").GetString());
    }

    [Theory]
    [InlineData("""{ "databases": ["./a.db"], "notify": ["relative.sh"] }""", "'backup.notify[0]'")]
    [InlineData("""{ "databases": ["./a.db"], "notify_on": "sometimes" }""", "'backup.notify_on'")]
    [InlineData("""{ "databases": ["./a.db"], "smtp_server": "mail", "smtp_port": 70000 }""", "'backup.smtp_port'")]
    [InlineData("""{ "databases": ["./a.db"], "smtp_password": "plain" }""", "'backup.smtp_password' is not a known setting")]
    public void Notification_settings_are_validated_and_a_password_cannot_be_written_in_the_file(string section, string expected)
    {
        using var t = new TempDir();
        File.WriteAllText(t["a.db"], "");
        File.WriteAllText(t["c.json"], "{ \"backup\": " + section + " }");
        Assert.Contains(expected, Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Load(t["c.json"])).Message);
    }
}
