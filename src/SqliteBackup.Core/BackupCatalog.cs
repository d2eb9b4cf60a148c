using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core;

/// <summary>
/// The backups in a local directory. A backup exists when '&lt;file&gt;.manifest.json' parses; everything
/// else (temporaries, files whose manifest was never written) is invisible here and cleaned up later.
/// </summary>
public sealed class BackupCatalog(ILogger? logger = null)
{
    /// <summary>A data file without a manifest younger than this may be a backup still being verified.</summary>
    static readonly TimeSpan OrphanGrace = TimeSpan.FromHours(1);

    readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>Backups in <paramref name="directory"/>, oldest first. Unreadable manifests are skipped with a warning.</summary>
    public IReadOnlyList<BackupInfo> List(string directory)
    {
        directory = Path.GetFullPath(directory);
        if (File.Exists(directory)) throw BackupErrors.BackupPathIsFile(directory, SqliteFiles.HasSqliteHeader(directory));
        if (!Directory.Exists(directory)) throw BackupErrors.BackupDirectoryNotFound(directory);
        var list = new List<BackupInfo>();
        foreach (var manifestPath in Directory.EnumerateFiles(directory, "*" + BackupManifest.Suffix))
        {
            if (Path.GetFileName(manifestPath).StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal)) continue;
            var m = ReadManifest(manifestPath, out string? problem);
            if (m == null)
            {
                _log.LogWarning("Ignoring {Manifest}: {Problem}", manifestPath, problem);
                continue;
            }
            // The manifest must describe the file it sits beside; a renamed pair would otherwise point elsewhere.
            if (BackupManifest.PathFor(m.File) != Path.GetFileName(manifestPath))
            {
                _log.LogWarning("Ignoring {Manifest}: it describes '{File}', not the file beside it", manifestPath, m.File);
                continue;
            }
            list.Add(new BackupInfo(m, manifestPath));
        }
        list.Sort((a, b) => a.CreatedUtc != b.CreatedUtc ? a.CreatedUtc.CompareTo(b.CreatedUtc) : string.CompareOrdinal(a.Id, b.Id));
        return list;
    }

    /// <summary>One backup given the path of its file or of its manifest.</summary>
    public BackupInfo Open(string path)
    {
        path = Path.GetFullPath(path);
        string manifestPath = path.EndsWith(BackupManifest.Suffix, StringComparison.OrdinalIgnoreCase) ? path : BackupManifest.PathFor(path);
        var m = File.Exists(manifestPath) ? ReadManifest(manifestPath, out _) : null;
        if (m == null)
        {
            if (Directory.Exists(path)) throw BackupErrors.BackupPathIsDirectory(path);
            if (File.Exists(path) && !BackupNaming.IsBackupFileName(Path.GetFileName(path)) && SqliteFiles.HasSqliteHeader(path)) throw BackupErrors.BackupPathIsDatabase(path);
            throw BackupErrors.BackupNotFound(path);
        }
        return new BackupInfo(m, manifestPath);
    }

    public static BackupManifest? ReadManifest(string manifestPath, out string? problem)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(manifestPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
        return BackupManifest.TryParse(bytes, out problem);
    }

    /// <summary>
    /// Deletes the manifest first: from that instant the backup no longer exists, and an interruption
    /// before the data file goes leaves only an orphan that <see cref="CleanStale"/> removes.
    /// </summary>
    public void Remove(BackupInfo backup, string? reason = null, EventId? eventId = null)
    {
        File.Delete(backup.ManifestPath);
        File.Delete(backup.Path);
        _log.LogInformation(eventId ?? BackupEvents.BackupRemoved, "Removed {Type} backup {Id} of {Database} taken {Created:u}: {Path}{Reason}",
            backup.Type, backup.Id, backup.Database, backup.CreatedUtc, backup.Path, reason == null ? "" : $" ({reason})");
    }

    /// <summary>Removes temporaries of dead writers and data files whose manifest never appeared.</summary>
    public static int CleanStale(string directory, ILogger? log = null)
    {
        if (!Directory.Exists(directory)) return 0;
        var now = DateTime.UtcNow;
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(file);
            bool stale = name.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal)
                ? AtomicFile.IsStaleTemp(file, now)
                : IsOrphanBackupFile(file, now);
            if (!stale) continue;
            AtomicFile.TryDelete(file);
            if (!File.Exists(file))
            {
                removed++;
                log?.LogInformation("Removed stale file {File}", file);
            }
        }
        return removed;
    }

    static bool IsOrphanBackupFile(string file, DateTime utcNow)
    {
        string name = Path.GetFileName(file);
        if (name.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal)) return false;
        bool looksOurs = name.EndsWith(".db", StringComparison.Ordinal) || name.EndsWith(".db.zst", StringComparison.Ordinal) || name.EndsWith(".db.gz", StringComparison.Ordinal);
        // Only names in our pattern (db_yyyyMMdd-HHmmss_type_id8.db...), so a user's own files in the folder are never touched.
        if (!looksOurs || !System.Text.RegularExpressions.Regex.IsMatch(name, @"_\d{8}-\d{6}_[a-z]+_[0-9a-f]{8}\.db(\.zst|\.gz)?$")) return false;
        if (File.Exists(BackupManifest.PathFor(file))) return false;
        return utcNow - File.GetLastWriteTimeUtc(file) > OrphanGrace;
    }
}
