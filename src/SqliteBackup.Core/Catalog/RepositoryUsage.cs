using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Catalog;

/// <summary>
/// What an incremental repository at one location holds against what its snapshots restore to: the logical size (the
/// snapshots' raw sizes added up) and the stored size (packs, indexes and snapshot manifests, each object once). A
/// snapshot's own Size counts every block it uses, shared or not, so adding those up would count shared blocks again.
/// </summary>
public sealed record RepositoryUsage
{
    /// <summary>The location as listed (a directory, or a store URI without secrets).</summary>
    public required string Location { get; init; }
    public int Snapshots { get; init; }
    /// <summary>The snapshots' raw sizes added up: what restoring every one of them would write.</summary>
    public long LogicalSize { get; init; }
    public int Packs { get; init; }
    public long PackBytes { get; init; }
    public long IndexBytes { get; init; }
    public long ManifestBytes { get; init; }
    /// <summary>Packs, indexes and snapshot manifests: what the repository weighs.</summary>
    public long StoredSize => PackBytes + IndexBytes + ManifestBytes;
    /// <summary>Logical size over stored size; null for an empty repository.</summary>
    public double? DedupRatio => StoredSize == 0 ? null : (double)LogicalSize / StoredSize;

    /// <summary>
    /// Each location that holds some of <paramref name="backups"/>' snapshots, its repository measured once, reached as
    /// its backups were listed; a location that cannot be read goes to <paramref name="failed"/> and is left out.
    /// </summary>
    public static IReadOnlyList<RepositoryUsage> MeasureAll(IEnumerable<BackupInfo> backups, Action<Errors.SqliteBackupException> failed, CancellationToken ct = default)
    {
        var usage = new List<RepositoryUsage>();
        foreach (var at in backups.Where(b => b.Format == BackupFormat.Snapshot).GroupBy(b => b.Directory, StringComparer.Ordinal))
        {
            try
            {
                using var store = at.First().OpenStore();
                if (Measure(store, at.Key, at, ct) is { } u) usage.Add(u);
            }
            catch (Errors.SqliteBackupException e) { failed(e); }
        }
        return usage;
    }

    /// <summary>
    /// The repository in <paramref name="store"/> (one listing), against <paramref name="snapshots"/> (the snapshots a
    /// catalog listed there); null when the location holds no repository object and no snapshot.
    /// </summary>
    public static RepositoryUsage? Measure(IBackupStore store, string location, IEnumerable<BackupInfo> snapshots, CancellationToken ct = default)
    {
        var objects = store.List(ct);
        var listed = snapshots.Where(s => s.Format == BackupFormat.Snapshot).DistinctBy(s => s.Id).ToList();
        var packs = objects.Where(o => RepositoryNames.IsPack(o.Name)).ToList();
        long indexBytes = objects.Where(o => RepositoryNames.IsIndex(o.Name)).Sum(o => o.Size);
        long manifestBytes = objects.Where(o => RepositoryNames.IsSnapshotManifest(o.Name)).Sum(o => o.Size);
        if (packs.Count == 0 && listed.Count == 0 && manifestBytes == 0) return null;
        return new RepositoryUsage
        {
            Location = location, Snapshots = listed.Count, LogicalSize = listed.Sum(s => s.RawSize),
            Packs = packs.Count, PackBytes = packs.Sum(o => o.Size), IndexBytes = indexBytes, ManifestBytes = manifestBytes,
        };
    }
}

/// <summary>
/// One database's snapshots: their logical size, and what they added to the repository (the packs they wrote; blocks are
/// shared only within a database's own snapshots, since a backup dedups against its parent's blocks).
/// </summary>
public sealed record RepositoryDatabaseUsage(int Snapshots, long LogicalSize, long AddedSize)
{
    public double? DedupRatio => AddedSize == 0 ? null : (double)LogicalSize / AddedSize;
}
