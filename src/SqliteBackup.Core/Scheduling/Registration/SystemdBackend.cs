using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
namespace SqliteBackup.Core.Scheduling.Registration;

/// <summary>
/// systemd timers: user units in ~/.config/systemd/user (or system units in /etc/systemd/system), enabled with
/// systemctl. Persistent=true in the timer makes a run missed while the machine was off happen at the next boot.
/// </summary>
internal sealed class SystemdBackend(bool userUnits, string? unitDirectory = null, string systemctl = "systemctl") : IScheduleBackend
{
    public SchedulerKind Kind => SchedulerKind.Systemd;

    public string UnitDirectory { get; } = unitDirectory ?? (userUnits
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "systemd", "user")
        : "/etc/systemd/system");

    IEnumerable<string> Ctl(params string[] args) => userUnits ? ["--user", .. args] : args;

    public void Register(ScheduleDefinition definition)
    {
        var units = Systemd.Render(definition, userUnits);
        foreach (var (file, content) in units.Files) ScheduleIndex.WriteFile(Path.Combine(UnitDirectory, file), content);
        var index = ScheduleIndex.Read(UnitDirectory);
        index[definition.Name] = (definition.Schedule.ToCron(), definition.Command.ToString());
        ScheduleIndex.Write(UnitDirectory, index);
        try
        {
            ExternalCommand.RunChecked(systemctl, Ctl("daemon-reload"));
            ExternalCommand.RunChecked(systemctl, Ctl("enable", "--now", Systemd.TimerName(definition.Name)));
            // enable alone would leave the shutdown unit inactive until the next boot, and its ExecStop would never run.
            if (units.ShutdownService != null) ExternalCommand.RunChecked(systemctl, Ctl("enable", "--now", Systemd.ShutdownServiceName(definition.Name)));
        }
        catch (SqliteBackupException)
        {
            // A schedule systemd never accepted must not linger as files that look registered.
            Unregister(definition.Name);
            throw;
        }
    }

    public bool Unregister(string name)
    {
        var index = ScheduleIndex.Read(UnitDirectory);
        string[] files = [Systemd.TimerName(name), Systemd.ServiceName(name), Systemd.ShutdownServiceName(name)];
        bool any = index.Remove(name) | files.Any(f => File.Exists(Path.Combine(UnitDirectory, f)));
        if (!any) return false;
        // Stopping the shutdown unit would run its ExecStop (a backup): disable it without stopping.
        ExternalCommand.Run(systemctl, Ctl("disable", "--now", Systemd.TimerName(name)));
        ExternalCommand.Run(systemctl, Ctl("disable", Systemd.ShutdownServiceName(name)));
        foreach (var f in files) AtomicFile.TryDelete(Path.Combine(UnitDirectory, f));
        ScheduleIndex.Write(UnitDirectory, index);
        ExternalCommand.Run(systemctl, Ctl("daemon-reload"));
        return true;
    }

    public IReadOnlyList<RegisteredSchedule> List() => ScheduleIndex.Read(UnitDirectory)
        .Where(kv => File.Exists(Path.Combine(UnitDirectory, Systemd.TimerName(kv.Key))))
        .Select(kv => new RegisteredSchedule(kv.Key, SchedulerKind.Systemd, kv.Value.Cron, kv.Value.Command, Path.Combine(UnitDirectory, Systemd.TimerName(kv.Key))))
        .ToList();
}
