using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;

namespace SqliteBackup.Core.Retention;

/// <summary>What rotation decided for one backup, and why. <see cref="Removed"/> says whether it was carried out.</summary>
public sealed class RotationDecision(BackupInfo backup, RetentionAction action, IReadOnlyList<string> reasons, IReadOnlyList<string> keptAs)
{
    public BackupInfo Backup { get; } = backup;
    public RetentionAction Action { get; } = action;
    public IReadOnlyList<string> Reasons { get; } = reasons;
    /// <summary>The kinds of rule that keep it, most durable first ("monthly", "daily", "manual", "verified"...); empty when removed.</summary>
    public IReadOnlyList<string> KeptAs { get; } = keptAs;
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
