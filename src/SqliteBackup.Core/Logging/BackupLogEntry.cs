using System.Text.Json;
using System.Text.Json.Serialization;

namespace SqliteBackup.Core.Logging;

/// <summary>One line of the backup log (JSON Lines). Absent values are left out of the line.</summary>
public sealed class BackupLogEntry
{
    public DateTime Time { get; set; }
    public string Level { get; set; } = "";
    public string Event { get; set; } = "";
    public string? Database { get; set; }
    public string? BackupId { get; set; }
    public string? Path { get; set; }
    public long? Size { get; set; }
    public long? DurationMs { get; set; }
    public string? Error { get; set; }
    public string Message { get; set; } = "";
    public int? ProcessId { get; set; }

    public string ToJsonLine() => JsonSerializer.Serialize(this, LogJson.Default.BackupLogEntry);

    public static BackupLogEntry? TryParse(string line)
    {
        try { return JsonSerializer.Deserialize(line, LogJson.Default.BackupLogEntry) is { Event.Length: > 0 } e ? e : null; }
        catch (JsonException) { return null; }
    }
}

/// <summary>The log line's JSON, generated at build time as the manifest's is (<see cref="Format.ManifestJson"/>), for the same start-up cost.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BackupLogEntry))]
internal sealed partial class LogJson : JsonSerializerContext;
