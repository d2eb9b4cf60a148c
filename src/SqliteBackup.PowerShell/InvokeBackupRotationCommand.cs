using System.Management.Automation;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsLifecycle.Invoke, "BackupRotation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(RotationDecision))]
public sealed class InvokeBackupRotationCommand : NotifyingCmdlet
{
    const string PathSet = "Path";
    const string ObjectSet = "InputObject";

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "BackupPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = ["backups"];

    /// <summary>Not mandatory: without either parameter the command rotates ./backups, as before.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = ["backups"];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [ValidateNotNull]
    public BackupInfo[] InputObject { get; set; } = [];

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Database { get; set; }

    [Parameter, ValidateRange(-1, int.MaxValue)] public int KeepLast { get; set; }
    [Parameter, ValidateRange(-1, int.MaxValue)] public int KeepHourly { get; set; }
    // The old names (README "Names") keep old scripts working, as on New-SqliteBackupConfig.
    [Parameter, Alias("RetentionDays"), ValidateRange(-1, int.MaxValue)] public int KeepDaily { get; set; }
    [Parameter, Alias("RetentionWeeks"), ValidateRange(-1, int.MaxValue)] public int KeepWeekly { get; set; }
    [Parameter, Alias("RetentionMonths"), ValidateRange(-1, int.MaxValue)] public int KeepMonthly { get; set; }
    [Parameter, ValidateRange(-1, int.MaxValue)] public int KeepYearly { get; set; }

