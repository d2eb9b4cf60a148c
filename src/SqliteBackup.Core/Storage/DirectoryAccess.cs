using System.Runtime.InteropServices;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// Asked before writing into a directory, so a restore can choose another place for its PreRestore backup before it
/// changes anything. access(2) answers for this process, including root on a read-only file system (EROFS).
/// </summary>
internal static class DirectoryAccess
{
    const int WriteOk = 2; // W_OK
    const int ExecuteOk = 1; // X_OK

    public static bool CanCreateFilesIn(string directory)
    {
        // Missing directories are created by the backup engine when their parent allows it; judge the nearest one that exists.
        string? dir = Path.GetFullPath(directory);
        while (dir != null && !Directory.Exists(dir)) dir = Path.GetDirectoryName(dir);
        if (dir == null) return false;
        return OperatingSystem.IsWindows() || access(dir, WriteOk | ExecuteOk) == 0;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
