using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <param name="Plan">What was (or, with WhatIf, would be) deleted and kept; null when the location holds no repository.</param>
/// <param name="Deferred">Another process held a lock (a backup under way, another prune): nothing was deleted.</param>
/// <param name="Holders">Who held it, for the warning.</param>
public sealed record PruneResult(string Location, PrunePlan? Plan, bool WhatIf, bool Deferred, IReadOnlyList<RepositoryLock.LockInfo> Holders)
{
    /// <summary>Packs and indexes the plan deletes but whose Object Lock (or immutability policy) refused it, or (WhatIf) would: kept for a later prune.</summary>
    public IReadOnlyList<LockedObject> Locked { get; init; } = [];

    public long BytesFreed => Deferred || Plan == null ? 0 : Plan.BytesFreed - Locked.Sum(l => l.Size);

    /// <summary>Packs deleted (or, WhatIf, that would be): the plan's, less those kept under a lock.</summary>
    public int PacksDeleted => Deferred || Plan == null ? 0 : Plan.Deleted.Count(d => RepositoryNames.IsPack(d.Name)) - Locked.Count(l => RepositoryNames.IsPack(l.Name));

    public int PacksLocked => Locked.Count(l => RepositoryNames.IsPack(l.Name));
}

/// <param name="UntilUtc">Until when the lock holds, where the store said.</param>
public sealed record LockedObject(string Name, long Size, DateTime? UntilUtc);

/// <summary>
/// Deletes the packs no snapshot references, under the repository's exclusive lock. It never waits for one: a backup
/// under way keeps its lock, and the space is freed by the next rotation instead.
/// </summary>
public static class RepositoryPruner
{
    public static PruneResult Prune(IBackupStore store, bool whatIf, ILogger log, CancellationToken ct = default) =>
        Prune(store, whatIf, log, DateTime.UtcNow, null, ct);

    /// <param name="asIfRemoved">With <paramref name="whatIf"/>: snapshot manifests (object names) a rotation would remove
    /// first, so the plan shows what that rotation would free; ignored otherwise (a real prune reads what is there).</param>
    public static PruneResult Prune(IBackupStore store, bool whatIf, ILogger log, IReadOnlyCollection<string>? asIfRemoved, CancellationToken ct = default) =>
        Prune(store, whatIf, log, DateTime.UtcNow, asIfRemoved, ct);

    internal static PruneResult Prune(IBackupStore store, bool whatIf, ILogger log, DateTime nowUtc, CancellationToken ct = default) =>
        Prune(store, whatIf, log, nowUtc, null, ct);

