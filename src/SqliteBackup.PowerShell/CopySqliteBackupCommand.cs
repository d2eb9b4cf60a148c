using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Notifications;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.PowerShell;

/// <summary>
/// Copies backups to another location, local or remote (s3://...), data first and manifest last. The key parameters open
/// an encrypted snapshot exported -AsPlain (its export is encrypted as its repository is); copies need none.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "SqliteBackup", SupportsShouldProcess = true, DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(CopyResult))]
public sealed class CopySqliteBackupCommand : KeyedBackupInputCmdlet
{
    /// <summary>
    /// Where the copies go: a directory or a store URI. The one name for a backup location. Not mandatory in the -Path
    /// set: there a lone positional value with backups piped in is the destination (see <see cref="InputObject"/>).
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ObjectSet)]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = LiteralPathSet)]
    [Parameter(Position = 1, ParameterSetName = PathSet)]
    [Alias("Destination", "BackupDirectory")]
    [ValidateNotNullOrEmpty]
    public string BackupPath { get; set; } = "";

    /// <summary>
    /// Also in the -Path set: PowerShell binds the one positional value of 'Get-SqliteBackup ./backups | Copy-SqliteBackup
    /// s3://b/p' to -Path (position 0, as 'Copy-SqliteBackup ./x.db.zst ./dst' needs), and the piped backups must still
    /// bind; that value is then the destination.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [Parameter(ValueFromPipeline = true, ParameterSetName = PathSet)]
    [ValidateNotNull]
    public override BackupInfo[] InputObject { get; set; } = [];

    /// <summary>
    /// A snapshot (of an incremental repository) leaves as a plain .db.zst backup that standard tools read, instead of as a
    /// snapshot into the destination's repository. Plain backups are copied as they are either way.
    /// </summary>
    [Parameter]
    public SwitchParameter AsPlain { get; set; }

    bool PipedWithPositionalDestination => ParameterSetName == PathSet && !MyInvocation.BoundParameters.ContainsKey(nameof(BackupPath))
        && MyInvocation.BoundParameters.ContainsKey(nameof(InputObject));

    private protected override bool FromObjects => base.FromObjects || PipedWithPositionalDestination;

    IBackupStore? _destination;
    StoreAccess? _destinationAccess;
    Core.Encryption.BackupKeys? _keys;
    bool _keysRead;

    /// <summary>-Credential is the destination's here: the piped backups keep the credential they were listed with.</summary>
    private protected override StoreOptions? SourceOptions => null;

    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => BackupEvents.CopyFailed;

    protected override void EndProcessing()
    {
        _destination?.Dispose();
        base.EndProcessing();
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PathSet && !MyInvocation.BoundParameters.ContainsKey(nameof(BackupPath)))
        {
            if (!PipedWithPositionalDestination || Path.Length != 1) Fail(BackupErrors.CopyDestinationMissing(Path));
            BackupPath = Path[0];
        }
        if (!_keysRead)
        {
            try { _keys = ReadGivenKeys(); }
            catch (SqliteBackupException e)
            {
                ThrowTerminatingError(ErrorRecords.From(e));
                return;
            }
            _keysRead = true;
        }
        foreach (var b in Backups())
        {
            if (b.IsOrphan)
            {
                ReportError(OrphanNeedsRegistration(b));
                continue;
            }
            string target = StoreRegistry.IsRemote(BackupPath) ? StoreText.Redact(BackupPath) : ResolvePath(BackupPath);
            string what = !b.Manifest.IsSnapshot ? "backup" : AsPlain ? "snapshot as a plain backup" : "snapshot";
            if (!ShouldProcess(target, $"Copy {b.Type} {what} of '{b.Database}' taken {b.Created:yyyy-MM-dd HH:mm:ss} ({b.Size} bytes)")) continue;
            var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
            try
            {
                if (_destination == null)
                {
                    var options = StoreOptionsFrom(Credential, create: true, allowInsecureDirectory: AllowInsecureDirectory, timeoutSec: TimeoutSec);
                    string location = StoreRegistry.IsRemote(BackupPath) ? BackupPath : target;
                    _destination = StoreRegistry.Open(location, options);
                    _destinationAccess = new StoreAccess(location, options);
                }
                var result = !b.Manifest.IsSnapshot ? new BackupCopier(logger) { DestinationAccess = _destinationAccess }.Copy(b, _destination, Progress, Cancellation)
                    : AsPlain ? new SnapshotExporter(logger) { DestinationAccess = _destinationAccess, Keys = _keys }.Export(b, _destination, Progress, Cancellation)
                    : new RepositoryCopier(logger) { DestinationAccess = _destinationAccess }.Copy(b, _destination, Progress, Cancellation);
                WriteObject(result);
                NotifySuccess(() => NotificationMessage.ForCopy(result), logger);
            }
            catch (SqliteBackupException e) { Failed(e, BackupEvents.CopyFailed, b.Database, logger); }
            // A local destination's store says "no space" or "read-only" as a plain I/O error: the user needs it said so.
            catch (Exception e) when (e is UnauthorizedAccessException || (e is IOException && (BackupErrors.IsDiskFull(e) || e.HResult is 13 or 30)))
            {
                Failed(BackupErrors.ForWriteFailure(target, e), BackupEvents.CopyFailed, b.Database, logger);
            }
        }
    }
}
