using System.Management.Automation;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Get, "BackupSchedule")]
[OutputType(typeof(RegisteredSchedule))]
public sealed class GetBackupScheduleCommand : SqliteBackupCmdlet
{
    [Parameter(Position = 0)] [SupportsWildcards] [ArgumentCompleter(typeof(ScheduleNameCompleter))] [ValidateNotNullOrEmpty] public string[]? Name { get; set; }
    [Parameter] public SchedulerKind Scheduler { get; set; } = SchedulerKind.Auto;

    protected override void ProcessRecord()
    {
        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        try
        {
            foreach (var s in ScheduleBackends.For(Scheduler).List())
                if (patterns == null || patterns.Any(p => p.IsMatch(s.Name))) WriteObject(s);
        }
        catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
    }
}
