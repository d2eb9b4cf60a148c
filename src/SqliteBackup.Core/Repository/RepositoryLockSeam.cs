using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Where a backup takes the repository's shared lock (so prune never deletes packs under it). A seam until the lock
/// objects (RepositoryLock) land: the default takes nothing; the lock's author sets <see cref="Shared"/> once, and
/// every backup goes through it.
/// </summary>
internal static class RepositoryLockSeam
{
    /// <summary>(store, operation, how long to wait for an exclusive holder, log, ct) -> the held lock, released by Dispose.</summary>
    public static Func<IBackupStore, string, TimeSpan, ILogger, CancellationToken, IDisposable> Shared { get; set; } = (store, operation, wait, log, ct) => RepositoryLock.AcquireShared(store, operation, wait, log, ct);

    sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();
        public void Dispose() { }
    }
}
