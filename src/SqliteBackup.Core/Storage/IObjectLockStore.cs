namespace SqliteBackup.Core.Storage;

/// <summary>
/// A store that can make an object undeletable until a date (S3 Object Lock, an Azure blob immutability policy): even stolen credentials cannot remove a
/// backup that retention still needs. Where the location has no lock, <see cref="CanLock"/> is false and objects are
/// written as by <see cref="IBackupStore.Put"/>.
/// </summary>
public interface IObjectLockStore : IBackupStore
{
    /// <summary>Whether objects written here can be locked (an S3 bucket created with Object Lock on).</summary>
    bool CanLock(CancellationToken ct = default);

    /// <summary>As <see cref="IBackupStore.Put"/> with create-only, the object locked until <paramref name="retainUntilUtc"/> from the moment it is visible.</summary>
    void PutLocked(string name, Stream content, DateTime retainUntilUtc, IProgress<long>? progress = null, CancellationToken ct = default);

    /// <summary>
    /// Keeps the object locked until at least <paramref name="retainUntilUtc"/>: a later date than it has is set, an
    /// earlier one changes nothing (a lock is never shortened). For an object a newer backup still needs, such as a
    /// repository pack shared by many snapshots.
    /// </summary>
    void ExtendLock(string name, DateTime retainUntilUtc, CancellationToken ct = default);

    /// <summary>Until when the object is locked; null when it is not (or no longer).</summary>
    DateTime? LockedUntil(string name, CancellationToken ct = default);
}
