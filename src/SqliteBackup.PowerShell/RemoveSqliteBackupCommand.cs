using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Remove, "SqliteBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = LiteralPathSet)]
public sealed class RemoveSqliteBackupCommand : BackupInputCmdlet
{
    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => Core.Logging.BackupEvents.RemoveFailed;

    readonly List<BackupInfo> _removedSnapshots = [];

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
                if (b.Format == BackupFormat.Snapshot) _removedSnapshots.Add(b);
            }
            catch (SqliteBackupException e) { ReportError(e); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ReportError(BackupErrors.BackupRemoveFailed(b.Path, e));
            }
        }
    }

    /// <summary>Once per location, after every removal: the packs only the removed snapshots used are deleted.</summary>
    protected override void EndProcessing()
    {
        foreach (var location in _removedSnapshots.GroupBy(b => b.Directory, StringComparer.Ordinal))
        {
            try
            {
                var pruned = new Core.Retention.BackupRotation(LoggerWithBackupLog(location.Key, AllowInsecureDirectory))
                    .PruneRepositories(location, whatIf: false, allowInsecureDirectory: AllowInsecureDirectory, ct: Cancellation).Single();
                if (!pruned.Deferred) WriteVerbose($"{(location.First().IsRemote ? Core.Storage.StoreText.Redact(location.Key) : location.Key)}: pruned the repository: {InvokeBackupRotationCommand.Freed(pruned)}");
            }
            catch (SqliteBackupException e) { ReportError(e); }
        }
    }
}
