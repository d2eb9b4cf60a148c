using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// systemd timers: user units in ~/.config/systemd/user (or system units in /etc/systemd/system), enabled with
/// systemctl. Persistent=true in the timer makes a run missed while the machine was off happen at the next boot.
/// </summary>
internal sealed class SystemdBackend(bool userUnits, string? unitDirectory = null, string systemctl = "systemctl", string? timeoutProgram = null) : IScheduleBackend
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

    /// <summary>
    /// A drop-in for the application's unit (see <see cref="Systemd.RenderServiceDropIn"/>), loaded with daemon-reload;
    /// the unit itself is neither restarted nor changed otherwise. The drop-in applies from the next stop on.
    /// </summary>
    public IReadOnlyList<string> RegisterServiceStop(ServiceStopDefinition definition)
    {
        string timeout = timeoutProgram ?? FindTimeout();
        string content = Systemd.RenderServiceDropIn(definition, userUnits, timeout);
        string dropIn = Systemd.DropInPath(UnitDirectory, definition);
        string folder = Path.GetDirectoryName(dropIn)!;
        var index = ServiceStopIndex.Read(UnitDirectory);
        // Registering a name again replaces it, possibly for another service: the old drop-in goes first.
        if (index.TryGetValue(definition.Name, out var old) && old.Location != dropIn) RemoveDropIn(old);
        bool created = !Directory.Exists(folder) || (index.TryGetValue(definition.Name, out var same) && same.Location == dropIn && same.CreatedFolder);
        ScheduleIndex.WriteFile(dropIn, content);
        index[definition.Name] = new ServiceStopEntry(Systemd.ServiceUnit(definition.Service), definition.Command.ToString(), dropIn, created);
        ServiceStopIndex.Write(UnitDirectory, index);
        try { ExternalCommand.RunChecked(systemctl, Ctl("daemon-reload")); }
        catch (SqliteBackupException)
        {
            Unregister(definition.Name);
            throw;
        }
        return Warnings(definition);
    }

    /// <summary>What would make the drop-in not do what was asked: an unknown unit, or a unit that kills us sooner.</summary>
    List<string> Warnings(ServiceStopDefinition definition)
    {
        string unit = Systemd.ServiceUnit(definition.Service);
        var (code, output, _) = ExternalCommand.Run(systemctl, Ctl("show", "--property=LoadState", "--property=TimeoutStopUSec", unit));
        var warnings = new List<string>();
        if (code != 0) return warnings;
        var props = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        if (props.GetValueOrDefault("LoadState") == "not-found")
            warnings.Add($"systemd does not know the unit {unit}: the drop-in waits for it. Check the name with systemctl{(userUnits ? " --user" : "")} status {unit}.");
        if (props.TryGetValue("TimeoutStopUSec", out var stop) && Systemd.ParseTimeSpan(stop) is { } limit && limit < definition.Bound)
            warnings.Add($"{unit} stops with TimeoutStopSec={stop}, shorter than the {(int)definition.Bound.TotalSeconds} s the backup may take: systemd would kill it first. Raise TimeoutStopSec in the unit, or lower -StopTimeoutSec.");
        return warnings;
    }

    static string FindTimeout() =>
        new[] { "/usr/bin/timeout", "/bin/timeout" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "timeout")))
            .FirstOrDefault(File.Exists)
        ?? throw BackupErrors.TimeoutProgramNotFound();

    void RemoveDropIn(ServiceStopEntry entry)
    {
        AtomicFile.TryDelete(entry.Location);
        string folder = Path.GetDirectoryName(entry.Location)!;
        // Our folder goes with our file, and only when nothing else was put in it meanwhile.
        if (entry.CreatedFolder && Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
            Directory.Delete(folder);
    }

    public bool Unregister(string name)
    {
        var services = ServiceStopIndex.Read(UnitDirectory);
        if (services.Remove(name, out var entry))
        {
            // Another of ours still in the folder we created inherits it, so that the last one out removes the folder.
            string folder = Path.GetDirectoryName(entry.Location)!;
            if (entry.CreatedFolder && services.FirstOrDefault(kv => Path.GetDirectoryName(kv.Value.Location) == folder) is { Key: { } heir } kept)
            {
                services[heir] = kept.Value with { CreatedFolder = true };
                entry = entry with { CreatedFolder = false };
            }
            RemoveDropIn(entry);
            ServiceStopIndex.Write(UnitDirectory, services);
            ExternalCommand.Run(systemctl, Ctl("daemon-reload"));
            return true;
        }
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
        .Concat(ServiceStopIndex.Read(UnitDirectory).Where(kv => File.Exists(kv.Value.Location)).Select(kv => ServiceStopIndex.ToSchedule(kv.Key, SchedulerKind.Systemd, kv.Value)))
        .ToList();
}
