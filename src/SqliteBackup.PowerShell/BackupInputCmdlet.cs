using System.Management.Automation;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;

namespace SqliteBackup.PowerShell;

/// <summary>Commands that act on existing backups take them from Get-SqliteBackup or by the path of the backup file.</summary>
public abstract class BackupInputCmdlet : NotifyingCmdlet
{
    private protected const string ObjectSet = "InputObject";
    private protected const string PathSet = "Path";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [ValidateNotNull]
    public virtual BackupInfo[] InputObject { get; set; } = [];

    /// <summary>Whether this record's backups are the objects given (InputObject) rather than paths.</summary>
    private protected virtual bool FromObjects => ParameterSetName == ObjectSet;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Use a backup directory that users other than its owner and root can write (refused by default, like OpenSSH's StrictModes).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDirectory { get; set; }

    /// <summary>
    /// The credential for remote backups (S3: access key id as the user name, secret access key as the password). Piped
    /// backups keep the credential they were listed with (in memory only); this one, when given, replaces it.
    /// </summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long one operation on a remote location may take with its retries (0: 120 s); see StoreTimeouts.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; }

    /// <summary>How to reach a piped remote backup's store when not as it was listed; Copy-SqliteBackup's -Credential is its destination's.</summary>
    private protected virtual Core.Storage.StoreOptions? SourceOptions => Credential == null ? null : StoreOptionsFrom(Credential, timeoutSec: TimeoutSec);

    private protected BackupCatalog Catalog() => new(Logger) { AllowInsecureDirectory = AllowInsecureDirectory };

    /// <summary>
    /// The backups this record names, each re-read and checked by the catalogue (an object from a pipeline is never
    /// trusted as it is); a path without a valid manifest is reported and skipped, unless it is an orphan.
    /// </summary>
    private protected IEnumerable<BackupInfo> Backups()
    {
        var catalog = Catalog();
        if (FromObjects)
        {
            foreach (var given in InputObject)
            {
                BackupInfo? b = null;
                try { b = given.IsOrphan ? given : given.IsRemote ? new StoreCatalog(Logger).Check(given, Cancellation, SourceOptions) : catalog.Check(given); }
                catch (SqliteBackupException e) { ReportError(e); }
                if (b != null) yield return b;
            }
            yield break;
        }
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in ExpandPaths(literal ? LiteralPath : Path, literal))
        {
            string path = input.Path;
            if ((input.Matched || MyInvocation.ExpectingInput) && !IsBackupFile(path)) continue;
            BackupInfo? b = null;
            try { b = catalog.Open(path); }
            catch (SqliteBackupException e) when (e.ErrorId == "BackupNotFound" && FindOrphan(catalog, path) is { } orphan) { b = orphan; }
            catch (SqliteBackupException e) { ReportError(e); }
            if (b != null) yield return b;
        }
    }

    readonly HashSet<string> _listed = new(StringComparer.Ordinal);

    /// <summary>
    /// Of the files a wildcard matched (backups/app_2024*) or a listing piped in (Get-ChildItem ./backups), each backup
    /// once, by its data file or its manifest; the backup log, temporaries, folders and other files are passed over
    /// with a verbose line.
    /// </summary>
    bool IsBackupFile(string path)
    {
        string name = System.IO.Path.GetFileName(path);
        string data = name.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal) ? path[..^BackupManifest.Suffix.Length] : path;
        // A snapshot has only its manifest on disk (its blocks live in the repository's packs).
        bool named = BackupNaming.IsBackupFileName(System.IO.Path.GetFileName(data)) || (data != path && BackupNaming.TryParseSnapshot(System.IO.Path.GetFileName(data), out _));
        if (File.Exists(path) && named) return _listed.Add(data);
        WriteVerbose($"Passing over '{path}': it is not a backup file.");
        return false;
    }

    static BackupInfo? FindOrphan(BackupCatalog catalog, string path)
    {
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (dir == null) return null;
        try { return catalog.ListOrphans(dir).FirstOrDefault(o => o.Path == path); }
        catch (SqliteBackupException) { return null; }
    }

    private protected static SqliteBackupException OrphanNeedsRegistration(BackupInfo b) => b.IsRemote ? BackupErrors.RemoteOrphanNotRegistered(b.Path) : BackupErrors.OrphanNotRegistered(b.Path,
        "it has no manifest, so nothing vouches for its contents. Register it first: Test-SqliteBackup -VerificationLevel Standard (or delete the file yourself).");
}
