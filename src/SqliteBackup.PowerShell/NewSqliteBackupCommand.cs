using System.Management.Automation;
using SqliteBackup.Core;

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

    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    [Parameter]
    [ValidateSet("Manual", "Automatic", "PreMigration", "Shutdown")]
    public BackupType Type { get; set; } = BackupType.Manual;

    [Parameter]
    public CompressionKind Compression { get; set; } = CompressionKind.Zstd;

    [Parameter]
    public VerificationLevel Verify { get; set; } = VerificationLevel.Standard;

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
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in ExpandPaths(literal ? LiteralPath : Path, literal))
        {
            string db = input.Path;
            if (NotADatabaseToBackUp(input)) continue;
            string? dest = Destination == null ? null : ResolvePath(Destination);
            var request = new BackupRequest(db)
            {
                Destination = dest,
                Type = Type,
                Compression = Compression,
                Verify = Verify,
                Tags = Tag,
                BusyTimeout = TimeSpan.FromSeconds(BusyTimeoutSec),
                ScratchPath = ScratchPath == null ? null : ResolvePath(ScratchPath),
                AllowInsecureDirectory = AllowInsecureDirectory,
            };
            if (!ShouldProcess(db, $"Back up to '{request.ResolveDestination()}'")) continue;
            var logger = LoggerWithBackupLog(request.ResolveDestination(), AllowInsecureDirectory);
            try
            {
                var backup = new BackupEngine(logger).Create(request, Progress, Cancellation);
                WriteObject(backup);
                NotifySuccess(() => Core.Notifications.NotificationMessage.ForBackup(backup), logger);
            }
            catch (SqliteBackupException e)
            {
                Failed(e, "BackupFailed", BackupNaming.DatabaseName(db), logger);
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
