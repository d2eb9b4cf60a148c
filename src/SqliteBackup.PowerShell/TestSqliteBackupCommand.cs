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
        if (Query != null && Level != VerificationLevel.Full)
            ThrowTerminatingError(ErrorRecords.InvalidArgument("QueryNeedsFullLevel", "-Query runs only at -Level Full.",
                "Add -Level Full, or drop -Query.", Query));
    }

    protected override void ProcessRecord()
    {
        foreach (var b in Backups())
        {
            // A failed check is data (Passed = False), not an error; the engine's log already warns about it.
            WriteObject(new BackupVerifier(LoggerWithBackupLog(b.Directory)).Verify(b, Level, Query, Progress, Cancellation));
        }
    }
}
