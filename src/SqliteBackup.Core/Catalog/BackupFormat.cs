namespace SqliteBackup.Core.Catalog;

/// <summary>How a backup is stored: a file of its own, or a snapshot in an incremental repository (its blocks in shared packs).</summary>
public enum BackupFormat
{
    /// <summary>One data file or object (.db, .db.zst, .db.gz) that standard tools read.</summary>
    Plain,
    /// <summary>A snapshot in the incremental repository at its location: a manifest naming blocks in packs.</summary>
    Snapshot,
}
