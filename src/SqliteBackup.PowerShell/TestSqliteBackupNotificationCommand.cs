using SqliteBackup.Core.Errors;
using System.Management.Automation;
using SqliteBackup.Core.Notifications;

namespace SqliteBackup.PowerShell;

/// <summary>Sends a test message to each target so a configuration can be checked before a real failure needs it.</summary>
[Cmdlet(VerbsDiagnostic.Test, "SqliteBackupNotification")]
[OutputType(typeof(PSObject))]
public sealed class TestSqliteBackupNotificationCommand : NotifyingCmdlet
{
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Notify.Length == 0)
            ThrowTerminatingError(ErrorRecords.From(BackupErrors.NoNotificationTarget()));
    }

    protected override void EndProcessing()
    {
        var message = NotificationMessage.ForTest();
        var targets = Notify.Select(NotificationTarget.Parse).ToList();
        var failed = new Notifier(Logger, Smtp()).Send(targets, message, Cancellation);
        foreach (var t in targets)
        {
            var result = new PSObject();
            result.Properties.Add(new PSNoteProperty("Target", t.Redacted));
            result.Properties.Add(new PSNoteProperty("Kind", t.Kind));
            result.Properties.Add(new PSNoteProperty("Sent", !failed.Contains(t)));
            WriteObject(result);
        }
    }
}
