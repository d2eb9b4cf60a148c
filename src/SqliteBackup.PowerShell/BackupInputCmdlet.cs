using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;

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

    /// <summary>Use a backup directory that users other than its owner and root can write (refused by default, like OpenSSH's StrictModes).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDirectory { get; set; }

    private protected BackupCatalog Catalog() => new(Logger) { AllowInsecureDirectory = AllowInsecureDirectory };

    /// <summary>
    /// The backups this record names, each re-read and checked by the catalogue (an object from a pipeline is never
    /// trusted as it is); a path without a valid manifest is reported and skipped, unless it is an orphan.
    /// </summary>
    private protected IEnumerable<BackupInfo> Backups()
    {
        var catalog = Catalog();
        if (ParameterSetName == ObjectSet)
        {
            foreach (var given in InputObject)
            {
                BackupInfo? b = null;
                try { b = given.IsOrphan ? given : given.IsRemote ? new StoreCatalog(Logger).Check(given, Cancellation) : catalog.Check(given); }
                catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
                if (b != null) yield return b;
            }
            yield break;
        }
        foreach (var p in Path)
        {
            BackupInfo? b = null;
            string path = ResolvePath(p);
            try { b = catalog.Open(path); }
            catch (SqliteBackupException e) when (e.ErrorId == "BackupNotFound" && FindOrphan(catalog, path) is { } orphan) { b = orphan; }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
            if (b != null) yield return b;
        }
    }

    static BackupInfo? FindOrphan(BackupCatalog catalog, string path)
    {
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (dir == null || !Directory.Exists(dir)) return null;
        try { return catalog.ListOrphans(dir).FirstOrDefault(o => o.Path == path); }
        catch (SqliteBackupException) { return null; }
    }

    private protected static SqliteBackupException OrphanNeedsRegistration(BackupInfo b) => BackupErrors.OrphanNotRegistered(b.Path,
        "it has no manifest, so nothing vouches for its contents. Register it first: Test-SqliteBackup -VerificationLevel Standard (or delete the file yourself).");
}
