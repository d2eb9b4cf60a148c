using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Remove, "SqliteBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = LiteralPathSet)]
public sealed class RemoveSqliteBackupCommand : BackupInputCmdlet
{
    protected override void ProcessRecord()
    {
        foreach (var b in Backups())
        {
            if (b.IsOrphan)
            {
                WriteError(ErrorRecords.From(OrphanNeedsRegistration(b)));
                continue;
            }
            if (!ShouldProcess(b.Path, $"Delete {b.Type} backup of '{b.Database}' taken {b.Created:yyyy-MM-dd HH:mm:ss}")) continue;
            try
            {
                var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
                if (b.IsRemote) new StoreCatalog(logger).Remove(b, ct: Cancellation);
                else new BackupCatalog(logger) { AllowInsecureDirectory = AllowInsecureDirectory }.Remove(b);
            }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.From(BackupErrors.BackupRemoveFailed(b.Path, e)));
            }
        }
    }
}
