namespace SqliteBackup.Core.Storage;

/// <summary>
/// Backups hold whole databases, so everything we create is owner-only on Unix (0600 files, 0700 directories),
/// set at creation time so there is never a window in which another user could open the file.
/// </summary>
internal static class PrivateFiles
{
    const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    const UnixFileMode DirMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the directory and any missing parents, each owner-only (CreateDirectory's mode covers only the leaf).</summary>
    public static void EnsureDirectory(string path)
    {
        path = Path.GetFullPath(path);
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        string? parent = Path.GetDirectoryName(path);
        if (parent != null) EnsureDirectory(parent);
        Directory.CreateDirectory(path, DirMode700);
    }

    /// <summary>Creates a new file that must not exist yet, owner-only.</summary>
    public static FileStream CreateNew(string path, int bufferSize = 1 << 16)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = bufferSize,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode600;
        return new FileStream(path, options);
    }
}
