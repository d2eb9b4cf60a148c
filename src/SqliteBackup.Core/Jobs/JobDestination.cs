using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// Another location a job copies each new backup to (a directory or a store URI), with its own retention: a job can
/// keep 7 daily backups on the machine and 30/12/12 off-site, as Ola Hallengren's mirror keeps its own cleanup time.
/// </summary>
/// <param name="Retention">Null: the job's own policy.</param>
public sealed record JobDestination(string Location, RetentionPolicy? Retention = null)
{
    /// <summary>Where its credential comes from (names only); null: the environment's defaults (AWS_* variables, AWS_PROFILE...).</summary>
    public DestinationCredential? Credential { get; init; }
    /// <summary>"timeout_sec": one operation's limit with its retries (StoreOptions.Timeout); null: the default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>"plain": true: snapshots of an incremental job arrive as plain .db.zst exports, not into a repository there.</summary>
    public bool Plain { get; init; }
}

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
    /// <summary>This database's backups kept there after its rotation (each reachable again: it carries the destination's access).</summary>
    internal IReadOnlyList<Catalog.BackupInfo> Copies { get; init; } = [];
    /// <summary>An incremental destination: packs its prune deleted after rotation (no remaining snapshot there named them).</summary>
    public int PacksPruned { get; init; }
    /// <summary>Bytes that prune freed.</summary>
    public long BytesFreed { get; init; }
    /// <summary>Unreferenced packs the prune kept because their Object Lock (or immutability policy) still holds; a later run deletes them.</summary>
    public int PacksLocked { get; init; }
    /// <summary>Older local backups copied in this run because they had no copy there yet (keep_local_until_copied).</summary>
    public int CaughtUp { get; init; }
    public string? ErrorId { get; init; }
    public string? Error { get; init; }

    /// <summary>
    /// Ids of backups this destination no longer needs kept locally: a verified copy is there (same SHA-256, size checked
    /// by the listing, a passing Quick record), or its own retention would not keep one. Null: the destination could not
    /// be listed, so nothing is known to be safe there.
    /// </summary>
    internal IReadOnlySet<string>? Secured { get; init; }
}
