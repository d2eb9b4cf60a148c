using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Notifications;

namespace SqliteBackup.Core.Tests.Trust;

/// <summary>
/// A job runs as root (cron, a service's stop); its configuration and the notification programs it names decide what
/// runs. A file another account owns or can write must never get to decide that.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class ConfigAndHookTrustTests
{
    const UnixFileMode Rwx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    static string WriteConfig(TempDir t, string hook)
    {
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["backup.json"], $$"""{ "backup": { "databases": ["./app.db"], "notify": ["{{hook}}"], "notify_on": "always" } }""");
        return t["backup.json"];
    }

    static string WriteHook(TempDir t, string marker)
    {
        string hook = t["hook.sh"];
        File.WriteAllText(hook, $"#!/bin/sh\nid -u > '{marker}'\n");
        File.SetUnixFileMode(hook, Rwx);
        return hook;
    }

    [SkippableFact]
    public void A_configuration_another_account_owns_is_refused_before_anything_runs()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var other = new LocalUser();
        string config = WriteConfig(t, WriteHook(t, t["ran"]));
        other.Owns(config);
        var e = Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Load(config));
        Assert.Equal("UntrustedBackupConfig", e.ErrorId);
        Assert.Contains($"uid {other.Uid}", e.Message);
        Assert.False(File.Exists(t["ran"]));
        Assert.False(Directory.Exists(t["backups"]));
    }

    [SkippableFact]
    public void A_configuration_others_can_write_is_refused()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        string config = WriteConfig(t, WriteHook(t, t["ran"]));
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        var e = Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Load(config));
        Assert.Equal("UntrustedBackupConfig", e.ErrorId);
        Assert.Contains("writable by every user", e.Message);
        // Once it is the owner's alone, it loads.
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Single(BackupJobConfigFile.Load(config).Databases);
    }

    [SkippableTheory]
    [InlineData("owned by another account")]
    [InlineData("writable by everyone")]
    public void A_notification_program_someone_else_controls_is_not_run_and_the_failure_is_logged(string how)
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var other = new LocalUser();
        string hook = WriteHook(t, t["ran"]);
        if (how.StartsWith("owned")) other.Owns(hook);
        else File.SetUnixFileMode(hook, Rwx | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.OtherRead);
        var log = new JsonLinesLog(t["log.jsonl"]);
        var notifier = new Notifier(new BackupLogProvider(log).CreateLogger("n"), null);

        var failed = notifier.Send([NotificationTarget.Parse(hook)], Notifications.NotifierTests.Failure);

        Assert.Single(failed);
        Assert.False(File.Exists(t["ran"]));
        var entry = Assert.Single(log.Read(), e => e.Event == "NotificationFailed");
        Assert.Contains("was not run", entry.Error ?? entry.Message);
    }
}
