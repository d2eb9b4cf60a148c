using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Trust;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// One job at a time per backup directory. The lock is an OS file lock (flock on Unix, a share-mode lock on
/// Windows), which the OS drops when its process dies, so a killed job never leaves a stale lock behind; the
/// '.info' file beside it only tells the next job who is holding it. Both are owner-only (they name a process, a
/// time and a host) and neither is ever opened through a symlink planted in their place.
/// </summary>
internal sealed class JobLock : IDisposable
{
    const string FileName = ".sqlitebackup-job.lock";
    readonly FileStream _lock;
    readonly string _info;

    JobLock(FileStream fs, string info)
    {
        _lock = fs;
        _info = info;
    }

    public static JobLock Acquire(string backupDirectory)
    {
        PrivateFiles.EnsureDirectory(backupDirectory);
        string path = Path.Combine(backupDirectory, FileName);
        string info = path + ".info";
        FileStream? fs = null;
        try
        {
            if (!Posix.Supported) fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            else
            {
                fs = NoFollowFile.OpenOrCreate(path);
                if (!Posix.TryLockExclusive(fs.SafeFileHandle)) throw new IOException("locked");
            }
            // Written by rename, so a symlink planted at the name is replaced, never written through.
            AtomicFile.WriteAllBytes(info, System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId} {DateTime.UtcNow:O} {Environment.MachineName}"), overwrite: true);
            return new JobLock(fs, info);
        }
        catch (IOException e)
        {
            fs?.Dispose();
            string holder = "";
            try { holder = System.Text.Encoding.UTF8.GetString(NoFollowFile.ReadAllBytes(info, out _, 4096)).Trim(); }
            catch (Exception r) when (r is IOException or UnauthorizedAccessException or SqliteBackupException) { }
            var parts = holder.Split(' ');
            string who = parts.Length >= 2 ? $" (process {parts[0]}, started {parts[1]})" : "";
            throw BackupErrors.BackupJobAlreadyRunning(backupDirectory, who, e);
        }
        catch
        {
            fs?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try { File.Delete(_info); } catch (IOException) { }
        _lock.Dispose();
    }
}
