using SqliteBackup.Core.Scheduling;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>
/// Registering a backup for a service's stop up to the OS boundary: the drop-in or task placed and listed, and
/// Unregister removing exactly what Register added. `true` and `false` stand in for a systemctl/schtasks that succeeds
/// or refuses.
/// </summary>
public class ServiceStopRegistrationTests
{
    static ServiceStopDefinition Stop(string name, string service) =>
        new(name, service, new ScheduledCommand("/bin/echo", ["-File", "/opt/x y/Start-SqliteBackupJob.ps1", "-Type", "Shutdown"]), TimeSpan.FromSeconds(60));

    static string[] Tree(string dir) => Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(dir, p)).Order().ToArray();

    [Fact]
    public void A_systemd_service_stop_is_a_drop_in_listed_with_its_service_and_unregister_removes_exactly_it()
    {
        using var t = new TempDir();
        string units = t["units"];
        // The application's own drop-in folder and file are not ours: they stay whatever happens.
        Directory.CreateDirectory(Path.Combine(units, "app.service.d"));
        File.WriteAllText(Path.Combine(units, "app.service.d", "override.conf"), "[Service]\nEnvironment=X=1\n");
        var before = Tree(units);
        var backend = new SystemdBackend(userUnits: false, unitDirectory: units, systemctl: "true", timeoutProgram: "/usr/bin/timeout");

        backend.RegisterServiceStop(Stop("app-stop", "app"));
        backend.RegisterServiceStop(Stop("crm-stop", "crm.service"));
        Assert.True(File.Exists(Path.Combine(units, "app.service.d", "sqlitebackup-app-stop.conf")));
        Assert.True(File.Exists(Path.Combine(units, "crm.service.d", "sqlitebackup-crm-stop.conf")));
        var listed = backend.List().OrderBy(s => s.Name).ToList();
        Assert.Equal(["app-stop", "crm-stop"], listed.Select(s => s.Name));
        Assert.Equal("app.service", listed[0].Service);
        Assert.Equal("when app.service stops", listed[0].Schedule);
        Assert.Null(listed[0].NextRun);
        Assert.Equal(Path.Combine(units, "app.service.d", "sqlitebackup-app-stop.conf"), listed[0].Location);

        // Registering a name again for another service moves it: the old drop-in goes.
        backend.RegisterServiceStop(Stop("crm-stop", "billing"));
        Assert.False(Directory.Exists(Path.Combine(units, "crm.service.d")));

        Assert.True(backend.Unregister("app-stop"));
        Assert.True(backend.Unregister("crm-stop"));
        Assert.False(backend.Unregister("crm-stop"));
        Assert.Equal(before, Tree(units).Where(p => !p.StartsWith(".sqlitebackup-", StringComparison.Ordinal)));
        Assert.Empty(backend.List());
    }

    [Theory]
    [InlineData("a-stop", "b-stop")]
    [InlineData("b-stop", "a-stop")]
    public void Two_registrations_for_one_unit_leave_no_folder_behind_in_either_order_of_removal(string first, string second)
    {
        using var t = new TempDir();
        var backend = new SystemdBackend(userUnits: false, unitDirectory: t["units"], systemctl: "true", timeoutProgram: "/usr/bin/timeout");
        backend.RegisterServiceStop(Stop("a-stop", "app"));
        backend.RegisterServiceStop(Stop("b-stop", "app"));
        Assert.True(backend.Unregister(first));
        Assert.True(Directory.Exists(Path.Combine(t["units"], "app.service.d")));
        Assert.True(backend.Unregister(second));
        Assert.False(Directory.Exists(Path.Combine(t["units"], "app.service.d")));
    }

    [Fact]
    public void A_drop_in_that_systemctl_refuses_to_load_is_taken_back()
    {
        using var t = new TempDir();
        var backend = new SystemdBackend(userUnits: true, unitDirectory: t["units"], systemctl: "false", timeoutProgram: "/usr/bin/timeout");
        var e = Assert.Throws<SqliteBackupException>(() => backend.RegisterServiceStop(Stop("app-stop", "app")));
        Assert.Equal("SchedulerCommandFailed", e.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(t["units"], "app.service.d")));
        Assert.Empty(backend.List());
    }

    [Fact]
    public void Warns_of_a_unit_systemd_does_not_know_and_of_a_stop_timeout_shorter_than_the_bound()
    {
        using var t = new TempDir();
        // A systemctl that answers `show` as systemd does for a unit it has no file for.
        string fake = t["systemctl"];
        File.WriteAllText(fake, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = show ] && { printf 'LoadState=not-found\\nTimeoutStopUSec=1min 30s\\n'; exit 0; }; done\nexit 0\n");
        UserSystemd.PrivateToOwner(fake);
        var backend = new SystemdBackend(userUnits: false, unitDirectory: t["units"], systemctl: fake, timeoutProgram: "/usr/bin/timeout");

        var warnings = backend.RegisterServiceStop(new ServiceStopDefinition("app-stop", "app", new ScheduledCommand("/bin/true", []), TimeSpan.FromSeconds(120)));
        Assert.Equal(2, warnings.Count);
        Assert.Contains("does not know the unit app.service", warnings[0]);
        Assert.Contains("TimeoutStopSec=1min 30s", warnings[1]);
        // Within the unit's 90 s: only the unknown unit is left to warn about.
        Assert.Single(backend.RegisterServiceStop(new ServiceStopDefinition("app-stop", "app", new ScheduledCommand("/bin/true", []), TimeSpan.FromSeconds(60))));
    }

    [Fact]
    public void Task_Scheduler_gets_a_task_on_the_service_stop_event_and_unregister_deletes_it()
    {
        using var t = new TempDir();
        var backend = new TaskSchedulerBackend(t["tasks"], schtasks: "true");
        backend.RegisterServiceStop(new ServiceStopDefinition("app-stop", "My App",
            new ScheduledCommand(@"C:\Program Files\PowerShell\7\pwsh.exe", ["-File", @"C:\m\Start-SqliteBackupJob.ps1"]), TimeSpan.FromSeconds(60)));
        var s = Assert.Single(backend.List());
        Assert.Equal("My App", s.Service);
        Assert.Contains("EventID=7036", File.ReadAllText(Path.Combine(t["tasks"], "app-stop.xml")));
        Assert.True(backend.Unregister("app-stop"));
        Assert.Empty(backend.List());
        Assert.False(File.Exists(Path.Combine(t["tasks"], "app-stop.xml")));
    }

    [Fact]
    public void Cron_and_launchd_say_they_cannot_and_what_to_do_instead()
    {
        using var t = new TempDir();
        foreach (IScheduleBackend backend in new IScheduleBackend[] { new LaunchdBackend(t["agents"], "false"), new CronBackend("false") })
        {
            var e = Assert.Throws<SqliteBackupException>(() => backend.RegisterServiceStop(Stop("app-stop", "app")));
            Assert.Equal("ServiceStopNotSupported", e.ErrorId);
            Assert.Contains("-Type Shutdown", e.RecommendedAction);
        }
        Assert.False(Directory.Exists(t["agents"]));
    }
}
