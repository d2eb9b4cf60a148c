namespace SqliteBackup.Core.Scheduling;

/// <summary>Which operating-system scheduler runs the job. Auto: Task Scheduler on Windows, launchd on macOS, systemd timers where systemd is running, else cron.</summary>
public enum SchedulerKind
{
    Auto,
    Cron,
    Systemd,
    Launchd,
    TaskScheduler,
}
