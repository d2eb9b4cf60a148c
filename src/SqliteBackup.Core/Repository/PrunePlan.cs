using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>A snapshot manifest as read for a prune: the manifest, or why it could not be read (which makes the prune refuse).</summary>
public sealed record SnapshotManifestRead(string Name, BackupManifest? Manifest, string? Problem = null);

public enum PruneAction { Delete, Keep }

/// <summary>
/// Why a pack or index is kept or deleted, as data (the cmdlet and tests read the kind, never the wording).
/// Referenced: a snapshot names the pack. Young: written less than <see cref="PrunePlan.MinimumAge"/> ago (it may belong
/// to a backup under way whose lock was not visible yet). Unreferenced: no snapshot names it. Orphan: an index without
/// its pack, or a pack without its index, that no snapshot names.
/// </summary>
public enum PruneReason { Referenced, Young, Unreferenced, OrphanIndex, OrphanPack }

public sealed record PruneDecision(string Name, long Size, DateTime ModifiedUtc, PruneAction Action, PruneReason Reason, int Snapshots = 0);

/// <summary>
/// What a prune deletes: a pure function of the snapshot manifests, one listing and the time, so every case is a table
/// row in a test. Deletes a pack-*.pack and its .index only when no snapshot that parses names the pack and both are at
/// least an hour old; a snapshot manifest that does not parse refuses the whole prune (its packs are unknown, and
/// guessing risks a live snapshot). Objects that are not packs or indexes are never candidates.
/// </summary>
public sealed record PrunePlan(IReadOnlyList<PruneDecision> Decisions, SnapshotManifestRead? RefusedBy)
{
    public static readonly TimeSpan MinimumAge = TimeSpan.FromHours(1);

    public IEnumerable<PruneDecision> Deleted => Decisions.Where(d => d.Action == PruneAction.Delete);
    public IEnumerable<PruneDecision> Kept => Decisions.Where(d => d.Action == PruneAction.Keep);
    public long BytesFreed => Deleted.Sum(d => d.Size);
    public bool Refused => RefusedBy != null;

    public static PrunePlan Create(IReadOnlyList<SnapshotManifestRead> snapshots, IReadOnlyList<StoredObject> objects, DateTime nowUtc)
    {
        var candidates = objects.Where(o => RepositoryNames.IsPack(o.Name) || RepositoryNames.IsIndex(o.Name))
            .OrderBy(o => o.Name, StringComparer.Ordinal).ToList();
        var broken = snapshots.Where(s => s.Manifest?.Repository == null).OrderBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault();
        if (broken != null)
            return new PrunePlan(candidates.Select(o => new PruneDecision(o.Name, o.Size, o.ModifiedUtc, PruneAction.Keep, PruneReason.Referenced)).ToList(),
                broken.Problem == null && broken.Manifest != null ? broken with { Problem = "it names no repository" } : broken);

        // Pack name -> how many snapshots need it.
        var needed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in snapshots)
            foreach (var pack in s.Manifest!.Repository!.Packs.Select(p => p.Name).Distinct(StringComparer.Ordinal))
                needed[pack] = needed.GetValueOrDefault(pack) + 1;

        var byName = candidates.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var decisions = new List<PruneDecision>();
        foreach (var o in candidates)
        {
            string pack = RepositoryNames.IsPack(o.Name) ? o.Name : o.Name[..^RepositoryNames.IndexSuffix.Length] + RepositoryNames.PackSuffix;
            byName.TryGetValue(pack, out var packObject);
            byName.TryGetValue(RepositoryNames.IndexOf(pack), out var indexObject);
            PruneDecision Decide(PruneAction action, PruneReason reason, int count = 0) => new(o.Name, o.Size, o.ModifiedUtc, action, reason, count);

            if (needed.TryGetValue(pack, out int count)) decisions.Add(Decide(PruneAction.Keep, PruneReason.Referenced, count));
            // A pack and its index go together: the younger of the two keeps both.
            else if (new[] { packObject, indexObject }.Any(x => x != null && nowUtc - x.ModifiedUtc < MinimumAge)) decisions.Add(Decide(PruneAction.Keep, PruneReason.Young));
            else if (packObject == null) decisions.Add(Decide(PruneAction.Delete, PruneReason.OrphanIndex));
            else if (indexObject == null) decisions.Add(Decide(PruneAction.Delete, PruneReason.OrphanPack));
            else decisions.Add(Decide(PruneAction.Delete, PruneReason.Unreferenced));
        }
        return new PrunePlan(decisions, null);
    }
}
