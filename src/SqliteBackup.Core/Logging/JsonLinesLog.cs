using System.Text;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Trust;

namespace SqliteBackup.Core.Logging;

/// <summary>
/// The backup log file, kept apart from any application log. Appends happen under an exclusive lock on a sidecar
/// '.lock' file (an OS lock, so a killed process never leaves it held), so two jobs or two processes never interleave
/// a line, and rolling over at the size limit cannot race an append.
/// </summary>
/// <param name="createDirectory">False for a log beside backups: a command that failed before creating the backup directory should not create it just to log.</param>
public sealed class JsonLinesLog(string path, long maxBytes = 10L << 20, int keepFiles = 5, bool createDirectory = true)
{
    public const string DefaultFileName = "sqlitebackup-log.jsonl";

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Hidden, so it does not clutter a backup directory listing.</summary>
    string LockPath => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "." + System.IO.Path.GetFileName(Path) + ".lock");

    /// <summary>Throws UnsafeFileLink when the log or its lock is a symlink or a hard link (see NoFollowFile).</summary>
    public void Append(BackupLogEntry entry)
    {
        byte[] line = Encoding.UTF8.GetBytes(entry.ToJsonLine() + "\n");
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        if (createDirectory) PrivateFiles.EnsureDirectory(dir);
        else if (!Directory.Exists(dir)) return;
        using var _ = AcquireLock(TimeSpan.FromSeconds(10));
        var fs = NoFollowFile.OpenOrCreate(Path, append: true);
        try
        {
            if (fs.Length > 0 && fs.Length + line.Length > maxBytes)
            {
                fs.Dispose();
                Roll();
                fs = NoFollowFile.OpenOrCreate(Path, append: true);
            }
            fs.Write(line);
            fs.Flush(flushToDisk: false);
        }
        finally { fs.Dispose(); }
    }

    /// <summary>Renames never follow a symlink at either name, so rolling over needs no extra care.</summary>
    void Roll()
    {
        for (int i = keepFiles - 1; i >= 1; i--)
        {
            string from = $"{Path}.{i}", to = $"{Path}.{i + 1}";
            if (File.Exists(from)) File.Move(from, to, overwrite: true);
        }
        File.Move(Path, Path + ".1", overwrite: true);
    }

    FileStream AcquireLock(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (!Posix.Supported) return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                var fs = NoFollowFile.OpenOrCreate(LockPath);
                if (Posix.TryLockExclusive(fs.SafeFileHandle)) return fs;
                fs.Dispose();
                if (DateTime.UtcNow >= deadline) throw new IOException($"The backup log lock '{LockPath}' stayed locked for {timeout.TotalSeconds:0} s.");
            }
            // Only another writer holding the lock is worth waiting for; a read-only or full disk will not change in 10 s.
            catch (IOException e) when (DateTime.UtcNow < deadline && e.HResult is not (1 or 13 or 30) && !BackupErrors.IsDiskFull(e)) { }
            Thread.Sleep(Random.Shared.Next(1, 10));
        }
    }

    /// <summary>All entries, oldest first, including rolled-over files. Damaged lines are counted, not fatal.</summary>
    public IEnumerable<BackupLogEntry> Read(Action<string, int>? onDamagedLine = null)
    {
        var files = Enumerable.Range(1, keepFiles).Select(i => $"{Path}.{i}").Where(File.Exists).Reverse().ToList();
        if (File.Exists(Path)) files.Add(Path);
        foreach (var file in files)
        {
            int lineNo = 0;
            foreach (var line in ReadLinesShared(file))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var e = BackupLogEntry.TryParse(line);
                if (e == null) onDamagedLine?.Invoke(file, lineNo);
                else yield return e;
            }
        }
    }

    static IEnumerable<string> ReadLinesShared(string file)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(fs, Encoding.UTF8);
        while (reader.ReadLine() is { } line) yield return line;
    }
}
