using System.Management.Automation;
using SqliteBackup.Core;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsData.Restore, "SqliteBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreSqliteBackupCommand : BackupInputCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Restore into the file a symlink at -Destination points to (the link is kept). Without it such a link is refused.</summary>
    [Parameter]
    public SwitchParameter FollowSymlink { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int BusyTimeoutSec { get; set; } = 30;

    protected override void ProcessRecord()
    {
        string target = ResolvePath(Destination);
        foreach (var b in Backups())
        {
            if (b.IsOrphan)
            {
                WriteError(ErrorRecords.From(OrphanNeedsRegistration(b)));
                continue;
            }
            string action = File.Exists(target)
                ? $"Replace the database with backup {b.Id[..8]} of {b.Created:yyyy-MM-dd HH:mm:ss} (a PreRestore backup is taken first)"
                : $"Create the database from backup {b.Id[..8]} of {b.Created:yyyy-MM-dd HH:mm:ss}";
            var now = DateTimeOffset.UtcNow;
            if (FutureDated.Is(new DateTimeOffset(b.CreatedUtc), now))
                WriteWarning(FutureDated.Warning(b.Path, b.Database, new DateTimeOffset(b.CreatedUtc), now,
                    "Its date says nothing about how fresh it is: check with Get-SqliteBackup that it is the backup you mean to restore."));
            if (!ShouldProcess(target, action)) continue;
            var request = new RestoreRequest(target)
            {
                Force = Force, FollowSymlink = FollowSymlink, AllowInsecureDirectory = AllowInsecureDirectory, BusyTimeout = TimeSpan.FromSeconds(BusyTimeoutSec),
            };
            var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
            try
            {
                var restored = new Restorer(logger).Restore(b, request, Progress, Cancellation);
                WriteObject(restored);
                NotifySuccess(() => new Core.Notifications.NotificationMessage
                {
                    Event = "RestoreCompleted", Success = true, Summary = $"{b.Database} restored to {target}", Database = b.Database, BackupId = b.Id, Path = b.Path,
                }, logger);
            }
            catch (SqliteBackupException e)
            {
                Failed(e, "RestoreFailed", b.Database, logger);
            }
        }
    }
}
