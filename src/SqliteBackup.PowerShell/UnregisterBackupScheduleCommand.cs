using System.Management.Automation;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsLifecycle.Unregister, "BackupSchedule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class UnregisterBackupScheduleCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidatePattern(@"^[A-Za-z0-9._-]{1,64}$")]
    [ArgumentCompleter(typeof(ScheduleNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)] public SchedulerKind Scheduler { get; set; } = SchedulerKind.Auto;

    protected override void ProcessRecord()
    {
        var backend = ScheduleBackends.For(Scheduler);
        if (!ShouldProcess($"{Name} ({backend.Kind})", "Remove the backup schedule")) return;
        try
        {
            if (!backend.Unregister(Name))
                WriteError(ErrorRecords.From(BackupErrors.ScheduleNotFound(Name, backend.Kind)));
        }
        catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
    }
}
