using System.Management.Automation;
using SqliteBackup.Core;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsDiagnostic.Test, "SqliteBackup", DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(VerificationResult))]
public sealed class TestSqliteBackupCommand : BackupInputCmdlet
{
    [Parameter]
    [ValidateSet("Quick", "Standard", "Full")]
    public VerificationLevel Level { get; set; } = VerificationLevel.Standard;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Query { get; set; }

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
            // A failed check is data (Passed = False), not an error; the engine's log already warns about it.
            var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
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
            else result = new BackupVerifier(logger).Verify(b, Level, Query, Progress, Cancellation);
            WriteObject(result);
            var message = new Core.Notifications.NotificationMessage
            {
                Event = result.Passed ? "VerificationPassed" : "VerificationFailed", Success = result.Passed,
                Summary = $"{Level} verification of {b.Database} backup {b.Id[..8]} {(result.Passed ? "passed" : "FAILED")}",
                Database = b.Database, BackupId = b.Id, Path = b.Path, Size = b.Size, Error = result.Passed ? null : result.Message,
            };
            if (result.Passed) NotifySuccess(() => message, logger);
            else NotifyFailure(message, logger);
        }
    }
}
