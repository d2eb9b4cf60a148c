namespace SqliteBackup.Core.Jobs;

/// <summary>
/// One job at a time per backup directory. The lock is an OS file lock (flock on Unix, a share-mode lock on
/// Windows), which the OS drops when its process dies, so a killed job never leaves a stale lock behind; the
/// '.info' file beside it only tells the next job who is holding it.
/// </summary>
public sealed class JobLock : IDisposable
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
        try
        {
            var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(info, $"{Environment.ProcessId} {DateTime.UtcNow:O} {Environment.MachineName}");
            return new JobLock(fs, info);
        }
        catch (IOException e)
        {
            string holder = "";
            try { holder = File.ReadAllText(info).Trim(); } catch (IOException) { }
            var parts = holder.Split(' ');
            string who = parts.Length >= 2 ? $" (process {parts[0]}, started {parts[1]})" : "";
            throw new SqliteBackupException("BackupJobAlreadyRunning", BackupErrorCategory.ResourceBusy,
                $"Another backup job{who} is running on '{backupDirectory}'; this run did nothing.",
                "Wait for it to finish. A lock held by a process that was killed is released by the operating system.", backupDirectory, e);
        }
    }

    public void Dispose()
    {
        try { File.Delete(_info); } catch (IOException) { }
        _lock.Dispose();
    }
}
