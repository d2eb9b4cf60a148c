using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsDiagnostic.Test, "SqliteBackup", DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(VerificationResult))]
public sealed class TestSqliteBackupCommand : KeyedBackupInputCmdlet
{
    [Parameter]
    [Alias("Level", "Verify", "Verification")]
    [ValidateSet("Quick", "Standard", "Full")]
    public VerificationLevel VerificationLevel { get; set; } = VerificationLevel.Standard;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Query { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScratchPath { get; set; }

    /// <summary>A backup that cannot be found or fetched is a check that could not run: nothing proves its bytes bad.</summary>
    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => Core.Logging.BackupEvents.VerificationInconclusive;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Query != null && VerificationLevel != Core.Verification.VerificationLevel.Full)
            ThrowTerminatingError(ErrorRecords.From(BackupErrors.QueryNeedsFullLevel(Query)));
    }

    protected override void ProcessRecord()
    {
        Core.Encryption.BackupKeys? keys;
        try { keys = ReadGivenKeys(); }
        catch (SqliteBackupException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            return;
        }
        foreach (var b in Backups())
        {
            // A failed check is data (Outcome = Failed), not an error; the engine's log already warns about it. A check
            // that could not run is an error naming its cause (DiskFull...), since only the caller can fix that.
            var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
            string? scratch = ScratchPath == null ? null : ResolvePath(ScratchPath);
            VerificationResult result;
            if (b.IsOrphan && b.IsRemote)
            {
                ReportError(BackupErrors.RemoteOrphanNotRegistered(b.Path));
                continue;
            }
            if (b.IsOrphan)
            {
                // An orphan is registered (given a manifest built from the file itself) only when it passes.
                try { result = new OrphanRegistration(logger) { AllowInsecureDirectory = AllowInsecureDirectory }.Register(b, VerificationLevel, Query, Progress, Cancellation, keys); }
                catch (SqliteBackupException e)
                {
                    ReportError(e);
                    continue;
                }
            }
            else if (b.IsRemote)
            {
                try
                {
                    // Where the backup lies: Quick compares the service's own SHA-256 where it keeps one, else reads the
                    // object once as a stream; Standard/Full read it once, decompressing into the scratch folder. The
                    // verification record goes back with the manifest.
                    using var store = b.OpenStore();
                    result = new BackupVerifier(logger, scratch, keys).Verify(b, store, VerificationLevel, Query, Progress, Cancellation);
                }
                catch (SqliteBackupException e)
                {
                    ReportError(e);
                    continue;
                }
            }
            else result = new BackupVerifier(logger, scratch, keys).Verify(b, VerificationLevel, Query, Progress, Cancellation);
            WriteObject(result);
            var message = Core.Notifications.NotificationMessage.ForVerification(b, VerificationLevel, result);
            // A check that cannot run night after night is a failure someone must hear about, though the backup is not blamed.
            if (!result.Passed) NotifyFailure(message, logger);
            else NotifySuccess(() => message, logger);
            // After the alert: with -ErrorAction Stop this throws.
            if (result.Error != null) WriteError(ErrorRecords.From(result.Error));
        }
    }
}
