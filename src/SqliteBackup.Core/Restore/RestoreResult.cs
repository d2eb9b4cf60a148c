using SqliteBackup.Core.Catalog;
namespace SqliteBackup.Core.Restore;

public enum RestoreMethod
{
    /// <summary>Built beside the target and renamed into place (the target did not exist or was not a usable database).</summary>
    Rename,
    /// <summary>Copied into the existing database through SQLite's backup API, one transaction that open connections see atomically.</summary>
    BackupApi,
}

public sealed record RestoreRequest(string Destination)
{
    public bool Force { get; init; }
    /// <summary>Restore into the file a symlink at the destination points to (the link is kept); otherwise such a link is refused.</summary>
    public bool FollowSymlink { get; init; }
    /// <summary>Read from, and take the PreRestore backup into, a directory that users other than its owner and root can write.</summary>
    public bool AllowInsecureDirectory { get; init; }
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Where the PreRestore backup of an existing target goes; null means the restored backup's own directory.</summary>
    public string? PreRestoreDirectory { get; init; }
    /// <summary>Replace an existing database without a PreRestore backup of it (the caller said so explicitly).</summary>
    public bool NoPreRestoreBackup { get; init; }
    /// <summary>For an encrypted backup: the identities or passphrase that open it and whose manifests are trusted.</summary>
    public Encryption.BackupKeys? Keys { get; init; }
}

public sealed record RestoreResult(BackupInfo Backup, string Destination, RestoreMethod Method, BackupInfo? PreRestoreBackup, string? PreservedPath, TimeSpan Duration)
{
    public string Database => Backup.Database;
}
