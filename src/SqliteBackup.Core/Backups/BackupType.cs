namespace SqliteBackup.Core.Backups;

/// <summary>Why a backup was taken. Stored by name in manifests, so names are part of the format.</summary>
public enum BackupType
{
    Manual,
    Automatic,
    PreMigration,
    Shutdown,
    PreRestore,
}