    internal static PruneResult Prune(IBackupStore store, bool whatIf, ILogger log, DateTime nowUtc, IReadOnlyCollection<string>? asIfRemoved, CancellationToken ct = default)
    {
        // A location of plain backups only gets no lock object and no work.
        if (!store.List(ct).Any(o => IsRepositoryObject(o.Name))) return new PruneResult(store.Location, null, whatIf, false, []);
        if (whatIf)
        {
            var preview = Plan(store, nowUtc, ct, asIfRemoved);
            return new PruneResult(store.Location, preview, true, false, []) { Locked = WouldBeLocked(store, preview, ct) };
        }

        // The lock is written before anything is deleted: a full disk or a read-only repository stops the prune here,
        // exactly when an operator rotates to free space, so it must say so rather than surface a bare I/O error.
        RepositoryLock? acquired;
        IReadOnlyList<RepositoryLock.LockInfo> holders;
        try { acquired = RepositoryLock.TryAcquireExclusive(store, "prune", log, out holders, ct); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.RepositoryPruneCannotWrite(store.Location, e); }
        using var held = acquired;
        if (held == null)
        {
            var h = holders[0];
            log.LogWarning(BackupEvents.RepositoryPruneDeferred,
                "No pack was deleted from the repository in {Location}: {Operation} (process {Pid} on {Host}, since {Since:u}) holds a lock on it; the next rotation frees the space",
                store.Location, h.Operation, h.Pid, h.Host, h.CreatedUtc);
            return new PruneResult(store.Location, null, false, true, holders);
        }
        var plan = Plan(store, nowUtc, ct);
        var locked = new List<LockedObject>();
        var keptPacks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in plan.Deleted.OrderBy(d => RepositoryNames.IsIndex(d.Name)))
        {
            ct.ThrowIfCancellationRequested();
            // An index stays with its pack while the pack is locked (it is locked as long, and the pack is unreadable without it).
            string pack = PackOf(d.Name);
            if (keptPacks.Contains(pack))
            {
                locked.Add(new LockedObject(d.Name, d.Size, locked.FirstOrDefault(l => l.Name == pack)?.UntilUtc));
                continue;
            }
            // Packs first: a prune killed half-way leaves an index without its pack, which the next one removes.
            try { store.Delete(d.Name, ct); }
            // Object Lock outlives what the snapshots need (the lock covers the longest rule of retention): kept, said,
            // and deleted by a prune after the date. Never counted as freed.
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectLocked")
            {
                keptPacks.Add(pack);
                locked.Add(new LockedObject(d.Name, d.Size, (store as IObjectLockStore)?.LockedUntil(d.Name, ct)));
            }
        }
        var result = new PruneResult(store.Location, plan, false, false, []) { Locked = locked };
        if (result.PacksDeleted > 0 || plan.Deleted.Count() > locked.Count)
            log.LogInformation(BackupEvents.RepositoryPruned, "Pruned the repository in {Location}: deleted {Packs} pack(s) and {Objects} object(s) in all, {Bytes} bytes freed; {Kept} kept",
                store.Location, result.PacksDeleted, plan.Deleted.Count() - locked.Count, result.BytesFreed, plan.Kept.Count() + locked.Count);
        WarnLocked(log, store.Location, result);
        return result;
    }

    static string PackOf(string name) => RepositoryNames.IsPack(name) ? name : name[..^RepositoryNames.IndexSuffix.Length] + RepositoryNames.PackSuffix;

    /// <summary>-WhatIf: of the packs the plan would delete, those still under a lock (one HEAD each, only where the location locks).</summary>
    static List<LockedObject> WouldBeLocked(IBackupStore store, PrunePlan plan, CancellationToken ct)
    {
        var locked = new List<LockedObject>();
        if (store is not IObjectLockStore locking || !CanLock(locking, ct)) return locked;
        var deleted = plan.Deleted.ToList();
        foreach (var pack in deleted.Where(d => RepositoryNames.IsPack(d.Name)))
        {
            ct.ThrowIfCancellationRequested();
            if (locking.LockedUntil(pack.Name, ct) is not { } until) continue;
            locked.Add(new LockedObject(pack.Name, pack.Size, until));
            if (deleted.FirstOrDefault(d => d.Name == RepositoryNames.IndexOf(pack.Name)) is { } index) locked.Add(new LockedObject(index.Name, index.Size, until));
        }
        return locked;
    }

    /// <summary>
    /// Whether the location locks; one that asks for a lock it cannot give (?lock-mode= on a bucket without Object Lock)
    /// holds nothing locked, and a prune there, which writes nothing that could be left unlocked, goes ahead.
    /// </summary>
    static bool CanLock(IObjectLockStore store, CancellationToken ct)
    {
        try { return store.CanLock(ct); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreImmutabilityUnavailable") { return false; }
    }

    static void WarnLocked(ILogger log, string location, PruneResult result)
    {
        if (result.PacksLocked == 0) return;
        var latest = result.Locked.Max(l => l.UntilUtc);
        log.LogWarning(BackupEvents.RepositoryPacksLocked,
            "Kept {Count} unreferenced pack(s) ({Bytes} bytes) in the repository in {Location}: they are under Object Lock{Until}; a prune after that date deletes them",
            result.PacksLocked, result.Locked.Sum(l => l.Size), location, latest is { } d ? $" until {d:yyyy-MM-dd HH:mm:ss} UTC at the latest" : "");
    }

    static bool IsRepositoryObject(string name) =>
        RepositoryNames.IsPack(name) || RepositoryNames.IsIndex(name) || RepositoryNames.IsSnapshotManifest(name) || name == RepositoryNames.Config;

    /// <summary>One listing, every snapshot manifest read; a snapshot that cannot be read refuses the prune with a clear error.</summary>
    public static PrunePlan Plan(IBackupStore store, DateTime nowUtc, CancellationToken ct = default, IReadOnlyCollection<string>? asIfRemoved = null)
    {
        var listing = store.List(ct);
        var snapshots = ReadSnapshots(store, listing, ct);
        if (asIfRemoved is { Count: > 0 }) snapshots.RemoveAll(s => asIfRemoved.Contains(s.Name, StringComparer.Ordinal));
        var plan = PrunePlan.Create(snapshots, listing, nowUtc);
        if (plan.RefusedBy is { } r) throw BackupErrors.RepositoryPruneRefused(store.Location, r.Name, r.Problem ?? "unreadable");
        return plan;
    }

    internal static List<SnapshotManifestRead> ReadSnapshots(IBackupStore store, IReadOnlyList<StoredObject> listing, CancellationToken ct)
    {
        var snapshots = new List<SnapshotManifestRead>();
        foreach (var o in listing.Where(o => RepositoryNames.IsSnapshotManifest(o.Name)))
        {
            byte[] bytes;
            try { bytes = store.ReadAllBytes(o.Name, ct); }
            // Removed since the listing (a rotation or Remove-SqliteBackup): it protects nothing any more.
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { continue; }
            catch (IOException e) { snapshots.Add(new SnapshotManifestRead(o.Name, null, e.Message)); continue; }
            var m = BackupManifest.TryParse(bytes, out var problem);
            if (m != null && m.File + BackupManifest.Suffix != o.Name)
            {
                problem = $"it names '{m.File}', not its own snapshot";
                m = null;
            }
            snapshots.Add(new SnapshotManifestRead(o.Name, m, problem));
        }
        return snapshots;
    }
}
