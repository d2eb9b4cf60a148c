using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>
/// The registration classes up to the OS boundary: files placed and indexed, and nothing left behind when the
/// scheduler's own tool refuses. `false` (always exit 1) stands in for a systemctl/launchctl that fails.
/// </summary>
public class RegistrationTests
{
    static ScheduleDefinition Definition(string name) =>
        new(name, ScheduleSpec.Daily(new TimeOnly(2, 0)), new ScheduledCommand("/bin/echo", ["-File", "/opt/x y/Start-SqliteBackupJob.ps1"]));

    [Fact]
    public void A_systemd_registration_that_systemctl_refuses_leaves_no_unit_files()
    {
        using var t = new TempDir();
        var backend = new SystemdBackend(userUnits: true, unitDirectory: t["units"], systemctl: "false");
        var e = Assert.Throws<SqliteBackupException>(() => backend.Register(Definition("nightly")));
        Assert.Equal("SchedulerCommandFailed", e.ErrorId);
        Assert.Empty(Directory.GetFiles(t["units"], "sqlitebackup-*"));
        Assert.Empty(backend.List());
    }

    [Fact]
    public void A_systemd_registration_writes_the_timer_and_service_and_lists_them_with_the_next_run()
    {
        using var t = new TempDir();
        var backend = new SystemdBackend(userUnits: true, unitDirectory: t["units"], systemctl: "true");
        backend.Register(Definition("nightly"));
        Assert.True(File.Exists(t["units/sqlitebackup-nightly.timer"]));
        Assert.True(File.Exists(t["units/sqlitebackup-nightly.service"]));
        var listed = Assert.Single(backend.List());
        Assert.Equal("0 2 * * *", listed.CronExpression);
        Assert.NotNull(listed.NextRun);
        Assert.True(backend.Unregister("nightly"));
        Assert.Empty(Directory.GetFiles(t["units"], "sqlitebackup-*"));
        Assert.False(backend.Unregister("nightly"));
    }

    [Fact]
    public void A_launchd_registration_that_launchctl_refuses_leaves_no_plist()
    {
        using var t = new TempDir();
        var backend = new LaunchdBackend(t["agents"], launchctl: "false");
        Assert.Throws<SqliteBackupException>(() => backend.Register(Definition("nightly")));
        Assert.Empty(Directory.GetFiles(t["agents"], "*.plist"));
    }

    [Fact]
    public void Auto_picks_systemd_only_where_systemd_runs()
    {
        var expected = OperatingSystem.IsWindows() ? SchedulerKind.TaskScheduler
            : OperatingSystem.IsMacOS() ? SchedulerKind.Launchd
            : Directory.Exists("/run/systemd/system") ? SchedulerKind.Systemd : SchedulerKind.Cron;
        Assert.Equal(expected, ScheduleBackends.Resolve(SchedulerKind.Auto));
    }
}
