using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Notifications;

/// <summary>One outcome to report. The same fields go into the webhook JSON, the e-mail and the hook's environment.</summary>
public sealed record NotificationMessage
{
    public required string Event { get; init; }
    public required bool Success { get; init; }
    public required string Summary { get; init; }
    public string? Database { get; init; }
    /// <summary>What a message that is not about one database is about ("the backup job /etc/app/backup.json").</summary>
    public string? Topic { get; init; }
    /// <summary>Databases that failed, when the message reports a whole job.</summary>
    public IReadOnlyList<string>? FailedDatabases { get; init; }
    public string? BackupId { get; init; }
    public string? Path { get; init; }
    public long? Size { get; init; }
    public string? Error { get; init; }
    /// <summary>A job's destinations, one line each per database: what each got, or which failed with its ErrorId.</summary>
    public IReadOnlyList<string>? Destinations { get; init; }
    public string Host { get; init; } = Environment.MachineName;
    public DateTime TimeUtc { get; init; } = DateTime.UtcNow;

    /// <summary>What the message is about, for "notification about X failed": never empty.</summary>
    [JsonIgnore]
    public string About => Database ?? Topic ?? Event;

    [JsonIgnore]
    public string Subject => $"[SqliteBackup] {(Success ? "OK" : "FAILED")}: {Summary}";

    /// <summary>The whole message as text: Slack, Mattermost and Teams-style incoming webhooks show this field as it is.</summary>
    [JsonPropertyName("text")]
    public string Text => $"{Subject}\n{Body()}";

    public string Body() =>
        $"{Summary}\n\nEvent: {Event}\nHost: {Host}\nTime (UTC): {TimeUtc:yyyy-MM-dd HH:mm:ss}\n" +
        (Database != null ? $"Database: {Database}\n" : "") +
        (FailedDatabases is { Count: > 0 } ? $"Failed: {string.Join(", ", FailedDatabases)}\n" : "") + (Path != null ? $"Backup: {Path}\n" : "") +
        (Size != null ? $"Size: {Size} bytes\n" : "") + (Destinations is { Count: > 0 } ? "Destinations:\n" + string.Concat(Destinations.Select(d => $"  {d}\n")) : "")
        + (Error != null ? $"Error: {Error}\n" : "");

    public static NotificationMessage ForBackup(BackupInfo b) => new()
    {
        Event = BackupEvents.BackupSucceeded.Name!, Success = true, Summary = $"backup of {b.Database} written ({b.Size} bytes)",
        Database = b.Database, BackupId = b.Id, Path = b.Path, Size = b.Size,
    };

    public static NotificationMessage ForFailure(EventId failure, string? database, SqliteBackupException e) => new()
    {
        Event = failure.Name!, Success = false, Summary = $"{failure.Name} for {database ?? e.Target ?? "?"}: {e.ErrorId}", Database = database, Error = e.Message,
    };

    public static NotificationMessage ForRotation(int kept, int removed) => new()
    {
        Event = BackupEvents.RotationCompleted.Name!, Success = true, Summary = $"rotation kept {kept} and removed {removed} backup(s)",
    };

    public static NotificationMessage ForRestore(BackupInfo b, string target) => new()
    {
        Event = BackupEvents.RestoreCompleted.Name!, Success = true, Summary = $"{b.Database} restored to {target}",
        Database = b.Database, BackupId = b.Id, Path = b.Path,
    };

    public static NotificationMessage ForVerification(BackupInfo b, VerificationLevel level, VerificationResult result) => new()
    {
        Event = (result.Outcome switch { VerificationOutcome.Passed => BackupEvents.VerificationPassed, VerificationOutcome.Failed => BackupEvents.VerificationFailed, _ => BackupEvents.VerificationInconclusive }).Name!, Success = result.Passed,
        Summary = $"{level} verification of {b.Database} backup {b.Id[..8]} " + result.Outcome switch
        {
            VerificationOutcome.Passed => "passed",
            VerificationOutcome.Failed => "FAILED",
            _ => "could not run (inconclusive; nothing was found wrong with the backup)",
        },
        Database = b.Database, BackupId = b.Id, Path = b.Path, Size = b.Size, Error = result.Passed ? null : result.Message,
    };

    public static NotificationMessage ForCopy(Copies.CopyResult c) => new()
    {
        Event = BackupEvents.BackupCopied.Name!, Success = true,
        Summary = c.Status == Copies.CopyStatus.Copied ? $"backup of {c.Database} copied to {c.Destination} ({c.Size} bytes)" : $"backup of {c.Database} already in {c.Destination}",
        Database = c.Database, BackupId = c.Copy.Id, Path = c.Copy.Path, Size = c.Size,
    };

