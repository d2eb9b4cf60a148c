using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Logging;

/// <summary>
/// ILoggerProvider that writes the backup events (those logged with an EventId from <see cref="BackupEvents"/>) to a
/// <see cref="JsonLinesLog"/>, taking database, backup id, path, size and duration from the message template's values.
/// Other log messages are diagnostics for the console, not history, and are not written.
/// </summary>
public sealed class BackupLogProvider(JsonLinesLog log) : ILoggerProvider
{
    public JsonLinesLog Log { get; } = log;

    public ILogger CreateLogger(string categoryName) => new Writer(Log);

    public void Dispose() { }

    sealed class Writer(JsonLinesLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (string.IsNullOrEmpty(eventId.Name)) return;
            var entry = new BackupLogEntry
            {
                Time = DateTime.UtcNow,
                Level = logLevel.ToString(),
                Event = eventId.Name,
                Message = formatter(state, exception),
                Error = exception?.Message,
                ProcessId = Environment.ProcessId,
            };
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    switch (key)
                    {
                        case "Database": entry.Database = value?.ToString(); break;
                        case "Id": entry.BackupId = value?.ToString(); break;
                        case "Path" or "Destination" or "Target": entry.Path ??= value?.ToString(); break;
                        case "StoredSize" or "Size": entry.Size = value is null ? null : Convert.ToInt64(value); break;
                        case "DurationMs": entry.DurationMs = value is null ? null : Convert.ToInt64(value); break;
                        case "Error": entry.Error ??= value?.ToString(); break;
                    }
                }
            }
            // The log must never be the reason a backup fails.
            try { log.Append(entry); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteBackupException) { }
        }
    }
}
