using Microsoft.Extensions.Logging;

namespace SqliteBackup.Core.Logging;

/// <summary>Sends each message to several loggers (the shell's verbose stream and the backup log, say).</summary>
public sealed class CompositeLogger(params ILogger[] loggers) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => loggers.Any(l => l.IsEnabled(logLevel));

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        foreach (var l in loggers)
            if (l.IsEnabled(logLevel)) l.Log(logLevel, eventId, state, exception, formatter);
    }
}
