using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Retention;

/// <summary>What rotation decided for one backup, and why. <see cref="Removed"/> says whether it was carried out.</summary>
public sealed class RotationDecision(BackupInfo backup, RetentionAction action, IReadOnlyList<string> reasons)
{
    public BackupInfo Backup { get; } = backup;
    public RetentionAction Action { get; } = action;
    public IReadOnlyList<string> Reasons { get; } = reasons;
    public bool Removed { get; internal set; }
    /// <summary>Dated after the clock rotation ran by: kept (unless it failed verification) and decided nothing else.</summary>
    public bool FutureDated { get; init; }

    public string Database => Backup.Database;
    public DateTime Created => Backup.Created;
    public BackupType Type => Backup.Type;
    public bool? Verified => Backup.Verified;
    public string Path => Backup.Path;

    public override string ToString() => $"{Action} {Backup.Path} ({string.Join(", ", Reasons)})";
}
