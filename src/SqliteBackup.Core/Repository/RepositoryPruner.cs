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
    public long BytesFreed => Deferred || Plan == null ? 0 : Plan.BytesFreed;
}

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
        if (whatIf) return new PruneResult(store.Location, Plan(store, nowUtc, ct, asIfRemoved), true, false, []);

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
        foreach (var d in plan.Deleted.OrderBy(d => RepositoryNames.IsIndex(d.Name)))
        {
            ct.ThrowIfCancellationRequested();
            // Packs first: a prune killed half-way leaves an index without its pack, which the next one removes.
            store.Delete(d.Name, ct);
        }
        int packs = plan.Deleted.Count(d => RepositoryNames.IsPack(d.Name));
        if (packs > 0 || plan.Deleted.Any())
            log.LogInformation(BackupEvents.RepositoryPruned, "Pruned the repository in {Location}: deleted {Packs} pack(s) and {Objects} object(s) in all, {Bytes} bytes freed; {Kept} kept",
                store.Location, packs, plan.Deleted.Count(), plan.BytesFreed, plan.Kept.Count());
        return new PruneResult(store.Location, plan, false, false, []);
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
