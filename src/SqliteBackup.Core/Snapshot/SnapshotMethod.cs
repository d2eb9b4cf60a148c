namespace SqliteBackup.Core.Snapshot;

/// <summary>How the consistent image was read; recorded in the manifest for diagnosis.</summary>
public enum SnapshotMethod
{
    /// <summary>SQLite's online backup API into a temporary database, then stored.</summary>
    BackupApi,
    /// <summary>
    /// WAL mode with every frame checkpointed: inside one read transaction the database file itself is the snapshot and
    /// cannot change, so it is streamed straight into compression without a temporary copy.
    /// </summary>
    FileRead,
}
