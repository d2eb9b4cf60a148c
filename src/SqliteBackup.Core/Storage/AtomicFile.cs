namespace SqliteBackup.Core.Storage;

/// <summary>
/// Every file we publish appears whole or not at all: it is written under a temporary name in the
/// destination directory (same file system, so the rename is atomic), flushed to disk, then renamed.
/// Temporary names carry a marker and the writer's process id so a later run can tell stale ones
/// (from a killed process) from ones still being written.
/// </summary>
internal static class AtomicFile
{
    public const string TempPrefix = ".sqlitebackup-";
    public const string TempSuffix = ".tmp";

    /// <param name="tag">Says whose temporary it is (a restore's names its target), so leftovers can be matched to their owner.</param>
    public static string TempPathBeside(string finalPath, string? tag = null)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(finalPath))!;
        return Path.Combine(dir, $"{TempPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}{(tag == null ? "" : "-" + tag)}{TempSuffix}");
    }

    /// <summary>Flushes <paramref name="tempPath"/> to disk and renames it onto <paramref name="finalPath"/>.</summary>
    public static void Publish(string tempPath, string finalPath)
    {
        using (var fs = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            fs.Flush(flushToDisk: true);
        File.Move(tempPath, finalPath, overwrite: false);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(finalPath))!);
    }

    /// <summary>
    /// <see cref="Publish"/> for a file that must not exist yet: .NET moves without overwriting by link(2) and unlink(2)
    /// on Unix, so of two writers racing for one name exactly one wins and the other gets <paramref name="exists"/>.
    /// </summary>
    public static void PublishCreateOnly(string tempPath, string finalPath, Func<Exception> exists)
    {
        // .NET's File.Move without overwrite checks for the name and then renames: two racing writers can both "win" and
        // the second replace the first. link(2) creates the name only if it is free, atomically.
        if (!OperatingSystem.IsWindows())
        {
            using (var fs = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                fs.Flush(flushToDisk: true);
            switch (Trust.Posix.TryLink(tempPath, finalPath))
            {
                case true:
                    File.Delete(tempPath);
                    FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(finalPath))!);
                    return;
                case false:
                    throw exists();
            }
        }
        try { Publish(tempPath, finalPath); }
        catch (IOException) when (File.Exists(finalPath) || new FileInfo(finalPath).LinkTarget != null) { throw exists(); }
    }

    /// <summary><see cref="Publish"/> that replaces what is there (rename(2) replaces a symlink, never follows it).</summary>
    public static void PublishReplacing(string tempPath, string finalPath)
    {
        using (var fs = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            fs.Flush(flushToDisk: true);
        File.Move(tempPath, finalPath, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(finalPath))!);
    }

    /// <summary>Writes bytes to a new file atomically (used for manifests).</summary>
    public static void WriteAllBytes(string finalPath, ReadOnlySpan<byte> bytes, bool overwrite)
    {
        string tmp = TempPathBeside(finalPath);
        try
        {
            using (var fs = PrivateFiles.CreateNew(tmp))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, finalPath, overwrite);
            FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(finalPath))!);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>A rename is only durable once the directory entry is on disk; Windows has no such call and no need.</summary>
    internal static void FlushDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            using var handle = File.OpenHandle(dir, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Some file systems refuse to open or fsync a directory; the data itself is already flushed.
        }
    }

    public static void TryDelete(string? path)
    {
        if (path == null) return;
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>True when a temporary file belongs to a process that is gone, or is older than a day.</summary>
    public static bool IsStaleTemp(string path, DateTime utcNow)
    {
        string name = Path.GetFileName(path);
        // SQLite's side files of a temporary database share its fate.
        foreach (var side in new[] { "-wal", "-shm", "-journal" })
            if (name.EndsWith(TempSuffix + side, StringComparison.Ordinal)) name = name[..^side.Length];
        if (!name.StartsWith(TempPrefix, StringComparison.Ordinal) || !name.EndsWith(TempSuffix, StringComparison.Ordinal)) return false;
        try
        {
            if (utcNow - File.GetLastWriteTimeUtc(path) > TimeSpan.FromDays(1)) return true;
        }
        catch (IOException) { return false; }
        string rest = name[TempPrefix.Length..];
        int dash = rest.IndexOf('-');
        if (dash <= 0 || !int.TryParse(rest[..dash], out int pid)) return true;
        if (pid == Environment.ProcessId) return false;
        return !ProcessIsAlive(pid);
    }

    internal static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