    /// <summary>What a guarded operation came to: not run (a backup before it failed), failed (restored or not), or succeeded.</summary>
    public static NotificationMessage ForGuard(Guard.GuardRequest request, Guard.GuardResult result)
    {
        string? single = result.Databases.Count == 1 ? result.Databases[0].Database : null;
        string topic = $"{request.Operation} on {string.Join(", ", result.Databases.Select(d => d.Database))}";
        var notRestored = result.Databases.Where(d => d.RestoreError != null).ToList();
        return result.Outcome switch
        {
            Guard.GuardOutcome.NotRun => new()
            {
                Event = BackupEvents.GuardedOperationNotRun.Name!, Success = false, Summary = $"{topic} was NOT run: a backup before it failed",
                Database = single, Topic = topic, Error = result.Error?.Message,
            },
            Guard.GuardOutcome.Failed => new()
            {
                Event = BackupEvents.GuardedOperationFailed.Name!, Success = false, Database = single, Topic = topic,
                Summary = $"{topic} FAILED" + (!request.RestoreOnFailure ? "; the databases are as it left them"
                    : notRestored.Count == 0 ? "; restored from the backups taken before it" : $"; could NOT restore {string.Join(", ", notRestored.Select(d => d.Database))}"),
                Error = result.OperationError?.Message + string.Concat(notRestored.Select(d => $"\n{d.Database}: {d.RestoreError!.Message}")),
            },
            _ => new()
            {
                Event = BackupEvents.GuardedOperationSucceeded.Name!, Success = true, Summary = $"{topic} succeeded after a verified {request.Type} backup",
                Database = single, Topic = topic,
                BackupId = result.Backups.Count == 1 ? result.Backups[0].Id : null, Path = result.Backups.Count == 1 ? result.Backups[0].Path : null,
            },
        };
    }

    public static NotificationMessage ForTest() => new()
    {
        Event = BackupEvents.NotificationTest.Name!, Success = true, Summary = $"test notification from {Environment.MachineName}", Topic = "the test notification",
    };

    /// <summary>A database that failed, with each destination that failed named beside its ErrorId.</summary>
    static string Failure(DatabaseJobResult r)
    {
        var destinations = r.Destinations.Where(d => !d.Succeeded).ToList();
        if (destinations.Count == 0) return $"{r.Database} ({r.ErrorId})";
        string copies = string.Join(", ", destinations.Select(d => d.Copy != null ? $"rotation of {d.Location} failed: {d.ErrorId}" : $"copy to {d.Location} failed: {d.ErrorId}"));
        return r.ErrorId == destinations[0].ErrorId ? $"{r.Database} ({copies}{AwaitingCopy(r)})" : $"{r.Database} ({r.ErrorId}; {copies}{AwaitingCopy(r)})";
    }

    /// <summary>What a repository's prune after rotation freed, beside the backups rotation removed; nothing where it freed nothing.</summary>
    static string Pruned(int packs, long bytes, int locked) =>
        (packs > 0 ? $"; {packs} repository pack(s) pruned, {bytes} bytes freed" : "")
        + (locked > 0 ? $"; {locked} unreferenced pack(s) kept under Object Lock until a later run" : "");

    static string AwaitingCopy(DatabaseJobResult r) =>
        r.Rotation.Count(d => d.KeptAs.Contains("awaiting-copy")) is var n and > 0 ? $"; {n} local backup(s) kept awaiting an off-site copy" : "";

    /// <summary>
    /// One message per job run, naming every database that failed, so a job with several failures is one message, not a
    /// storm. With one database in question the message is about it, with its backup; otherwise it is about the job.
    /// </summary>
    public static NotificationMessage ForJob(string configPath, IReadOnlyList<DatabaseJobResult> results)
    {
        var failed = results.Where(r => !r.Succeeded).ToList();
        var single = failed.Count == 1 ? failed[0] : failed.Count == 0 && results.Count == 1 ? results[0] : null;
        string job = System.IO.Path.GetFileName(configPath);
        string summary = failed.Count > 0
            ? $"scheduled backup job {job}: {failed.Count} of {results.Count} database(s) FAILED: " + string.Join(", ", failed.Select(Failure))
            : $"scheduled backup job {job}: {results.Count} database(s) backed up: " + string.Join(", ", results.Select(r => $"{r.Database} ({r.Backup?.Size} bytes, {r.Removed} removed by rotation"
                + Pruned(r.PacksPruned, r.BytesFreed, r.PacksLocked) + (r.Destinations.Count > 0 ? $"; copied to {string.Join(", ", r.Destinations.Select(d => d.Location))}" : "") + AwaitingCopy(r) + ")"
                + (r.RestoreTest?.Outcome == VerificationOutcome.Inconclusive ? $"; the restore test could not run ({r.RestoreTest.Message})" : "")));
        var destinations = results.SelectMany(r => r.Destinations.Select(d => $"{r.Database} -> {d.Location}: " + (d.Succeeded
            ? $"copied{(d.CaughtUp > 0 ? $" (and {d.CaughtUp} older backup(s) it lacked)" : "")}, {d.Removed} removed and {d.Kept} kept by its rotation"
                + Pruned(d.PacksPruned, d.BytesFreed, d.PacksLocked)
            : d.Copy != null ? $"copied, but listing and rotating it FAILED ({d.ErrorId}): {d.Error}"
            : $"FAILED ({d.ErrorId}): {d.Error}"))).ToList();
        return new()
        {
            Event = (failed.Count == 0 ? BackupEvents.JobCompleted : BackupEvents.JobFailed).Name!,
            Success = failed.Count == 0,
            Summary = summary,
            Topic = $"the backup job {configPath}",
            Database = single?.Database, BackupId = single?.Backup?.Id, Path = single?.Backup?.Path, Size = single?.Backup?.Size,
            FailedDatabases = failed.Count > 0 ? failed.Select(r => r.Database).ToList() : null,
            Destinations = destinations.Count > 0 ? destinations : null,
            Error = failed.Count > 0 ? string.Join("\n", failed.Select(r => $"{r.Database}: {r.Error}")) : null,
        };
    }
}
