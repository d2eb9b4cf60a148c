using System.Text.Json.Serialization;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;

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
        (Size != null ? $"Size: {Size} bytes\n" : "") + (Error != null ? $"Error: {Error}\n" : "");

    public static NotificationMessage ForBackup(BackupInfo b) => new()
    {
        Event = "BackupSucceeded", Success = true, Summary = $"backup of {b.Database} written ({b.Size} bytes)",
        Database = b.Database, BackupId = b.Id, Path = b.Path, Size = b.Size,
    };

    public static NotificationMessage ForFailure(string evt, string? database, SqliteBackupException e) => new()
    {
        Event = evt, Success = false, Summary = $"{evt} for {database ?? e.Target ?? "?"}: {e.ErrorId}", Database = database, Error = e.Message,
    };
}
