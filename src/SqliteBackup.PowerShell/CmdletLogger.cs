using System.Management.Automation;
using Microsoft.Extensions.Logging;

namespace SqliteBackup.PowerShell;

/// <summary>
/// Core speaks ILogger; a shell user expects -Verbose and warnings. Write* may only be called on the
/// pipeline thread, so messages from any other thread are dropped rather than crash the command.
/// Errors are not echoed here: they reach the user once, as the ErrorRecord.
/// </summary>
internal sealed class CmdletLogger(Cmdlet cmdlet) : ILogger
{
    readonly int _threadId = Environment.CurrentManagedThreadId;
    bool? _promptFree;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (Environment.CurrentManagedThreadId != _threadId) return;
        _promptFree ??= PromptFreeStreams.Apply(cmdlet);
        string message = formatter(state, exception);
        if (_promptFree == false)
        {
            // This PowerShell hides the preferences: the host shows the line and nothing can prompt.
            if (logLevel is not LogLevel.Error and not LogLevel.Critical && cmdlet is PSCmdlet ps) ps.Host.UI.WriteLine($"{logLevel.ToString().ToUpperInvariant()}: {message}");
            return;
        }
        switch (logLevel)
        {
            case LogLevel.Warning: cmdlet.WriteWarning(message); break;
            case LogLevel.Trace or LogLevel.Debug: cmdlet.WriteDebug(message); break;
            case LogLevel.Error or LogLevel.Critical: cmdlet.WriteVerbose("Error: " + message); break;
            default: cmdlet.WriteVerbose(message); break;
        }
    }
}
