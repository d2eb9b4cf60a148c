using SqliteBackup.Core.Errors;
namespace SqliteBackup.Core.Scheduling;

/// <summary>One OS scheduler. Small on purpose: a new scheduler is a class, not a branch in every cmdlet.</summary>
public interface IScheduleBackend
{
    SchedulerKind Kind { get; }
    /// <summary>Creates or replaces the schedule of this name.</summary>
    void Register(ScheduleDefinition definition);
    /// <summary>Removes the schedule; false when there was none of that name.</summary>
    bool Unregister(string name);
    IReadOnlyList<RegisteredSchedule> List();

    /// <summary>
    /// Creates or replaces a backup that runs each time an application's service stops. Returns warnings for the caller
    /// to show (a unit systemd does not know, a bound longer than the unit's own stop timeout). Schedulers without a
    /// service-stop trigger refuse with ServiceStopNotSupported, saying what to do instead.
    /// </summary>
    IReadOnlyList<string> RegisterServiceStop(ServiceStopDefinition definition) => throw BackupErrors.ServiceStopNotSupported(Kind.ToString(), definition.Service);
}
