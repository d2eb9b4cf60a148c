using System.Management.Automation;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.PowerShell;

// ConfirmImpact Medium: creating a new file does not prompt; replacing an existing database asks on its own (see Consent).
[Cmdlet(VerbsData.Restore, "SqliteBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreSqliteBackupCommand : KeyedBackupInputCmdlet
{
    /// <summary>The database file to restore into; exactly one backup may be given for it. Either this or -ToSourcePath.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary>Restore each backup to the database it was taken from (its manifest's SourcePath). Either this or -Destination.</summary>
    [Parameter]
    public SwitchParameter ToSourcePath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Restore into the file a symlink at -Destination points to (the link is kept). Without it such a link is refused.</summary>
    [Parameter]
    public SwitchParameter FollowSymlink { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int BusyTimeoutSec { get; set; } = 30;

    /// <summary>Where the PreRestore backup of a replaced database goes (default: the restored backup's directory).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PreRestorePath { get; set; }

    /// <summary>Replace an existing database without taking a PreRestore backup of it first.</summary>
    [Parameter]
    public SwitchParameter NoPreRestoreBackup { get; set; }

    readonly List<BackupInfo> _backups = [];

    protected override void BeginProcessing()
    {
        if ((Destination == null) == !ToSourcePath) Fail(BackupErrors.RestoreTargetAmbiguous());
        if (PreRestorePath != null && NoPreRestoreBackup) Fail(BackupErrors.PreRestoreOptionsConflict());
        base.BeginProcessing();
    }

    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => BackupEvents.RestoreFailed;

    // Everything is collected first: several backups for one target are refused before any of them is restored.
    protected override void ProcessRecord()
    {
        foreach (var b in Backups())
        {
            if (b.IsOrphan) ReportError(OrphanNeedsRegistration(b));
            else _backups.Add(b);
        }
    }

    protected override void EndProcessing()
    {
        var byTarget = _backups.GroupBy(b => ResolvePath(Destination ?? b.SourcePath), StringComparer.Ordinal).ToList();
        var clashes = byTarget.Where(g => g.Count() > 1).ToList();
        foreach (var g in clashes)
            ReportError(BackupErrors.RestoreSeveralBackupsForOneTarget(g.Key, g.Select(b => $"{b.Database} {b.Id[..8]} of {b.Created:yyyy-MM-dd HH:mm:ss}")));
        if (clashes.Count > 0) return;
        foreach (var g in byTarget) RestoreOne(g.Single(), g.Key);
    }

    void RestoreOne(BackupInfo b, string target)
    {
        bool exists = File.Exists(target);
        string what = $"backup of {b.Database} taken {b.Created:yyyy-MM-dd HH:mm:ss} ({b.Id[..8]})";
        string action = exists
            ? $"Replace the database with the {what}" + (NoPreRestoreBackup ? " (no PreRestore backup: -NoPreRestoreBackup)" : " (a PreRestore backup is taken first)")
            : $"Create the database from the {what}";
        var now = DateTimeOffset.UtcNow;
        if (FutureDated.Is(new DateTimeOffset(b.CreatedUtc), now))
            WriteWarning(FutureDated.Warning(b.Path, b.Database, new DateTimeOffset(b.CreatedUtc), now,
                "Its date says nothing about how fresh it is: check with Get-SqliteBackup that it is the backup you mean to restore."));
        if (!ShouldProcess(target, action)) return;
        if (exists && !Force && !Consent(target, what))
        {
            Failed(BackupErrors.RestoreTargetExists(target), BackupEvents.RestoreFailed, b.Database);
            return;
        }
        // A remote backup is decompressed beside the target (the same disk), and the PreRestore backup of the database it
        // replaces stays on this machine: in -PreRestorePath, or in 'backups' beside the target, where New-SqliteBackup puts it.
        string targetDir = System.IO.Path.GetDirectoryName(target)!;
        var request = new RestoreRequest(target)
        {
            Force = true, FollowSymlink = FollowSymlink, AllowInsecureDirectory = AllowInsecureDirectory, BusyTimeout = TimeSpan.FromSeconds(BusyTimeoutSec),
            PreRestoreDirectory = PreRestorePath != null ? ResolvePath(PreRestorePath) : b.IsRemote ? System.IO.Path.Combine(targetDir, "backups") : null,
            NoPreRestoreBackup = NoPreRestoreBackup,
        };
        try { request = request with { Keys = ReadGivenKeys() }; }
        catch (SqliteBackupException e)
        {
            Failed(e, BackupEvents.RestoreFailed, b.Database);
            return;
        }
        var logger = LoggerWithBackupLog(b.Directory, AllowInsecureDirectory);
        try
        {
            // A remote backup is read once, as a stream, and decompressed beside the target (the same disk).
            using var store = b.IsRemote ? b.OpenStore() : null;
            var restored = store != null
                ? new Restorer(logger).Restore(b, store, request, Progress, Cancellation)
                : new Restorer(logger).Restore(b, request, Progress, Cancellation);
            WriteObject(restored);
            NotifySuccess(() => Core.Notifications.NotificationMessage.ForRestore(b, target), logger);
        }
        catch (SqliteBackupException e)
        {
            Failed(e, BackupEvents.RestoreFailed, b.Database, logger);
        }
    }

    /// <summary>
    /// Replacing a database without -Force asks, as ConfirmImpact High would. -Confirm (already answered through
    /// ShouldProcess) and -Confirm:$false (a script that says not to ask) both count as consent; a declined prompt or a
    /// host that cannot ask (-NonInteractive) means no.
    /// </summary>
    bool Consent(string target, string what)
    {
        if (MyInvocation.BoundParameters.ContainsKey("Confirm")) return true;
        try
        {
            return ShouldContinue($"'{target}' exists. Replace it with the {what}?" + (NoPreRestoreBackup ? "" : " A PreRestore backup of it is taken first."), "Replace an existing database");
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException) { return false; }
    }
}
