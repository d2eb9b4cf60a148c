using System.Management.Automation;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Format;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Get, "SqliteBackup", DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(BackupInfo))]
public sealed class GetSqliteBackupCommand : SqliteBackupCmdlet
{
    const string PathSet = "Path";

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "BackupPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = ["backups"];

    /// <summary>Not mandatory: without either parameter the command reads ./backups, as before.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = ["backups"];

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Database { get; set; }

    [Parameter]
    public BackupType[]? Type { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Latest { get; set; }

    [Parameter]
    public DateTime Since { get; set; }

    /// <summary>Also list backup-named files whose manifest is gone (IsOrphan = True); Test-SqliteBackup registers a local one that passes, Remove-SqliteBackup removes a remote one.</summary>
    [Parameter]
    public SwitchParameter IncludeOrphans { get; set; }

    /// <summary>Use a backup directory that users other than its owner and root can write (refused by default, like OpenSSH's StrictModes).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDirectory { get; set; }

    /// <summary>The credential for a remote location (S3: access key id as the user name, secret access key as the password); without it, the environment's.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>
    /// The newest backups of each database by date, where a backup dated in the future (a wrong clock) ranks after every
    /// backup dated up to now: its date says nothing about how fresh it is, and '-Latest 1 | Restore-SqliteBackup' must not
    /// pick it silently. Each one passed over or picked is named in a warning.
    /// </summary>
    IEnumerable<BackupInfo> LatestOfEach(List<BackupInfo> backups)
    {
        var now = DateTimeOffset.UtcNow;
        bool Future(BackupInfo b) => FutureDated.Is(new DateTimeOffset(b.CreatedUtc), now);
        var picked = new List<BackupInfo>();
        foreach (var g in backups.GroupBy(b => b.Database, StringComparer.OrdinalIgnoreCase))
        {
            var ranked = g.OrderBy(Future).ThenByDescending(b => b.CreatedUtc).ToList();
            for (int i = 0; i < ranked.Count; i++)
            {
                if (!Future(ranked[i])) { if (i < Latest) picked.Add(ranked[i]); continue; }
                WriteWarning(FutureDated.Warning(ranked[i].Path, ranked[i].Database, new DateTimeOffset(ranked[i].CreatedUtc), now, i < Latest
                    ? "-Latest picked it only because fewer backups of that database are dated up to now; it may not be the newest."
                    : "-Latest passed it over for the newest backups dated up to now; list it without -Latest."));
                if (i < Latest) picked.Add(ranked[i]);
            }
        }
        return picked.OrderBy(b => b.CreatedUtc);
    }

    /// <summary>What each folder (or store) holds, listed in order, and after them the backups named by their files.</summary>
    readonly List<(IReadOnlyList<BackupInfo> All, IReadOnlyList<BackupInfo> Orphans)> _found = [];
    readonly List<BackupInfo> _matchedFiles = [];

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        var catalog = new BackupCatalog(Logger) { AllowInsecureDirectory = AllowInsecureDirectory };
        foreach (var input in ExpandPaths(literal ? LiteralPath : Path, literal))
        {
            // A file a wildcard matched or a listing piped in (Get-ChildItem ./backups) names at most one backup; a file
            // named on the command line is still reported as no backup directory.
            if ((input.Matched || MyInvocation.ExpectingInput) && File.Exists(input.Path))
            {
                if (MatchedBackup(catalog, input.Path) is { } b && !_matchedFiles.Any(m => m.Id == b.Id)) _matchedFiles.Add(b);
                continue;
            }
            string dir = input.Remote ? StoreText.Redact(input.Path) : input.Path;
            IReadOnlyList<BackupInfo> all;
            IReadOnlyList<BackupInfo> orphans = [];
            try
            {
                if (input.Remote) (all, orphans) = new StoreCatalog(Logger).ListRemoteWithOrphans(input.Path, Cancellation, StoreOptionsFrom(Credential));
                else
                {
                    all = new StoreCatalog(Logger).ListLocation(input.Path, AllowInsecureDirectory, Cancellation);
                    orphans = catalog.ListOrphans(dir);
                }
            }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); continue; }
            if (orphans.Count > 0 && !IncludeOrphans)
                WriteWarning(input.Remote ? StoreCatalog.OrphanWarning(dir, orphans)
                    : $"'{dir}' holds {orphans.Count} backup file(s) without a manifest (orphans), kept but not listed. See them with -IncludeOrphans; Test-SqliteBackup -VerificationLevel Standard registers one that passes.");
            _found.Add((all, IncludeOrphans ? orphans : []));
        }
    }

    /// <summary>
    /// Output waits for every input: -Database is decided once, over every database the command saw, so a value that is
    /// a pattern in one folder is a pattern in all of them (and a literal name only when it matches nothing anywhere).
    /// </summary>
    protected override void EndProcessing()
    {
        if (_matchedFiles.Count > 0) _found.Add((_matchedFiles, []));
        var names = DatabaseFilter.From(Database)?.Select(_found.SelectMany(f => f.All.Concat(f.Orphans)).Select(b => b.Database));
        foreach (var (all, orphans) in _found) Output(all, orphans, names);
    }

    /// <summary>A file a wildcard matched (backups/app_2024*) or piped in: the backup it is the data file or manifest of; anything else is passed over.</summary>
    BackupInfo? MatchedBackup(BackupCatalog catalog, string path)
    {
        string name = System.IO.Path.GetFileName(path);
        bool manifest = name.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal);
        if (manifest || BackupNaming.IsBackupFileName(name))
        {
            try { return catalog.Open(path); }
            // A data file without a manifest is passed over here (an orphan: see -IncludeOrphans), as any other file.
            catch (SqliteBackupException e) when (!manifest && e.ErrorId == "BackupNotFound") { }
            catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); return null; }
        }
        WriteVerbose($"Passing over '{path}': it is not a backup with a manifest.");
        return null;
    }

    void Output(IReadOnlyList<BackupInfo> all, IReadOnlyList<BackupInfo> orphans, HashSet<string>? names)
    {
        DateTime? sinceUtc = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Since.ToUniversalTime() : null;
        IEnumerable<BackupInfo> selected = all.Where(b =>
            (names == null || names.Contains(b.Database))
            && (Type == null || Type.Contains(b.Type))
            && (sinceUtc == null || b.CreatedUtc >= sinceUtc));
        if (Latest > 0) selected = LatestOfEach(selected.ToList());
        foreach (var b in selected) WriteObject(b);
        foreach (var o in orphans.Where(b => (names == null || names.Contains(b.Database)) && (Type == null || Type.Contains(b.Type))))
            WriteObject(o);
    }
}
