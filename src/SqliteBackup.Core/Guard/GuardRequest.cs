using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Verification;
namespace SqliteBackup.Core.Guard;

/// <summary>What to protect and how: the databases backed up before the operation, and what to do if it fails.</summary>
public sealed record GuardRequest(IReadOnlyList<string> Databases)
{
    /// <summary>Backup directory for every database; null means 'backups' beside each one.</summary>
    public string? Destination { get; init; }
    public BackupType Type { get; init; } = BackupType.PreMigration;
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    /// <summary>Restore each database from the backup just taken when the operation fails (the failed state is kept as a PreRestore backup).</summary>
    public bool RestoreOnFailure { get; init; }
    /// <summary>The operation claims to change the schema: a database whose user_version and schema are the same afterwards is reported.</summary>
    public bool ExpectSchemaChange { get; init; }
    /// <summary>What the operation is, for the log and alerts ("migration 0042").</summary>
    public string Operation { get; init; } = "the guarded operation";
    public IReadOnlyList<string> Tags { get; init; } = [];
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public bool AllowInsecureDirectory { get; init; }
    public string? ScratchPath { get; init; }

    public BackupRequest BackupOf(string database) => new(database)
    {
        Destination = Destination,
        Type = Type,
        Compression = Compression,
        // Standard at least: a way back that was never opened is no way back.
        Verify = VerificationLevel.Standard,
        Tags = Tags,
        BusyTimeout = BusyTimeout,
        AllowInsecureDirectory = AllowInsecureDirectory,
        ScratchPath = ScratchPath,
    };
}
