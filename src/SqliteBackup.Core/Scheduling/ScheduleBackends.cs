namespace SqliteBackup.Core.Scheduling;

public static class ScheduleBackends
{
    /// <summary>The scheduler for <paramref name="kind"/>; Auto picks the platform's own.</summary>
    public static IScheduleBackend For(SchedulerKind kind) => Resolve(kind) switch
    {
        SchedulerKind.Cron => new CronBackend(),
        SchedulerKind.Systemd => new SystemdBackend(userUnits: !IsRoot()),
        SchedulerKind.Launchd => new LaunchdBackend(),
        SchedulerKind.TaskScheduler => new TaskSchedulerBackend(),
        var k => throw new ArgumentOutOfRangeException(nameof(kind), k, null),
    };

    public static SchedulerKind Resolve(SchedulerKind kind)
    {
        if (kind != SchedulerKind.Auto) return kind;
        if (OperatingSystem.IsWindows()) return SchedulerKind.TaskScheduler;
        if (OperatingSystem.IsMacOS()) return SchedulerKind.Launchd;
        // systemd only when it is the running init: a container or a cron-only box has the binary but no manager.
        return Directory.Exists("/run/systemd/system") ? SchedulerKind.Systemd : SchedulerKind.Cron;
    }

    static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";
}
