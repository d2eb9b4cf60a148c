namespace SqliteBackup.Core.Scheduling;

/// <summary>How a <see cref="ScheduleSpec"/> says when to run. Every kind is read in the machine's local time.</summary>
public enum ScheduleKind
{
    /// <summary>Every day at <see cref="ScheduleSpec.At"/>.</summary>
    Daily,
    /// <summary>On each of <see cref="ScheduleSpec.DaysOfWeek"/> at <see cref="ScheduleSpec.At"/>.</summary>
    Weekly,
    /// <summary>Every hour at minute <c>At.Minute</c>.</summary>
    Hourly,
    /// <summary>A five-field cron expression in the portable subset that every back end can carry.</summary>
    Cron,
}
