using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// Another location a job copies each new backup to (a directory or a store URI), with its own retention: a job can
/// keep 7 daily backups on the machine and 30/12/12 off-site, as Ola Hallengren's mirror keeps its own cleanup time.
/// </summary>
/// <param name="Retention">Null: the job's own policy.</param>
public sealed record JobDestination(string Location, RetentionPolicy? Retention = null);

/// <summary>What one destination got in one run.</summary>
public sealed record DestinationResult(string Location)
{
    public bool Succeeded => Error == null;
    /// <summary>The copy at the destination (copied now, or already there with the same SHA-256).</summary>
    public Catalog.BackupInfo? Copy { get; init; }
    public int Removed { get; init; }
    public int Kept { get; init; }
    /// <summary>Of <see cref="Kept"/>, those rotation would have removed but whose Object Lock refused the delete.</summary>
    public int Locked { get; init; }
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
}
