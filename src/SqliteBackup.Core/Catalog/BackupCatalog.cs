using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Trust;

namespace SqliteBackup.Core.Catalog;

/// <summary>
/// The backups in a local directory. A backup exists when '&lt;file&gt;.manifest.json' parses and passes the trust check
/// (<see cref="Vet"/>); everything else (temporaries, files whose manifest was never written, files someone else put
/// there) is invisible here. Every command that reads, tests, restores or deletes a backup goes through this check.
/// </summary>
public sealed class BackupCatalog(ILogger? logger = null)
{
    /// <summary>A data file without a manifest younger than this may be a backup still being verified.</summary>
    static readonly TimeSpan OrphanGrace = TimeSpan.FromHours(1);

    readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>Use a directory that users other than its owner and root can write (see <see cref="DirectoryTrust"/>).</summary>
    public bool AllowInsecureDirectory { get; init; }

    /// <summary>Backups in <paramref name="directory"/>, oldest first. Unreadable or untrusted manifests are skipped with a warning.</summary>
    public IReadOnlyList<BackupInfo> List(string directory)
    {
        directory = Path.GetFullPath(directory);
        if (File.Exists(directory)) throw BackupErrors.BackupPathIsFile(directory, SqliteFiles.HasSqliteHeader(directory));
        if (!Directory.Exists(directory)) throw BackupErrors.BackupDirectoryNotFound(directory);
        DirectoryTrust.Demand(directory, AllowInsecureDirectory);
        var owners = TrustedOwners.For(directory);
        var list = new List<BackupInfo>();
        foreach (var manifestPath in Directory.EnumerateFiles(directory, "*" + BackupManifest.Suffix))
        {
            if (Path.GetFileName(manifestPath).StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal)) continue;
            var info = Load(manifestPath, owners, out string? problem, out _);
            if (info == null)
            {
                _log.LogWarning("Ignoring {Manifest}: {Problem}", manifestPath, problem);
                continue;
            }
            list.Add(info);
        }
        list.Sort((a, b) => a.CreatedUtc != b.CreatedUtc ? a.CreatedUtc.CompareTo(b.CreatedUtc) : string.CompareOrdinal(a.Id, b.Id));
        return list;
    }

    /// <summary>One backup given the path of its file or of its manifest.</summary>
    public BackupInfo Open(string path)
    {
        path = Path.GetFullPath(path);
        string manifestPath = path.EndsWith(BackupManifest.Suffix, StringComparison.OrdinalIgnoreCase) ? path : BackupManifest.PathFor(path);
        string directory = Path.GetDirectoryName(manifestPath)!;
        if (Directory.Exists(path)) throw BackupErrors.BackupPathIsDirectory(path);
        if (!Directory.Exists(directory)) throw BackupErrors.BackupNotFound(path);
        DirectoryTrust.Demand(directory, AllowInsecureDirectory);
        var info = Load(manifestPath, TrustedOwners.For(directory), out string? problem, out bool untrusted);
        if (info != null) return info;
        if (untrusted) throw BackupErrors.UntrustedBackupFile(manifestPath, problem!);
        if (File.Exists(path) && !BackupNaming.IsBackupFileName(Path.GetFileName(path)) && SqliteFiles.HasSqliteHeader(path)) throw BackupErrors.BackupPathIsDatabase(path);
        throw BackupErrors.BackupNotFound(path);
    }

    /// <summary>
    /// The same backup as read from disk now, after the same check <see cref="List"/> applies. For objects that came
    /// through a pipeline or were built by hand: what is deleted or restored is never decided by an object in memory.
    /// </summary>
    public BackupInfo Check(BackupInfo backup)
    {
        var fresh = Open(backup.ManifestPath);
        if (!string.Equals(fresh.Path, backup.Path, StringComparison.Ordinal))
            throw BackupErrors.UntrustedBackupFile(backup.ManifestPath, $"the backup given names '{backup.Manifest.File}', its manifest on disk names '{fresh.Manifest.File}'");
        return fresh;
    }

    /// <summary>Parses without following a symlink; null with the reason for anything that is not one of our manifests.</summary>
    public static BackupManifest? ReadManifest(string manifestPath, out string? problem)
    {
        try { return ReadManifestOrRefuse(manifestPath, out problem, out _); }
        catch (SqliteBackupException e)
        {
            problem = e.Message;
            return null;
        }
    }

    BackupInfo? Load(string manifestPath, TrustedOwners owners, out string? problem, out bool untrusted)
    {
        untrusted = false;
        BackupManifest? m;
        FileStatus? status = null;
        try { m = ReadManifestOrRefuse(manifestPath, out problem, out status); }
        catch (SqliteBackupException e)
        {
            untrusted = true;
            problem = e.Message;
            return null;
        }
        if (m == null) return null;
        problem = Vet(manifestPath, m, status, owners);
        untrusted = problem != null;
        return problem == null ? new BackupInfo(m, manifestPath) : null;
    }

    static BackupManifest? ReadManifestOrRefuse(string manifestPath, out string? problem, out FileStatus? status)
    {
        byte[] bytes;
        status = null;
        try { bytes = NoFollowFile.ReadAllBytes(manifestPath, out status); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
        return BackupManifest.TryParse(bytes, out problem);
    }

    /// <summary>
    /// The one trust check for a manifest: its own name is '&lt;data&gt;.manifest.json' with &lt;data&gt; in our naming
    /// pattern, it names exactly that data file, and both it and the data file (when present) are regular files, not
    /// symlinks, owned by root, the directory's owner or the current user. Null when the manifest may be believed.
    /// </summary>
    static string? Vet(string manifestPath, BackupManifest m, FileStatus? manifestStatus, TrustedOwners owners)
    {
        string name = Path.GetFileName(manifestPath);
        if (!name.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal)) return "its name does not end in " + BackupManifest.Suffix;
        string dataName = name[..^BackupManifest.Suffix.Length];
        if (!string.Equals(m.File, dataName, StringComparison.Ordinal)) return $"it names '{m.File}', not its own backup file '{dataName}'";
        if (!BackupNaming.IsBackupFileName(dataName))
            return $"'{dataName}' is not a backup file name (<database>_<yyyyMMdd-HHmmss>_<type>_<id8>.db[.zst|.gz])";
        if (!owners.Trusts(manifestStatus)) return $"it is owned by {Owner(manifestStatus!.Value)}, neither root, the directory's owner nor you";
        string dataPath = Path.Combine(Path.GetDirectoryName(manifestPath)!, dataName);
        if (Posix.Supported)
        {
            if (Posix.Lstat(dataPath) is { } ds)
            {
                if (ds.IsSymlink) return $"its backup file '{dataName}' is a symbolic link";
                if (!ds.IsRegular) return $"its backup file '{dataName}' is not a regular file";
                if (!owners.Trusts(ds)) return $"its backup file '{dataName}' is owned by {Owner(ds)}, neither root, the directory's owner nor you";
            }
        }
        else if (new FileInfo(dataPath) is { Exists: true, LinkTarget: not null }) return $"its backup file '{dataName}' is a symbolic link";
        return null;
    }

    static string Owner(FileStatus s) => $"uid {s.Uid}";

    /// <summary>
    /// Deletes the manifest first: from that instant the backup no longer exists, and an interruption before the data
    /// file goes leaves only an orphan that is reported. What is deleted is re-read and re-checked from disk first.
    /// </summary>
    public void Remove(BackupInfo backup, string? reason = null, EventId? eventId = null)
    {
        var checkedBackup = Check(backup);
        File.Delete(checkedBackup.ManifestPath);
        File.Delete(checkedBackup.Path);
        _log.LogInformation(eventId ?? BackupEvents.BackupRemoved, "Removed {Type} backup {Id} of {Database} taken {Created:u}: {Path}{Reason}",
            backup.Type, backup.Id, backup.Database, backup.CreatedUtc, backup.Path, reason == null ? "" : $" ({reason})");
    }

    /// <summary>
    /// Removes temporaries of dead writers (our temporary-file pattern only). A backup-named file without a manifest is
    /// an orphan: reported, never deleted; Get-SqliteBackup -IncludeOrphans lists it and Test-SqliteBackup registers it.
    /// </summary>
    public static int CleanStale(string directory, ILogger? log = null)
    {
        if (!Directory.Exists(directory)) return 0;
        var now = DateTime.UtcNow;
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(file);
            if (name.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal))
            {
                if (!AtomicFile.IsStaleTemp(file, now)) continue;
                AtomicFile.TryDelete(file);
                if (!File.Exists(file))
                {
                    removed++;
                    log?.LogInformation("Removed stale file {File}", file);
                }
            }
            else if (IsOrphan(file, now))
                log?.LogWarning("{File} is a backup file without a manifest (an orphan); it was kept. List it with Get-SqliteBackup -IncludeOrphans; Test-SqliteBackup -VerificationLevel Standard registers it again if it passes.", file);
        }
        return removed;
    }

    /// <summary>Backup-named files without a manifest, past the grace period of a backup still being verified.</summary>
    public IReadOnlyList<BackupInfo> ListOrphans(string directory)
    {
        directory = Path.GetFullPath(directory);
        if (!Directory.Exists(directory)) throw BackupErrors.BackupDirectoryNotFound(directory);
        DirectoryTrust.Demand(directory, AllowInsecureDirectory);
        var owners = TrustedOwners.For(directory);
        var now = DateTime.UtcNow;
        var list = new List<BackupInfo>();
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (!IsOrphan(file, now) || !BackupNaming.TryParse(Path.GetFileName(file), out var n)) continue;
            var st = Posix.Supported ? Posix.Lstat(file) : null;
            if (st is { } s && (!s.IsRegular || !owners.Trusts(s)))
            {
                _log.LogWarning("Ignoring orphan {File}: not a regular file owned by root, the directory's owner or you", file);
                continue;
            }
            var m = new BackupManifest
            {
                Id = n.Id8, File = Path.GetFileName(file), Database = n.Database, CreatedUtc = n.CreatedUtc, Type = n.Type,
                Compression = n.Compression, StoredSize = new FileInfo(file).Length,
            };
            list.Add(new BackupInfo(m, BackupManifest.PathFor(file), isOrphan: true));
        }
        list.Sort((a, b) => a.CreatedUtc.CompareTo(b.CreatedUtc));
        return list;
    }

    static bool IsOrphan(string file, DateTime utcNow)
    {
        string name = Path.GetFileName(file);
        // Only names in our pattern (db_yyyyMMdd-HHmmss_type_id8.db...), so a user's own files in the folder are never considered.
        if (!BackupNaming.IsBackupFileName(name)) return false;
        string manifest = BackupManifest.PathFor(file);
        if (Posix.Supported ? Posix.Lstat(manifest) != null : File.Exists(manifest)) return false;
        return utcNow - File.GetLastWriteTimeUtc(file) > OrphanGrace;
    }
}
