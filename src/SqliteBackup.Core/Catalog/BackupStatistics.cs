using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Catalog;

/// <summary>History at a glance: what a set of backups adds up to, and how many failures the log recorded lately.</summary>
public sealed record BackupStatistics
{
    public static readonly TimeSpan FailureWindow = TimeSpan.FromDays(30);
    /// <summary>The backup log events that count as failures. VerificationInconclusive and RestoreTestInconclusive do not: they prove nothing.</summary>
    public static readonly IReadOnlySet<string> FailureEvents = new HashSet<string>(
        new[] { BackupEvents.BackupFailed, BackupEvents.VerificationFailed, BackupEvents.RestoreTestFailed, BackupEvents.JobFailed, BackupEvents.JobStepFailed }.Select(e => e.Name!),
        StringComparer.Ordinal);

    public int Count { get; init; }
    /// <summary>
    /// Bytes stored: plain backups' sizes, plus each measured repository once (its packs, indexes and manifests), never
    /// the snapshots' sizes added up (they share blocks).
    /// </summary>
    public long TotalStoredSize { get; init; }
    public long TotalRawSize { get; init; }
    public DateTime? Oldest { get; init; }
    public DateTime? Newest { get; init; }
    /// <summary>Keyed by the type's name: ConvertTo-Json and other serializers take only string keys.</summary>
    public IReadOnlyDictionary<string, int> ByType { get; init; } = new Dictionary<string, int>();
    public IReadOnlyDictionary<string, int> ByDatabase { get; init; } = new Dictionary<string, int>();
    /// <summary>Share (0..1) of backups whose latest verification passed; null when there are none.</summary>
    public double? VerifiedShare { get; init; }
    /// <summary>Backups whose latest check could not run (no space, no permission): not failed, but worth checking again.</summary>
    public int Inconclusive { get; init; }
    public int FailuresLast30Days { get; init; }
    public double? AverageDurationMs { get; init; }
    /// <summary>Snapshots among the backups (the rest are plain backup files).</summary>
    public int Snapshots { get; init; }
    /// <summary>The incremental repositories at the locations measured; empty when there are none.</summary>
    public IReadOnlyList<RepositoryUsage> Repositories { get; init; } = [];
    /// <summary>What the snapshots restore to, added up; null without snapshots.</summary>
    public long? LogicalSize { get; init; }
    /// <summary>What the repositories weigh (packs, indexes, snapshot manifests); null without a repository.</summary>
    public long? RepositoryStoredSize { get; init; }
    /// <summary>Logical size over the repositories' stored size; null without a repository.</summary>
    public double? DedupRatio { get; init; }
    /// <summary>Per database with snapshots: their logical size, what they added to the repository, and the ratio.</summary>
    public IReadOnlyDictionary<string, RepositoryDatabaseUsage> RepositoryByDatabase { get; init; } = new Dictionary<string, RepositoryDatabaseUsage>();

    /// <param name="databases">When the backups are a selection (piped in), only these databases' failures count; null: every failure in the log.</param>
    /// <param name="repositories">The repositories at the locations measured (<see cref="RepositoryUsage.Measure"/>): each counted once in the stored size.</param>
    public static BackupStatistics Compute(IReadOnlyCollection<BackupInfo> backups, IEnumerable<BackupLogEntry> log, DateTime utcNow,
        IReadOnlySet<string>? databases = null, IReadOnlyList<RepositoryUsage>? repositories = null)
    {
        var since = utcNow - FailureWindow;
        repositories ??= [];
        var snapshots = backups.Where(b => b.Format == BackupFormat.Snapshot).ToList();
        long repositoryBytes = repositories.Sum(r => r.StoredSize);
        // Snapshots at a location whose repository was not measured still count with their own sizes.
        var measured = repositories.Select(r => r.Location).ToHashSet(StringComparer.Ordinal);
        long unmeasured = snapshots.Where(b => !measured.Contains(b.Directory)).Sum(b => b.StoredSize);
        return new BackupStatistics
        {
            Count = backups.Count,
            TotalStoredSize = backups.Where(b => b.Format == BackupFormat.Plain).Sum(b => b.StoredSize) + repositoryBytes + unmeasured,
            Snapshots = snapshots.Count,
            Repositories = repositories,
            LogicalSize = snapshots.Count == 0 ? null : snapshots.Sum(b => b.RawSize),
            RepositoryStoredSize = repositories.Count == 0 ? null : repositoryBytes,
            DedupRatio = repositoryBytes == 0 ? null : (double)snapshots.Where(b => measured.Contains(b.Directory)).Sum(b => b.RawSize) / repositoryBytes,
            RepositoryByDatabase = snapshots.GroupBy(b => b.Database, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => new RepositoryDatabaseUsage(g.Count(), g.Sum(b => b.RawSize), g.Sum(b => b.Manifest.Repository!.AddedSize)), StringComparer.Ordinal),
            TotalRawSize = backups.Sum(b => b.RawSize),
            Oldest = backups.Count == 0 ? null : backups.Min(b => b.Created),
            Newest = backups.Count == 0 ? null : backups.Max(b => b.Created),
            ByType = backups.GroupBy(b => b.Type).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(), g => g.Count(), StringComparer.Ordinal),
            ByDatabase = backups.GroupBy(b => b.Database, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            VerifiedShare = backups.Count == 0 ? null : backups.Count(b => b.Verified == true) / (double)backups.Count,
            Inconclusive = backups.Count(b => b.LastOutcome == VerificationOutcome.Inconclusive),
            FailuresLast30Days = log.Count(e => FailureEvents.Contains(e.Event) && e.Time.ToUniversalTime() >= since
                && (databases == null || (e.Database != null && databases.Contains(e.Database)))),
            AverageDurationMs = backups.Count == 0 ? null : backups.Average(b => (double)b.Manifest.DurationMs),
        };
    }
}
