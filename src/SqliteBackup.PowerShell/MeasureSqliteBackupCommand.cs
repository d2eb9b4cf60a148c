using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsDiagnostic.Measure, "SqliteBackup", DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(BackupStatistics))]
public sealed class MeasureSqliteBackupCommand : SqliteBackupCmdlet
{
    const string PathSet = "Path";
    const string ObjectSet = "InputObject";

    [Parameter(Position = 0, ParameterSetName = PathSet)]
    [Alias("BackupPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = ["backups"];

    /// <summary>Not mandatory: without either parameter the command measures ./backups, as before.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = ["backups"];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [ValidateNotNull]
    public BackupInfo[] InputObject { get; set; } = [];

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

    readonly List<BackupInfo> _backups = [];
    readonly HashSet<string> _directories = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ObjectSet)
        {
            _backups.AddRange(InputObject);
            foreach (var b in InputObject) _directories.Add(b.Directory);
            return;
        }
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var dir in BackupDirectories(ExpandPaths(literal ? LiteralPath : Path, literal)))
        {
            try { _backups.AddRange(new StoreCatalog(Logger).ListLocation(dir, AllowInsecureDirectory, Cancellation, StoreOptionsFrom(Credential, timeoutSec: TimeoutSec))); _directories.Add(dir); }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
        }
    }

    protected override void EndProcessing()
    {
        var unique = _backups.DistinctBy(b => b.Id).ToList();
        // Failures come from the backup logs of the directories measured.
        var log = _directories.Where(d => !Core.Storage.StoreRegistry.IsRemote(d)).Select(d => System.IO.Path.Combine(d, JsonLinesLog.DefaultFileName)).Where(File.Exists)
            .SelectMany(f => new JsonLinesLog(f).Read()).ToList();
        // Piped backups are a selection: another database's failures in the same log are not theirs.
        var databases = ParameterSetName == ObjectSet ? unique.Select(b => b.Database).ToHashSet(StringComparer.Ordinal) : null;
        WriteObject(BackupStatistics.Compute(unique, log, DateTime.UtcNow, databases, RepositoryUsage.MeasureAll(unique, e => WriteError(ErrorRecords.From(e)), Cancellation)));
    }
}
