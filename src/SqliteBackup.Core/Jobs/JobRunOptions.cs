using SqliteBackup.Core.Backups;
namespace SqliteBackup.Core.Jobs;

/// <summary>How one run differs from a scheduled one: the backup type, and a time after which it gives up.</summary>
public sealed record JobRunOptions
{
    /// <summary>Automatic for scheduled runs; Shutdown when the machine or an application's service stops (no restore test then).</summary>
    public BackupType Type { get; init; } = BackupType.Automatic;

    /// <summary>
    /// After this the run abandons what it is doing (a backup in progress leaves nothing behind), fails the databases not
    /// done, logs JobTimedOut and alerts. Null: no limit. A service's stop sets one, so that a backup never holds up the
    /// service's restart beyond the bound the user chose.
    /// </summary>
    public TimeSpan? TimeLimit { get; init; }
}
