using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Trust;

/// <summary>
/// One restore at a time per target, held with flock on '.sqlitebackup-restore-&lt;name&gt;.lock' beside it, which the OS
/// releases when a restore is killed. Holding it proves no other restore to this target is running (every restore takes
/// it before creating its temporary copy), so every temporary copy for this target that is older than the lock can
/// only belong to a restore that died: those, and only those, are removed.
/// </summary>
internal sealed class RestoreLock : IDisposable
{
    readonly FileStream _lock;
    readonly string _path;

    RestoreLock(FileStream fs, string path)
    {
        _lock = fs;
        _path = path;
    }

    public static string TempTag(string target) => "restore-" + Path.GetFileName(target);

    public static RestoreLock Acquire(string target)
    {
        string path = Path.Combine(Path.GetDirectoryName(target)!, $".sqlitebackup-restore-{Path.GetFileName(target)}.lock");
        for (int attempt = 0; ; attempt++)
        {
            var fs = !Posix.Supported
                ? OpenWithDotNetLock(path, target)
                : NoFollowFile.OpenOrCreate(path);
            if (Posix.Supported && !Posix.TryLockExclusive(fs.SafeFileHandle))
            {
                fs.Dispose();
                throw BackupErrors.RestoreInProgress(target);
            }
            // The previous holder unlinks the file when it is done; a lock on an unlinked inode excludes nobody, so retry
            // until the name still points at the file we locked.
            if (!Posix.Supported || (Posix.Lstat(path) is { } now && now.SameFile(Posix.Fstat(fs.SafeFileHandle))))
                return new RestoreLock(fs, path);
            fs.Dispose();
            if (attempt > 20) throw BackupErrors.RestoreInProgress(target);
        }
    }

    /// <summary>Windows (a share-mode lock, the file deleted on close) and Unixes where <see cref="Posix"/> is unavailable (.NET's own flock).</summary>
    static FileStream OpenWithDotNetLock(string path, string target)
    {
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None); }
        catch (IOException) { throw BackupErrors.RestoreInProgress(target); }
    }

    /// <summary>Removes what killed restores to <paramref name="target"/> left: our temporary pattern tagged with this target only.</summary>
    public static void RemoveLeftovers(string target, DateTime lockedAtUtc, ILogger log)
    {
        string dir = Path.GetDirectoryName(target)!;
        string suffix = "-" + TempTag(target) + AtomicFile.TempSuffix;
        foreach (var file in Directory.EnumerateFiles(dir, AtomicFile.TempPrefix + "*"))
        {
            string name = Path.GetFileName(file);
            string main = name;
            foreach (var side in new[] { "-wal", "-shm", "-journal" })
                if (main.EndsWith(suffix + side, StringComparison.Ordinal)) main = main[..^side.Length];
            if (!main.EndsWith(suffix, StringComparison.Ordinal)) continue;
            // Only entries that are files (a symlink is removed as a link, never followed) and that predate our lock.
            var st = Posix.Supported ? Posix.Lstat(file) : null;
            if (st is { IsRegular: false, IsSymlink: false }) continue;
            if (File.GetLastWriteTimeUtc(file) > lockedAtUtc) continue;
            long size = st?.IsRegular == true ? new FileInfo(file).Length : 0;
            AtomicFile.TryDelete(file);
            if (!File.Exists(file)) log.LogInformation("Removed {File} ({Size} bytes), left by a restore to {Target} that was killed", file, size, target);
        }
    }

    public void Dispose()
    {
        // Unlinked while still locked, so a restore that opened it meanwhile sees the name move on and retries.
        if (Posix.Supported) AtomicFile.TryDelete(_path);
        _lock.Dispose();
    }
}
