using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// A private folder (0700) for decompressed copies, removed with everything SQLite left in it.
/// Where: the folder the user chose (-ScratchPath, scratch_directory), used as given; by default a hidden folder beside
/// the backup, so a check needs room on the disk that already holds the backups, not in /tmp (often a small tmpfs);
/// when no folder can be created beside the backup (read-only, no permission, no space even for that), the system
/// temporary directory, said in the log. Running out of space later, while decompressing, is not retried elsewhere: it
/// is an inconclusive check that names the folder, and -ScratchPath is the way to choose another.
/// Named like our temporary files (<c>.sqlitebackup-&lt;pid&gt;-&lt;guid&gt;.tmp</c>), so cleanup recognises it, and the owner's
/// process id in the name lets the next check remove folders that a killed one left, never one still in use.
/// </summary>
internal sealed partial class ScratchDirectory : IDisposable
{
    ScratchDirectory(string path) => Path = path;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <param name="chosen">The user's choice; failures there are reported, never silently moved elsewhere.</param>
    /// <param name="besideBackup">The backup's folder, the default.</param>
    public static ScratchDirectory Create(string? chosen, string besideBackup, ILogger log)
    {
        // Versions before this one always used the temporary directory, and a killed check there leaves a full-size copy.
        RemoveStale(System.IO.Path.GetTempPath(), log);
        if (!string.IsNullOrEmpty(chosen)) return CreateIn(System.IO.Path.GetFullPath(chosen), log, createParent: true);
        try
        {
            return CreateIn(besideBackup, log, createParent: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string fallback = System.IO.Path.GetTempPath();
            var scratch = CreateIn(fallback, log, createParent: true);
            log.LogInformation("Cannot create a scratch folder beside the backup in {Directory} ({Message}); using {Scratch} instead (choose with -ScratchPath)",
                besideBackup, e.Message, scratch.Path);
            return scratch;
        }
    }

    static ScratchDirectory CreateIn(string parent, ILogger log, bool createParent)
    {
        if (createParent) PrivateFiles.EnsureDirectory(parent);
        RemoveStale(parent, log);
        string path = System.IO.Path.Combine(parent, $"{AtomicFile.TempPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}{AtomicFile.TempSuffix}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            System.IO.File.SetAttributes(path, System.IO.File.GetAttributes(path) | FileAttributes.Hidden);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new ScratchDirectory(path);
    }

    // Ours, and the names versions before this one used in the temporary directory (sqlitebackup-verify-<pid>-<guid>).
    [GeneratedRegex(@"^(?:\.sqlitebackup-(?<pid>\d+)-[0-9a-f]{32}\.tmp|sqlitebackup-[a-z]+-(?<pid>\d+)-[0-9a-f]{32})$")]
    private static partial Regex ScratchName();

    /// <summary>
    /// Removes scratch folders in <paramref name="parent"/> whose process is gone: a killed check leaves a full-size copy.
    /// A folder whose process id is alive (ours or another) is left alone, even if that id was reused.
    /// </summary>
    public static int RemoveStale(string parent, ILogger log)
    {
        int removed = 0;
        IEnumerable<string> dirs;
        try { dirs = Directory.EnumerateDirectories(parent, "*sqlitebackup-*").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (var dir in dirs)
        {
            var m = ScratchName().Match(System.IO.Path.GetFileName(dir));
            if (!m.Success || !int.TryParse(m.Groups["pid"].Value, out int pid)) continue;
            if (pid == Environment.ProcessId || AtomicFile.ProcessIsAlive(pid)) continue;
            try
            {
                // Never follow a link planted under our name, and never empty another user's folder that merely looks
                // like ours (in /tmp anyone can make one): only a real folder of our own user is ours to remove.
                if (new DirectoryInfo(dir).LinkTarget != null) continue;
                if (Trust.Posix.Supported && Trust.Posix.Lstat(dir) is { } st && st.Uid != Trust.Posix.EffectiveUid) continue;
                Directory.Delete(dir, recursive: true);
                removed++;
                log.LogInformation("Removed the scratch folder {Directory} left by process {Pid}, which is gone", dir, pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.LogDebug("Could not remove the stale scratch folder {Directory}: {Message}", dir, e.Message);
            }
        }
        return removed;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
