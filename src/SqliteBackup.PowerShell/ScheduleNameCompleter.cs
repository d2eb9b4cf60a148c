using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.PowerShell;

/// <summary>Tab completion for a schedule's -Name: the schedules Get-BackupSchedule lists, in the -Scheduler on the command line.</summary>
public sealed class ScheduleNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var kind = Enum.TryParse<SchedulerKind>(fakeBoundParameters["Scheduler"]?.ToString(), ignoreCase: true, out var k) ? k : SchedulerKind.Auto;
        IReadOnlyList<RegisteredSchedule> schedules;
        // A scheduler that is missing or cannot be read offers nothing; completion must never fail.
        try { schedules = ScheduleBackends.For(kind).List(); }
        catch (Exception) { return []; }
        return Completion.Offer(schedules.Select(s => (s.Name, $"{s.Name} ({s.Scheduler}): {s.Schedule ?? "no cron expression"}")), wordToComplete);
    }
}
