using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// The snapshot a new one is compared with: the newest of the same database, in the same block size, whose packs are
/// all present with their sizes and whose block list and indexes read back. Every block in its packs is "known": a new
/// block with one of those hashes is referenced, neither compressed nor written again.
/// </summary>
internal sealed class ParentSnapshot
{
    public required BackupManifest Manifest { get; init; }
    public required IReadOnlyList<PackRef> Packs { get; init; }
    public required IReadOnlyList<IReadOnlyList<PackEntry>> Indexes { get; init; }

    /// <summary>At most this many candidates are tried, newest first: a repository with many broken snapshots needs its check, not a slow backup.</summary>
    const int MaxTries = 5;

    /// <param name="listing">One listing of the store, taken once for the whole backup.</param>
    public static ParentSnapshot? Find(IBackupStore store, IReadOnlyList<StoredObject> listing, string snapshotDatabasePrefix, string database, int blockSize,
        ILogger log, CancellationToken ct)
    {
        var named = listing
            .Where(o => RepositoryNames.IsSnapshotManifest(o.Name))
            .Select(o => (o.Name, Ok: BackupNaming.TryParseSnapshot(o.Name[..^BackupManifest.Suffix.Length], out var n), Parsed: n))
            .Where(c => c.Ok && c.Parsed.Database == snapshotDatabasePrefix)
            .OrderByDescending(c => c.Parsed.CreatedUtc)
            .ToList();
        // The stamp in a name has whole seconds: snapshots taken within one second tie on it, and their random ids say
        // nothing about which came last. Every candidate tied with the last one tried is read too, and the manifests'
        // own times (100 ns) order them; equal times fall back to the name, so the choice never depends on listing order.
        int take = Math.Min(MaxTries, named.Count);
        while (take < named.Count && named[take].Parsed.CreatedUtc == named[take - 1].Parsed.CreatedUtc) take++;
        var read = named.Take(take).Select(c => (c.Name, c.Parsed.CreatedUtc, Manifest: Read(store, c.Name, log, ct))).ToList();
        var candidates = read
            .OrderByDescending(c => c.CreatedUtc)
            .ThenByDescending(c => c.Manifest?.CreatedUtc ?? DateTime.MinValue)
            .ThenByDescending(c => c.Name, StringComparer.Ordinal)
            .Take(MaxTries);
        foreach (var (name, _, m) in candidates)
        {
            if (m == null) continue;
            try
            {
                if (m.Repository == null || m.Database != database || m.Repository.BlockSize != blockSize)
                {
                    log.LogDebug("Not using {Name} as the parent snapshot: {Problem}", name, "another database or block size");
                    continue;
                }
                var missing = SnapshotReader.QuickCheck(store, m, listing, ct);
                if (missing.Count > 0)
                {
                    log.LogWarning("Not using the snapshot {File} as the parent of the new one: {Problem}", m.File, missing[0]);
                    continue;
                }
                var resolved = SnapshotReader.Resolve(store, m, ct);
                return new ParentSnapshot { Manifest = m, Packs = m.Repository.Packs, Indexes = resolved.Indexes };
            }
            catch (SqliteBackupException e) when (e.ErrorId is "RepositoryDamaged" or "RepositoryPackMissing" or "StoreObjectNotFound")
            {
                log.LogWarning("Not using {Name} as the parent snapshot: {Message}", name, e.Message);
            }
        }
        return null;
    }

    /// <summary>A candidate's manifest, or null (logged) when it is gone or does not parse: it is then simply not a parent.</summary>
    static BackupManifest? Read(IBackupStore store, string name, ILogger log, CancellationToken ct)
    {
        try
        {
            var m = BackupManifest.TryParse(store.ReadAllBytes(name, ct), out var problem);
            if (m == null) log.LogDebug("Not using {Name} as the parent snapshot: {Problem}", name, problem);
            return m;
        }
        catch (SqliteBackupException e) when (e.ErrorId is "StoreObjectNotFound")
        {
            log.LogWarning("Not using {Name} as the parent snapshot: {Message}", name, e.Message);
            return null;
        }
    }
}
