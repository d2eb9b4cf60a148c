using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Object Lock (S3) or an immutability policy (Azure) for a repository's objects, where the location offers one: a snapshot's
/// manifest, and every pack and index it names, stay locked at least as long as that snapshot's retention could keep it
/// (<see cref="LockPeriod.RetainUntil"/>). A pack is shared by many snapshots, so a snapshot that reuses an existing pack
/// extends that pack's lock to its own date (a lock is only ever extended), and a pack's lock always reaches the latest
/// date of any snapshot naming it. The repository's config and lock objects are never locked: they must stay replaceable.
/// </summary>
internal sealed class PackLocks
{
    readonly IObjectLockStore? _store;

    PackLocks(IObjectLockStore? store, DateTime? until)
    {
        _store = until == null ? null : store;
        Until = until;
    }

    /// <summary>Until when this snapshot's objects are locked; null: the location has no lock (or the policy no date).</summary>
    public DateTime? Until { get; }

    public static PackLocks None { get; } = new(null, null);

    public static PackLocks For(IBackupStore store, RetentionPolicy policy, DateTime createdUtc, CancellationToken ct) =>
        store is IObjectLockStore locking && locking.CanLock(ct) ? new(locking, LockPeriod.RetainUntil(policy, createdUtc)) : None;

    /// <summary>Create-only; locked from the moment it is visible where the location locks.</summary>
    public void Put(IBackupStore store, string name, Stream content, IProgress<long>? progress, CancellationToken ct)
    {
        if (_store != null && Until is { } until) _store.PutLocked(name, content, until, progress, ct);
        else store.Put(name, content, createOnly: true, progress, ct);
    }

    /// <summary>A pack and its index this snapshot names but did not write: locked at least until this snapshot's date.</summary>
    public void Extend(string pack, CancellationToken ct)
    {
        ExtendObject(pack, ct);
        ExtendObject(RepositoryNames.IndexOf(pack), ct);
    }

    /// <summary>One object already there that this snapshot needs: locked at least until this snapshot's date.</summary>
    public void ExtendObject(string name, CancellationToken ct)
    {
        if (_store != null && Until is { } until) _store.ExtendLock(name, until, ct);
    }

    public void Extend(IEnumerable<string> packs, ILogger log, string location, CancellationToken ct)
    {
        if (_store == null) return;
        int n = 0;
        foreach (var pack in packs)
        {
            ct.ThrowIfCancellationRequested();
            Extend(pack, ct);
            n++;
        }
        if (n > 0) log.LogDebug("{Count} reused pack(s) in {Location} locked until at least {Until:u}", n, location, Until);
    }
}
