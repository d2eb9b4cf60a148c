using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Restore;
namespace SqliteBackup.Core.Guard;

public enum GuardOutcome
{
    /// <summary>Every backup was taken and verified, and the operation completed.</summary>
    Succeeded,
    /// <summary>The operation failed (after every backup was taken); see Restored.</summary>
    Failed,
    /// <summary>A backup could not be taken or verified, so the operation was never started.</summary>
    NotRun,
}

/// <summary>One protected database: its backup, its schema before and after, and its restore when there was one.</summary>
public sealed record GuardedDatabase(string Database, string Path)
{
    public BackupInfo? Backup { get; init; }
    public SchemaState? SchemaBefore { get; init; }
    public SchemaState? SchemaAfter { get; init; }
    /// <summary>Null when the operation changed neither user_version nor the schema text; null also when either side is unknown.</summary>
    public bool? SchemaChanged => SchemaBefore is null || SchemaAfter is null ? null : SchemaBefore != SchemaAfter;
    public RestoreResult? Restore { get; init; }
    /// <summary>Why the restore after a failure did not happen (the database is then as the operation left it).</summary>
    public SqliteBackupException? RestoreError { get; init; }
}

/// <summary>What one guarded run did; the cmdlet's one output object.</summary>
public sealed record GuardResult
{
    public required string Operation { get; init; }
    public required GuardOutcome Outcome { get; init; }
    public required IReadOnlyList<GuardedDatabase> Databases { get; init; }
    public IReadOnlyList<BackupInfo> Backups => Databases.Where(d => d.Backup != null).Select(d => d.Backup!).ToList();
    /// <summary>Every database was restored from its backup after the operation failed.</summary>
    public bool Restored => Databases.Count > 0 && Databases.All(d => d.Restore != null);
    /// <summary>The backup failure that kept the operation from running (Outcome NotRun).</summary>
    public SqliteBackupException? Error { get; init; }
    /// <summary>What the operation threw (Outcome Failed), unchanged, for the caller to rethrow.</summary>
    public Exception? OperationError { get; init; }
    /// <summary>Databases that ExpectSchemaChange found unchanged after a successful operation.</summary>
    public IReadOnlyList<string> SchemaUnchanged { get; init; } = [];
    /// <summary>What the operation returned, in order.</summary>
    public IReadOnlyList<object?> Output { get; init; } = [];
    public TimeSpan Duration { get; init; }
}
