using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Verification;
namespace SqliteBackup.Core.Jobs;

/// <summary>What one job run did for one database; the job's output, one per database.</summary>
public sealed record DatabaseJobResult(string Database, string DatabasePath)
{
    public bool Succeeded => Error == null;
    public BackupInfo? Backup { get; init; }
    public bool? Verified => Backup?.Verified;
    public int Removed { get; init; }
    public int Kept { get; init; }
    /// <summary>An incremental job: repository packs the local prune deleted after rotation (no remaining snapshot named them).</summary>
    public int PacksPruned { get; init; }
    /// <summary>Bytes that prune freed.</summary>
    public long BytesFreed { get; init; }
    /// <summary>Unreferenced packs the prune kept because their Object Lock (or immutability policy) still holds; a later run deletes them.</summary>
    public int PacksLocked { get; init; }
    /// <summary>What local rotation decided for each backup of this database, and why (a backup awaiting its off-site copy says so).</summary>
    public IReadOnlyList<Retention.RotationDecision> Rotation { get; init; } = [];
    /// <summary>Null when no restore test was due this run.</summary>
    public RestoreTestResult? RestoreTest { get; init; }
    /// <summary>One per configured destination, in the configuration's order; empty when there are none.</summary>
    public IReadOnlyList<DestinationResult> Destinations { get; init; } = [];
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
    public TimeSpan Duration { get; init; }
}

/// <summary>One restore test. Failed needs evidence about the backup; a test that could not run is Inconclusive.</summary>
public sealed record RestoreTestResult(BackupInfo Backup, VerificationOutcome Outcome, string Message, TimeSpan Duration)
{
    public bool Passed => Outcome == VerificationOutcome.Passed;
}
