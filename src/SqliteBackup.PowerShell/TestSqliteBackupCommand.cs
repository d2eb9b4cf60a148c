using System.Management.Automation;
using SqliteBackup.Core;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsDiagnostic.Test, "SqliteBackup", DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(VerificationResult))]
public sealed class TestSqliteBackupCommand : BackupInputCmdlet
{
    [Parameter]
    [ValidateSet("Quick", "Standard", "Full")]
    public VerificationLevel Level { get; set; } = VerificationLevel.Standard;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Query { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScratchPath { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Query != null && Level != VerificationLevel.Full)
            ThrowTerminatingError(ErrorRecords.InvalidArgument("QueryNeedsFullLevel", "-Query runs only at -Level Full.",
                "Add -Level Full, or drop -Query.", Query));
    }

    protected override void ProcessRecord()
    {
        foreach (var b in Backups())
        {
            // A failed check is data (Outcome = Failed), not an error; the engine's log already warns about it. A check
            // that could not run is an error naming its cause (DiskFull...), since only the caller can fix that.
            var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
            string? scratch = ScratchPath == null ? null : ResolvePath(ScratchPath);
            VerificationResult result;
            if (b.IsOrphan)
            {
                // An orphan is registered (given a manifest built from the file itself) only when it passes.
                try { result = new OrphanRegistration(logger) { AllowInsecureDirectory = AllowInsecureDirectory }.Register(b, Level, Query, Progress, Cancellation); }
                catch (SqliteBackupException e)
                {
                    WriteError(ErrorRecords.From(e));
                    continue;
                }
            }
            else result = new BackupVerifier(logger, scratch).Verify(b, Level, Query, Progress, Cancellation);
            WriteObject(result);
            var message = new Core.Notifications.NotificationMessage
            {
                Event = "Verification" + result.Outcome, Success = result.Passed,
                Summary = $"{Level} verification of {b.Database} backup {b.Id[..8]} " + result.Outcome switch
                {
                    VerificationOutcome.Passed => "passed",
                    VerificationOutcome.Failed => "FAILED",
                    _ => "could not run (inconclusive; nothing was found wrong with the backup)",
                },
                Database = b.Database, BackupId = b.Id, Path = b.Path, Size = b.Size, Error = result.Passed ? null : result.Message,
            };
            // A check that cannot run night after night is a failure someone must hear about, though the backup is not blamed.
            if (!result.Passed) NotifyFailure(message, logger);
            else NotifySuccess(() => message, logger);
            // After the alert: with -ErrorAction Stop this throws.
            if (result.Error != null) WriteError(ErrorRecords.From(result.Error));
        }
    }
}