    [Parameter, RetentionDurationTransformation] public RetentionDuration? KeepWithin { get; set; }
    [Parameter, RetentionDurationTransformation] public RetentionDuration? KeepWithinHourly { get; set; }
    [Parameter, RetentionDurationTransformation] public RetentionDuration? KeepWithinDaily { get; set; }
    [Parameter, RetentionDurationTransformation] public RetentionDuration? KeepWithinWeekly { get; set; }
    [Parameter, RetentionDurationTransformation] public RetentionDuration? KeepWithinMonthly { get; set; }
    [Parameter, RetentionDurationTransformation] public RetentionDuration? KeepWithinYearly { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeepTag { get; set; }

    [Parameter]
    [ValidateSet("PreRestore", "PreMigration")]
    public BackupType[]? IncludeType { get; set; }

    [Parameter]
    public SwitchParameter Utc { get; set; }

    /// <summary>Use a backup directory that users other than its owner and root can write (refused by default, like OpenSSH's StrictModes).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDirectory { get; set; }

    /// <summary>The credential for a remote location given by path; piped backups keep the one they were listed with.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long one operation on a remote location may take with its retries (0: 120 s); see StoreTimeouts.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; }

    readonly List<BackupInfo> _backups = [];

    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => BackupEvents.RotationFailed;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ObjectSet)
        {
            _backups.AddRange(InputObject);
            return;
        }
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var location in BackupDirectories(ExpandPaths(literal ? LiteralPath : Path, literal)))
        {
            string dir = Core.Storage.StoreRegistry.IsRemote(location) ? Core.Storage.StoreText.Redact(location) : location;
            try
            {
                var found = new StoreCatalog(Logger).ListLocation(location, AllowInsecureDirectory, Cancellation, StoreOptionsFrom(Credential, timeoutSec: TimeoutSec));
                if (found.Count == 0) ReportError(NoBackups(dir));
                _backups.AddRange(found);
            }
            catch (SqliteBackupException e) { ReportError(e); }
        }
    }

    protected override void EndProcessing()
    {
        var names = DatabaseFilter.From(Database)?.Select(_backups.Select(b => b.Database));
        var selected = _backups.Where(b => names == null || names.Contains(b.Database)).ToList();
        var policy = Policy();
        WriteVerbose($"Retention policy: {policy}; buckets in {(Utc ? "UTC" : "local time (" + TimeZoneInfo.Local.Id + ")")}");
        var now = DateTimeOffset.UtcNow;
        var decisions = BackupRotation.Plan(selected, policy, Utc ? TimeZoneInfo.Utc : TimeZoneInfo.Local, IncludeType, now);
        foreach (var d in decisions.OrderBy(d => d.Database, StringComparer.Ordinal).ThenByDescending(d => d.Backup.CreatedUtc))
        {
            if (d.FutureDated)
                BackupRotation.WarnFutureDated(LoggerWithBackupLog(d.Backup.Directory, AllowInsecureDirectory), d, now);
            if (d.Action == RetentionAction.Remove
                && ShouldProcess(d.Path, $"Remove {d.Type} backup of '{d.Database}' taken {d.Created:yyyy-MM-dd HH:mm:ss}{(d.Reasons.Count > 0 ? " (" + string.Join(", ", d.Reasons) + ")" : "")}"))
            {
                try { new BackupRotation(LoggerWithBackupLog(d.Backup.Directory, AllowInsecureDirectory)).Apply(d, AllowInsecureDirectory); }
                catch (SqliteBackupException e)
                {
                    Failed(e, BackupEvents.RotationFailed, d.Database);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    var error = BackupErrors.RotationRemoveFailed(d.Path, e);
                    Failed(error, BackupEvents.RotationFailed, d.Database);
                }
            }
            WriteObject(d);
        }
        PruneRepositories(decisions);
        int removed = decisions.Count(d => d.Removed);
        NotifySuccess(() => Core.Notifications.NotificationMessage.ForRotation(decisions.Count - removed, removed));
    }

    /// <summary>
    /// Once per location holding snapshots: the packs no remaining snapshot needs are deleted. When nothing was removed
    /// there (-WhatIf, or -Confirm answered no) the prune is planned as if the snapshots marked for removal were gone, and
    /// its "What if:" line says what it would free.
    /// </summary>
    void PruneRepositories(IReadOnlyList<RotationDecision> decisions)
    {
        foreach (var location in decisions.Where(d => d.Backup.Format == BackupFormat.Snapshot).GroupBy(d => d.Backup.Directory, StringComparer.Ordinal))
        {
            string where = location.First().Backup.IsRemote ? Core.Storage.StoreText.Redact(location.Key) : location.Key;
            var rotation = new BackupRotation(LoggerWithBackupLog(location.Key, AllowInsecureDirectory));
            var here = location.ToList();
            try
            {
                if (!here.Any(d => d.Removed))
                {
                    var preview = rotation.PruneRepositories(here, whatIf: true, AllowInsecureDirectory, Cancellation).Single();
                    string text = $"Prune the repository: {Freed(preview)}";
                    WriteVerbose($"{where}: {text}");
                    if (!ShouldProcess(where, text)) continue;
                }
                else if (!ShouldProcess(where, "Prune the repository (delete the packs no remaining snapshot needs)")) continue;
                var pruned = rotation.PruneRepositories(here, whatIf: false, AllowInsecureDirectory, Cancellation).Single();
                // A deferred prune has already warned (the pruner's log line): the next rotation frees the space.
                if (!pruned.Deferred) WriteVerbose($"{where}: pruned the repository: {Freed(pruned)}");
            }
            catch (SqliteBackupException e) { Failed(e, BackupEvents.RotationFailed, here[0].Database); }
        }
    }

    internal static string Freed(Core.Repository.PruneResult r)
    {
        string text = $"{r.PacksDeleted} pack(s) {(r.WhatIf ? "would be" : "were")} deleted, {ByteSize.Format(r.BytesFreed)} ({r.BytesFreed} bytes) freed";
        if (r.PacksLocked == 0) return text;
        var until = r.Locked.Max(l => l.UntilUtc);
        return text + $"; {r.PacksLocked} unreferenced pack(s) {(r.WhatIf ? "would be" : "were")} kept under Object Lock{(until is { } d ? $" until {d:yyyy-MM-dd HH:mm:ss} UTC at the latest" : "")} (a later prune deletes them)";
    }

    RetentionPolicy Policy()
    {
        var policy = new RetentionPolicy
        {
            KeepLast = KeepLast, KeepHourly = KeepHourly, KeepDaily = KeepDaily, KeepWeekly = KeepWeekly,
            KeepMonthly = KeepMonthly, KeepYearly = KeepYearly,
            KeepWithin = KeepWithin, KeepWithinHourly = KeepWithinHourly, KeepWithinDaily = KeepWithinDaily,
            KeepWithinWeekly = KeepWithinWeekly, KeepWithinMonthly = KeepWithinMonthly, KeepWithinYearly = KeepWithinYearly,
            // Each -KeepTag value is one group; 'a,b' keeps backups carrying both a and b (restic's --keep-tag a,b).
            KeepTags = KeepTag?.Select(t => (IReadOnlyList<string>)t.Split(',', StringSplitOptions.TrimEntries)).ToList() ?? [],
        };
        return policy.OrDefault();
    }

    static SqliteBackupException NoBackups(string dir)
    {
        bool hasOtherFiles = !Core.Storage.StoreRegistry.IsRemote(dir) && Directory.EnumerateFileSystemEntries(dir).Any();
        return hasOtherFiles
            ? BackupErrors.NotABackupDirectory(dir)
            : BackupErrors.NoBackupsFound(dir);
    }
}
