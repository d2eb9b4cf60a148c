using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Reporting;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsData.Export, "SqliteBackupReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportSqliteBackupReportCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? BackupPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <summary>Use a backup directory that users other than its owner and root can write (refused by default, like OpenSSH's StrictModes).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDirectory { get; set; }

    /// <summary>The credential for a remote location (S3: access key id as the user name, secret access key as the password); without it, the environment's.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long one operation on a remote location may take with its retries (0: 120 s); see StoreTimeouts.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; }

    protected override void EndProcessing()
    {
        string target = ResolvePath(Path);
        if (Directory.Exists(target))
            Fail(BackupErrors.ReportPathIsDirectory(target));
        BackupJobConfig? config = null;
        if (ConfigPath != null)
        {
            try { config = BackupJobConfigFile.Load(ResolvePath(ConfigPath), checkDatabases: false); }
            catch (SqliteBackupException e) { Fail(e); }
        }
        if (!ShouldProcess(target, "Write backup report")) return;

        var directories = (BackupPath == null ? [config?.BackupDirectory ?? ResolvePath("backups")] : BackupDirectories(ExpandPaths(BackupPath, literal: false)))
            .Distinct(StringComparer.Ordinal).ToList();
        var backups = new List<BackupInfo>();
        foreach (var dir in directories)
        {
            try { backups.AddRange(new StoreCatalog(Logger).ListLocation(dir, AllowInsecureDirectory || config?.AllowInsecureDirectory == true, Cancellation, StoreOptionsFrom(Credential, timeoutSec: TimeoutSec))); }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
        }

        // The logs beside the backups (as Measure-SqliteBackup reads them), and the configuration's own log file.
        var logFiles = directories.Where(d => !Core.Storage.StoreRegistry.IsRemote(d)).Select(d => System.IO.Path.Combine(d, JsonLinesLog.DefaultFileName)).Append(config?.LogFile)
            .OfType<string>().Distinct(StringComparer.Ordinal).Where(File.Exists).ToList();
        int damaged = 0;
        var log = logFiles.SelectMany(f => new JsonLinesLog(f).Read((_, _) => damaged++)).ToList();
        if (damaged > 0) WriteWarning($"Skipped {damaged} damaged line(s) in the backup log.");

        var schedules = config == null
            ? ReportSchedules.Unknown
            : ReportSchedules.Find(config.ConfigPath, () => ScheduleBackends.For(SchedulerKind.Auto).List());
        if (schedules.Error != null) WriteWarning($"The report shows no schedule: the scheduler could not be read ({schedules.Error}).");

        var policy = config?.RetentionPolicy ?? RetentionPolicy.Default;
        WriteVerbose($"Retention policy: {policy}; buckets in local time ({TimeZoneInfo.Local.Id})");
        var model = BackupReport.BuildModel(backups, log, policy, TimeZoneInfo.Local, DateTime.UtcNow, schedules, directories.Select(Core.Storage.StoreText.Redact).ToList(), config?.ConfigPath,
            RepositoryUsage.MeasureAll(backups, e => WriteError(ErrorRecords.From(e)), Cancellation));
        try { BackupReport.Write(target, BackupReport.Render(model)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(BackupErrors.ReportNotWritable(target, e));
        }
        // Through the provider, so the FileInfo carries the properties Get-Item's has (Mode, UnixMode, PSPath...).
        WriteObject(InvokeProvider.Item.Get([target], force: false, literalPath: true), enumerateCollection: true);
    }
}
