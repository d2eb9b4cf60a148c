using System.Diagnostics;

namespace SqliteBackup.Core.Tests;

/// <summary>
/// A small (or read-only) tmpfs for disk-full and not-writable tests: permission bits do not stop root,
/// a full or read-only file system does. Needs root and mount; unmounted on dispose even when a test fails.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    public TmpfsMount(string path, string options)
    {
        Path = path;
        Directory.CreateDirectory(path);
        // A tmpfs root is 1777 unless told otherwise, which the backup-directory trust check rightly refuses.
        if (!options.Contains("mode=")) options += ",mode=0755";
        var (code, _, err) = Cli.Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        Mounted = code == 0;
        MountError = err;
    }

    public string Path { get; }
    public bool Mounted { get; }
    public string MountError { get; }

    public static void RequireRoot()
    {
        bool root = !OperatingSystem.IsWindows() && Environment.UserName == "root" && Cli.Has("mount");
        Skip.IfNot(root || Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1", "needs root to mount a tmpfs");
    }

    public void Dispose()
    {
        if (Mounted) Cli.Run("umount", "-l", Path);
    }
}
