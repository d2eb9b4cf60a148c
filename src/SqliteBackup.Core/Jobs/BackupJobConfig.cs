using SqliteBackup.Core.Format;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// The "backup" section of a JSON configuration file, with every path already resolved against the file's folder
/// (never the scheduler's working directory). See <see cref="BackupJobConfigFile"/> for the format.
/// </summary>
/// <summary>One entry of "services": a service and how long a backup may hold up its stop.</summary>
public sealed record ServiceStopConfig(string Name, int StopTimeoutSec = ServiceStopConfig.DefaultStopTimeoutSec)
{
    public const int DefaultStopTimeoutSec = 60;
    /// <summary>pwsh's start and the module's load take 3-7 s; under this a stop backup is killed before it can report.</summary>
    public const int MinimumStopTimeoutSec = 15;
}

public sealed record BackupJobConfig
{
    public required string ConfigPath { get; init; }
    public bool Enabled { get; init; } = true;
    public bool AutomaticDaily { get; init; } = true;
    public TimeOnly BackupTime { get; init; } = new(2, 0);
    public bool BackupOnShutdown { get; init; }
    /// <summary>Application services whose every stop takes a Shutdown backup (Register-BackupSchedule registers them).</summary>
    public IReadOnlyList<ServiceStopConfig> Services { get; init; } = [];
    public required IReadOnlyList<string> Databases { get; init; }
    public required string BackupDirectory { get; init; }
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    /// <summary>"incremental": each backup is a snapshot in the incremental repository in the backup directory.</summary>
    public bool Incremental { get; init; }
    /// <summary>"encryption": every backup compressed, then encrypted in the age format; keys named, never held (see <see cref="JobEncryption"/>).</summary>
    public JobEncryption? Encryption { get; init; }
    public VerificationLevel Verification { get; init; } = VerificationLevel.Standard;
    public bool WeeklyRestoreTest { get; init; } = true;
    public required string LogFile { get; init; }
    /// <summary>Where verification and the restore test decompress; null: a hidden folder beside the backups (see ScratchDirectory).</summary>
    public string? ScratchDirectory { get; init; }
    /// <summary>Use a backup directory or log folder that users other than its owner and root can write (see DirectoryTrust).</summary>
    public bool AllowInsecureDirectory { get; init; }
    public int RetentionLast { get; init; }
    public int RetentionHours { get; init; }
    public int RetentionDays { get; init; } = 30;
    public int RetentionWeeks { get; init; } = 12;
    public int RetentionMonths { get; init; } = 12;
    public int RetentionYears { get; init; }
    /// <summary>Other locations each new backup is copied to, each rotated by its own policy.</summary>
    public IReadOnlyList<JobDestination> Destinations { get; init; } = [];
    /// <summary>
    /// Local rotation never removes a backup that some destination still lacks a verified copy of (and would keep):
    /// it is kept as "awaiting off-site copy", and copied by the next run that reaches the destination. Off by default:
    /// a destination that stays down would otherwise fill the disk the database lives on; every failed run alerts.
    /// </summary>
    public bool KeepLocalUntilCopied { get; init; }
    /// <summary>The weekly restore test picks among the destinations' copies (fetched first, as a restore from off-site is), when they hold one.</summary>
    public bool RestoreTestOffsite { get; init; }
    public IReadOnlyList<Notifications.NotificationTarget> Notify { get; init; } = [];
    public bool NotifyOnSuccess { get; init; }
    /// <summary>The password is never in the file: smtp_password_env names the environment variable that holds it.</summary>
    public Notifications.SmtpSettings? Smtp { get; init; }

    public RetentionPolicy RetentionPolicy => new RetentionPolicy
    {
        KeepLast = RetentionLast, KeepHourly = RetentionHours, KeepDaily = RetentionDays,
        KeepWeekly = RetentionWeeks, KeepMonthly = RetentionMonths, KeepYearly = RetentionYears,
    }.OrDefault();
}
