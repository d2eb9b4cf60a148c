using System.Management.Automation;
using SqliteBackup.Core;

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
            try { new BackupCatalog(LoggerWithBackupLog(b.Directory, AllowInsecureDirectory)) { AllowInsecureDirectory = AllowInsecureDirectory }.Remove(b); }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.From(new SqliteBackupException("BackupRemoveFailed", BackupErrorCategory.WriteError,
                    $"Could not delete the backup '{b.Path}': {e.Message}", "Check the permissions of the backup directory.", b.Path, e)));
            }
        }
    }
}
