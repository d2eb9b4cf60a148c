using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Reporting;

/// <summary>One registered schedule as the report shows it; <see cref="NextRun"/> is null where it is not known.</summary>
public sealed record ReportSchedule(string Name, SchedulerKind Scheduler, string? Schedule, DateTimeOffset? NextRun, string Command, string Location);

/// <summary>
/// The schedules that run a configuration, or a note saying why none are shown. Reading a scheduler runs other programs
/// (crontab, systemctl, schtasks) that may be missing or refuse: that is a note in the report, never a failed report.
/// </summary>
public sealed record ReportSchedules(IReadOnlyList<ReportSchedule> Schedules, string Note)
{
    public const string NoConfigurationNote = "No schedule known: the report was made without a configuration (-ConfigPath).";

    /// <summary>Set when the scheduler could not be read: what went wrong, for a warning.</summary>
    public string? Error { get; init; }

    public static ReportSchedules Unknown { get; } = new([], NoConfigurationNote);

    /// <summary>
    /// The schedules among <paramref name="list"/>'s whose command names <paramref name="configPath"/>. Never throws
    /// for a scheduler problem: an exception from <paramref name="list"/> (or from computing a next run) becomes the note.
    /// </summary>
    public static ReportSchedules Find(string? configPath, Func<IReadOnlyList<RegisteredSchedule>> list)
    {
        if (string.IsNullOrEmpty(configPath)) return Unknown;
        try
        {
            var found = list()
                .Where(s => s.Command.Contains(configPath, StringComparison.Ordinal))
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new ReportSchedule(s.Name, s.Scheduler, s.Schedule, NextRunOrNull(s), s.Command, s.Location))
                .ToList();
            return new ReportSchedules(found, found.Count == 0
                ? $"No schedule registered for {configPath} (Register-BackupSchedule -ConfigPath registers one)."
                : $"Schedules whose command runs {configPath}.");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ReportSchedules([], $"Schedule unknown: the scheduler could not be read ({e.Message}).") { Error = e.Message };
        }
    }

    static DateTimeOffset? NextRunOrNull(RegisteredSchedule s)
    {
        try { return s.NextRun; }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or SqliteBackupException) { return null; }
    }
}
