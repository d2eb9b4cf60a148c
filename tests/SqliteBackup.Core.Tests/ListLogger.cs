using Microsoft.Extensions.Logging;

namespace SqliteBackup.Core.Tests;

/// <summary>Keeps what the engine logged, for tests that need evidence of what happened inside.</summary>
public sealed class ListLogger : ILogger
{
    public List<string> Messages { get; } = [];
    public List<string> Warnings { get; } = [];
    public List<(EventId EventId, LogLevel Level, string Message)> Entries { get; } = [];
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Messages)
        {
            Messages.Add(formatter(state, exception));
            Entries.Add((eventId, logLevel, formatter(state, exception)));
            if (logLevel == LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
    }
}
