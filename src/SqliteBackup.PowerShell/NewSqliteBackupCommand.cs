using System.Management.Automation;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.New, "SqliteBackup", SupportsShouldProcess = true)]
[OutputType(typeof(BackupInfo))]
public sealed class NewSqliteBackupCommand : NotifyingCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Database")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Where the backups go (by default 'backups' beside the database). The one name for the backup location.</summary>
    [Parameter(Position = 1)]
    [Alias("Destination", "BackupDirectory")]
    [ValidateNotNullOrEmpty]
    public string? BackupPath { get; set; }

    [Parameter]
    [ValidateSet("Manual", "Automatic", "PreMigration", "Shutdown")]
    public BackupType Type { get; set; } = BackupType.Manual;

    [Parameter]
    public CompressionKind Compression { get; set; } = CompressionKind.Zstd;

    [Parameter]
    [Alias("Verify", "Level", "Verification")]
    public VerificationLevel VerificationLevel { get; set; } = VerificationLevel.Standard;

    [Parameter]
    [ValidateNotNull]
    public string[] Tag { get; set; } = [];

    [Parameter]
    [ValidateRange(0, 86400)]
    public int BusyTimeoutSec { get; set; } = 30;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScratchPath { get; set; }
    /// <summary>Use a backup directory that users other than its owner and root can write (refused by default, like OpenSSH's StrictModes).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDirectory { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            string db = ResolvePath(p);
            bool remote = BackupPath != null && Core.Storage.StoreRegistry.IsRemote(BackupPath);
            string? dest = BackupPath == null || remote ? null : ResolvePath(BackupPath);
            var request = new BackupRequest(db)
            {
                Destination = dest,
                Type = Type,
                Compression = Compression,
                Verify = VerificationLevel,
                Tags = Tag,
                BusyTimeout = TimeSpan.FromSeconds(BusyTimeoutSec),
                ScratchPath = ScratchPath == null ? null : ResolvePath(ScratchPath),
                AllowInsecureDirectory = AllowInsecureDirectory,
            };
            string where = remote ? Core.Storage.StoreText.Redact(BackupPath!) : request.ResolveDestination();
            if (!ShouldProcess(db, $"Back up to '{where}'")) continue;
            var logger = LoggerWithBackupLog(where, AllowInsecureDirectory);
            try
            {
                BackupInfo backup;
                if (remote)
                {
                    using var store = Core.Storage.StoreRegistry.Open(BackupPath!, new Core.Storage.StoreOptions { Create = true });
                    backup = Core.Copies.RemoteBackup.Create(request, store, logger, Progress, Cancellation);
                }
                else backup = new BackupEngine(logger).Create(request, Progress, Cancellation);
                WriteObject(backup);
                NotifySuccess(() => Core.Notifications.NotificationMessage.ForBackup(backup), logger);
            }
            catch (SqliteBackupException e)
            {
                Failed(e, BackupEvents.BackupFailed, BackupNaming.DatabaseName(db), logger);
            }
        }
    }
}
