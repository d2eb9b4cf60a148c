using System.Management.Automation;
using SqliteBackup.Core;

namespace SqliteBackup.PowerShell;

/// <summary>Commands that act on existing backups take them from Get-SqliteBackup or by the path of the backup file.</summary>
public abstract class BackupInputCmdlet : NotifyingCmdlet
{
    private protected const string ObjectSet = "InputObject";
    private protected const string PathSet = "Path";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [ValidateNotNull]
    public BackupInfo[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>The backups this record names; a path without a valid manifest is reported and skipped.</summary>
    private protected IEnumerable<BackupInfo> Backups()
    {
        if (ParameterSetName == ObjectSet)
        {
            foreach (var b in InputObject) yield return b;
            yield break;
        }
        foreach (var p in Path)
        {
            BackupInfo? b = null;
            try { b = new BackupCatalog(Logger).Open(ResolvePath(p)); }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
            if (b != null) yield return b;
        }
    }
}
