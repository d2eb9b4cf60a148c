using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Remove, "SqliteBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = LiteralPathSet)]
public sealed class RemoveSqliteBackupCommand : BackupInputCmdlet
{
    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => Core.Logging.BackupEvents.RemoveFailed;

    protected override void ProcessRecord()
    {
        foreach (var b in Backups())
        {
            if (b.IsOrphan && b.IsRemote)
            {
                // Only where it was listed as one: at a remote location there is no registering it, and no rm.
                if (!ShouldProcess(b.Path, $"Delete orphan of '{b.Database}' (a backup object without a manifest, {b.Size} bytes)")) continue;
                try { new StoreCatalog(LoggerWithBackupLog(b.Directory, AllowInsecureDirectory)).RemoveOrphan(b, SourceOptions, Cancellation); }
                catch (SqliteBackupException e) { ReportError(e); }
                continue;
            }
            if (b.IsOrphan)
            {
                ReportError(OrphanNeedsRegistration(b));
                continue;
            }
            if (!ShouldProcess(b.Path, $"Delete {b.Type} backup of '{b.Database}' taken {b.Created:yyyy-MM-dd HH:mm:ss}")) continue;
            try
            {
                var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
                new StoreCatalog(logger).Remove(b, ct: Cancellation, allowInsecureDirectory: AllowInsecureDirectory);
            }
            catch (SqliteBackupException e) { ReportError(e); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ReportError(BackupErrors.BackupRemoveFailed(b.Path, e));
            }
        }
    }
}
