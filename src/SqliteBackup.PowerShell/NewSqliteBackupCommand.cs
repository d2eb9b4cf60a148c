using System.Management.Automation;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Verification;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.New, "SqliteBackup", SupportsShouldProcess = true, DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(BackupInfo))]
public sealed class NewSqliteBackupCommand : NotifyingCmdlet
{
    const string PathSet = "Path";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "Database")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

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

    /// <summary>The credential for a remote location (S3: access key id as the user name, secret access key as the password); without it, the environment's.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>A snapshot into the incremental repository at -BackupPath: only blocks the repository lacks are stored.</summary>
    [Parameter]
    public SwitchParameter Incremental { get; set; }

    /// <summary>The repository's block size, used only when this backup creates the repository.</summary>
    [Parameter]
    [ValidateRange(512, 1048576)]
    public int BlockSize { get; set; } = Core.Repository.RepositoryConfig.DefaultBlockSize;

    /// <summary>How long one operation on a remote location may take with its retries (0: 120 s); see StoreTimeouts.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; }

    /// <summary>Encrypt to these age public keys (age1…), after compression; needs the writer's own identity to sign the manifest.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Recipient { get; set; }

    /// <summary>Encrypt with a passphrase (age's scrypt recipient) instead of public keys.</summary>
    [Parameter]
    public System.Security.SecureString? Passphrase { get; set; }

    /// <summary>The writer's age identity file: signs each manifest (and verifies the new backup when it is a recipient).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdentityFile { get; set; }

    /// <summary>The name of an environment variable holding the writer's age identity.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdentityVariable { get; set; }

    Core.Encryption.BackupEncryption? _encryption;

    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => BackupEvents.BackupFailed;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (MyInvocation.BoundParameters.ContainsKey(nameof(BlockSize)) && !Incremental)
            ThrowTerminatingError(ErrorRecords.From(BackupErrors.BlockSizeWithoutIncremental()));
        try { _encryption = ReadEncryption(Recipient, Passphrase, IdentityFile, IdentityVariable); }
        catch (SqliteBackupException e) { ThrowTerminatingError(ErrorRecords.From(e)); }
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in ExpandPaths(literal ? LiteralPath : Path, literal))
        {
            string db = input.Path;
            if (NotADatabaseToBackUp(input)) continue;
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
                Incremental = Incremental,
                BlockSize = MyInvocation.BoundParameters.ContainsKey(nameof(BlockSize)) ? BlockSize : null,
                Encryption = _encryption,
            };
            string where = remote ? Core.Storage.StoreText.Redact(BackupPath!) : request.ResolveDestination();
            if (!ShouldProcess(db, Incremental ? $"Back up incrementally into the repository at '{where}'" : $"Back up to '{where}'")) continue;
            var logger = LoggerWithBackupLog(where, AllowInsecureDirectory);
            try
            {
                BackupInfo backup;
                if (remote)
                {
                    var options = StoreOptionsFrom(Credential, create: true, timeoutSec: TimeoutSec);
                    using var store = Core.Storage.StoreRegistry.Open(BackupPath!, options);
                    backup = Core.Copies.RemoteBackup.Create(request, store, logger, Progress, Cancellation, new Core.Storage.StoreAccess(BackupPath!, options));
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

    /// <summary>
    /// What a folder listing (Get-ChildItem ./data | New-SqliteBackup) or a wildcard (./data/*) brings along besides the
    /// databases: their -wal, -shm and -journal files and folders such as the backups folder. Skipped with a verbose line;
    /// named on its own, such a path is still an error.
    /// </summary>
    bool NotADatabaseToBackUp(InputPath input)
    {
        bool listed = input.Matched || MyInvocation.ExpectingInput;
        if (listed && SqliteFiles.IsSidecar(input.Path))
        {
            WriteVerbose($"Skipping '{input.Path}': it is the -wal, -shm or -journal file of the database beside it, which is backed up with it.");
            return true;
        }
        if (listed && Directory.Exists(input.Path) && (input.Matched || ParameterSetName == LiteralPathSet))
        {
            WriteVerbose($"Skipping the folder '{input.Path}': only database files are backed up.");
            return true;
        }
        return false;
    }
}
