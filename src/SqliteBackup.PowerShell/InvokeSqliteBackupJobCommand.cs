using System.Management.Automation;
using SqliteBackup.Core;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsLifecycle.Invoke, "SqliteBackupJob")]
[OutputType(typeof(DatabaseJobResult))]
public sealed class InvokeSqliteBackupJobCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScratchPath { get; set; }

    protected override void ProcessRecord()
    {
        BackupJobConfig config;
        try { config = BackupJobConfigFile.Load(ResolvePath(ConfigPath)); }
        catch (SqliteBackupException e) { Fail(e); return; }
        if (ScratchPath != null) config = config with { ScratchDirectory = ResolvePath(ScratchPath) };

        var log = new JsonLinesLog(config.LogFile);
        var logger = new CompositeLogger(Logger, new BackupLogProvider(log).CreateLogger("job"));
        IReadOnlyList<DatabaseJobResult> results;
        try { results = new BackupJob(logger).Run(config, Progress, Cancellation); }
        catch (SqliteBackupException e) { Fail(e); return; }
        foreach (var r in results)
        {
            WriteObject(r);
            if (!r.Succeeded)
                WriteError(ErrorRecords.From(new SqliteBackupException(r.ErrorId ?? "BackupJobFailed", BackupErrorCategory.InvalidResult,
                    $"The backup job failed for '{r.DatabasePath}': {r.Error}", $"See the backup log {config.LogFile} (Get-SqliteBackupLog).", r.DatabasePath)));
        }
    }
}
