using System.Management.Automation;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Backups;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsLifecycle.Invoke, "SqliteBackupJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(DatabaseJobResult))]
public sealed class InvokeSqliteBackupJobCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScratchPath { get; set; }

    /// <summary>Automatic (scheduled runs) or Shutdown (when the machine or an application's service stops: no restore test).</summary>
    [Parameter]
    [ValidateSet("Automatic", "Shutdown")]
    public BackupType Type { get; set; } = BackupType.Automatic;

    /// <summary>Give up after this many seconds, leaving nothing partial, logging JobTimedOut and alerting (0: no limit).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        BackupJobConfig config;
        // A listed database that is missing fails on its own in the run (logged, alerted), not the whole job here.
        try { config = BackupJobConfigFile.Load(ResolvePath(ConfigPath), checkDatabases: false); }
        catch (SqliteBackupException e) { Fail(e); return; }
        if (ScratchPath != null) config = config with { ScratchDirectory = ResolvePath(ScratchPath) };

        if (!ShouldProcess($"Running the backup job from '{config.ConfigPath}' for {config.Databases.Count} database(s) into '{config.BackupDirectory}'.",
                $"Run the backup job from '{config.ConfigPath}'?", "Invoke-SqliteBackupJob", out var reason))
        {
            if (reason == ShouldProcessReason.WhatIf) Preview(config);
            return;
        }

        var log = new JsonLinesLog(config.LogFile);
        var logger = new CompositeLogger(Logger, new BackupLogProvider(log).CreateLogger("job"));
        IReadOnlyList<DatabaseJobResult> results;
        try
        {
            results = new BackupJob(logger).Run(config, Progress, Cancellation, options: RunOptions());
        }
        catch (SqliteBackupException e) { Fail(e); return; }
        // Every result first: with -ErrorAction Stop the first WriteError ends the pipeline.
        foreach (var r in results) WriteObject(r);
        foreach (var r in results)
        {
            if (!r.Succeeded)
                WriteError(ErrorRecords.From(BackupErrors.JobDatabaseFailed(r.ErrorId, r.DatabasePath, r.Error, config.LogFile)));
        }
    }

    JobRunOptions RunOptions() => new() { Type = Type, TimeLimit = TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : null };

    /// <summary>-WhatIf: each step the run would take, through ShouldProcess so it reads as PowerShell's own "What if:" lines.</summary>
    void Preview(BackupJobConfig config)
    {
        if (!config.Enabled) { WriteWarning($"Backups are disabled in '{config.ConfigPath}'; the job would do nothing."); return; }
        IReadOnlyList<JobPlanStep> steps;
        try { steps = new BackupJob(Logger).Preview(config, DateTime.UtcNow, RunOptions()); }
        catch (SqliteBackupException e) { Fail(e); return; }
        foreach (var s in steps)
        {
            if (s.WouldFail) WriteWarning(s.Action);
            else ShouldProcess(s.Target, s.Action);
        }
    }
}
