using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Notifications;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.PowerShell;

/// <summary>Copies backups to another location, local or remote (s3://...), data first and manifest last.</summary>
[Cmdlet(VerbsCommon.Copy, "SqliteBackup", SupportsShouldProcess = true, DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(CopyResult))]
public sealed class CopySqliteBackupCommand : BackupInputCmdlet
{
    /// <summary>Where the copies go: a directory or a store URI. The one name for a backup location.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("Destination", "BackupDirectory")]
    [ValidateNotNullOrEmpty]
    public string BackupPath { get; set; } = "";

    IBackupStore? _destination;

    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => BackupEvents.CopyFailed;

    protected override void EndProcessing()
    {
        _destination?.Dispose();
        base.EndProcessing();
    }

    protected override void ProcessRecord()
    {
        foreach (var b in Backups())
        {
            if (b.IsOrphan)
            {
                ReportError(OrphanNeedsRegistration(b));
                continue;
            }
            string target = StoreRegistry.IsRemote(BackupPath) ? StoreText.Redact(BackupPath) : ResolvePath(BackupPath);
            if (!ShouldProcess(target, $"Copy {b.Type} backup of '{b.Database}' taken {b.Created:yyyy-MM-dd HH:mm:ss} ({b.Size} bytes)")) continue;
            var logger = b.IsRemote ? Logger : LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
            try
            {
                _destination ??= StoreRegistry.Open(StoreRegistry.IsRemote(BackupPath) ? BackupPath : target,
                    new StoreOptions { Create = true, AllowInsecureDirectory = AllowInsecureDirectory });
                var result = new BackupCopier(logger).Copy(b, _destination, Progress, Cancellation);
                WriteObject(result);
                NotifySuccess(() => NotificationMessage.ForCopy(result), logger);
            }
            catch (SqliteBackupException e) { Failed(e, BackupEvents.CopyFailed, b.Database, logger); }
        }
    }
}
