using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Reporting;

/// <summary>
/// Everything the HTML report shows, already gathered and decided: <see cref="BackupReport.Render"/> only formats it.
/// Build one with <see cref="BackupReport.BuildModel"/>.
/// </summary>
public sealed record BackupReportModel
{
    public required DateTime GeneratedUtc { get; init; }
    /// <summary>The zone the report shows times in and the retention buckets were cut in.</summary>
    public required TimeZoneInfo Zone { get; init; }
    public IReadOnlyList<string> BackupDirectories { get; init; } = [];
    public string? ConfigPath { get; init; }
    /// <summary>Each backup once, newest first.</summary>
    public required IReadOnlyList<BackupInfo> Backups { get; init; }
    public required BackupStatistics Statistics { get; init; }
    public required RetentionPolicy Policy { get; init; }
    /// <summary>What <see cref="BackupRotation.Plan"/> decides for <see cref="Backups"/> under <see cref="Policy"/> (nothing is removed).</summary>
    public required IReadOnlyList<RotationDecision> Retention { get; init; }
    /// <summary>The latest failure events of the backup log, newest first, at most <see cref="BackupReport.MaxFailures"/>.</summary>
    public required IReadOnlyList<BackupLogEntry> Failures { get; init; }
    public ReportSchedules Schedules { get; init; } = ReportSchedules.Unknown;
}
