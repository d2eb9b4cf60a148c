using SqliteBackup.Core.Catalog;

namespace SqliteBackup.Core.Copies;

public enum CopyStatus
{
    /// <summary>
    /// Uploaded, checked against what the destination stored, and its manifest written; or, where the destination kept
    /// this backup's manifest but lost its data object, the data uploaded again under that manifest.
    /// </summary>
    Copied,
    /// <summary>The destination already held this backup (its manifest with the same SHA-256, its data object of that size): nothing was sent.</summary>
    AlreadyPresent,
}

/// <summary>One backup copied (or found already there): <see cref="Copy"/> is the backup at the destination.</summary>
public sealed record CopyResult(BackupInfo Source, BackupInfo Copy, CopyStatus Status, TimeSpan Duration)
{
    public string Database => Source.Database;
    public string Destination => Copy.Directory;
    public long Size => Copy.Size;
}
