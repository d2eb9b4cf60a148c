namespace SqliteBackup.Core.Scheduling;

/// <summary>A schedule of ours as found in an OS scheduler.</summary>
public sealed record RegisteredSchedule(string Name, SchedulerKind Scheduler, string? CronExpression, string Command, string Location)
{
    /// <summary>For a backup on a service's stop: the service (systemd unit, or Windows display name); null for a calendar schedule.</summary>
    public string? Service { get; init; }
    /// <summary>Computed by Cronos from the cron expression, in local time; null when the scheduler's own syntax could not be mapped back.</summary>
    public DateTimeOffset? NextRun => CronExpression is null ? null : ScheduleSpec.FromCron(CronExpression).NextRun(DateTimeOffset.Now, TimeZoneInfo.Local);
    public string? Schedule => CronExpression ?? (Service is null ? null : $"when {Service} stops");
}
