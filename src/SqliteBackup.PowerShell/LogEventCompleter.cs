using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.PowerShell;

/// <summary>Tab completion for the backup log's -Event: the event names of the events catalogue (BackupEvents).</summary>
public sealed class LogEventCompleter : IArgumentCompleter
{
    static readonly (string Name, string Tooltip)[] Events = typeof(BackupEvents).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(EventId)).Select(f => (EventId)f.GetValue(null)!)
        .Select(e => (e.Name!, $"{e.Name} (event {e.Id})")).ToArray();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) => Completion.Offer(Events, wordToComplete);
}
