namespace SqliteBackup.Core.Scheduling.Registration;

/// <summary>One OS scheduler. Small on purpose: a new scheduler is a class, not a branch in every cmdlet.</summary>
public interface IScheduleBackend
{
    SchedulerKind Kind { get; }
    /// <summary>Creates or replaces the schedule of this name.</summary>
    void Register(ScheduleDefinition definition);
    /// <summary>Removes the schedule; false when there was none of that name.</summary>
    bool Unregister(string name);
    IReadOnlyList<RegisteredSchedule> List();
}
