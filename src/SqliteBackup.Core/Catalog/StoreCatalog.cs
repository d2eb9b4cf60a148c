using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Catalog;

/// <summary>
/// The backups in any store, a local directory among them, by one rule: a backup exists when its manifest parses, is
/// named '&lt;data&gt;.manifest.json' for a data name in our pattern, names exactly that data object, and the data object
/// is there. A manifest whose data object is gone is reported (a backup that cannot be restored), not silently skipped.
/// On a file system (<see cref="IFileSystemStore"/>) the manifest and the data file must also be regular files, not
/// symlinks, owned by root, the directory's owner or the current user; and a manifest whose data file is gone stays
/// listed, as a backup directory always has, so that verification reports it and rotation can remove it.
/// </summary>
public sealed class StoreCatalog(ILogger? logger = null)
{
    const int MaxManifestBytes = 16 << 20;
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public IReadOnlyList<BackupInfo> List(IBackupStore store, CancellationToken ct = default) => List(store, null, ct);

    /// <param name="access">How <paramref name="store"/> was reached; the backups keep it for what acts on them next.</param>
    /// <remarks>
    /// Orphans at a remote location are not listed, but named in a warning (never deleted: someone may need the bytes);
    /// a local directory's are named by the backup run's cleanup and Get-SqliteBackup instead, as they always were.
    /// </remarks>
    public IReadOnlyList<BackupInfo> List(IBackupStore store, StoreAccess? access, CancellationToken ct = default)
    {
        var (list, orphans) = ListWithOrphans(store, access, ct);
        if (orphans.Count > 0 && store is not IFileSystemStore) _log.LogWarning("{Warning}", OrphanWarning(store.Location, orphans));
        return list;
    }

    /// <summary>
    /// The backups at a location and, apart, its orphans: data objects in our naming pattern without a manifest, last
    /// written longer ago than <see cref="OrphanGrace"/>. What the caller says about the orphans is up to it.
    /// </summary>
    public (IReadOnlyList<BackupInfo> Backups, IReadOnlyList<BackupInfo> Orphans) ListWithOrphans(IBackupStore store, StoreAccess? access, CancellationToken ct = default)
    {
        var objects = store.List(ct).ToDictionary(o => o.Name, StringComparer.Ordinal);
        var list = new List<BackupInfo>();
        foreach (var o in objects.Values.Where(o => o.Name.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal)).OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            var info = Load(store, o, objects, out string? problem, out _, ct);
            if (info != null) info.Access = access;
            if (info == null) _log.LogWarning("Ignoring {Location}/{Manifest}: {Problem}", store.Location, o.Name, problem);
            else list.Add(info);
        }
        list.Sort((a, b) => a.CreatedUtc != b.CreatedUtc ? a.CreatedUtc.CompareTo(b.CreatedUtc) : string.CompareOrdinal(a.Id, b.Id));
        return (list, Orphans(store, objects, access, ct));
    }

    /// <summary>The orphans at a location alone: no manifest is read.</summary>
    public IReadOnlyList<BackupInfo> ListOrphans(IBackupStore store, StoreAccess? access, CancellationToken ct = default) =>
        Orphans(store, store.List(ct).ToDictionary(o => o.Name, StringComparer.Ordinal), access, ct);

    List<BackupInfo> Orphans(IBackupStore store, Dictionary<string, StoredObject> objects, StoreAccess? access, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var orphans = new List<BackupInfo>();
        foreach (var o in objects.Values.Where(o => !objects.ContainsKey(o.Name + BackupManifest.Suffix) && IsOrphan(o, now)))
        {
            ct.ThrowIfCancellationRequested();
            if (store is IFileSystemStore files && NotOurOrphan(files, o.Name)) continue;
            if (Orphan(store.Location, o, access) is { } orphan) orphans.Add(orphan);
        }
        orphans.Sort((a, b) => a.CreatedUtc != b.CreatedUtc ? a.CreatedUtc.CompareTo(b.CreatedUtc) : string.CompareOrdinal(a.Manifest.File, b.Manifest.File));
        return orphans;
    }

    /// <summary>On a file system: a manifest a listing leaves out (a symlink) still makes the file no orphan; a symlink or another user's file is none of ours.</summary>
    bool NotOurOrphan(IFileSystemStore files, string name)
    {
        if (files.Distrust(name + BackupManifest.Suffix) != null) return true;
        if (files.Distrust(name) is not { } why) return false;
        _log.LogWarning("Ignoring orphan {File}: it {Problem}", files.PathOf(name), why);
        return true;
    }

    /// <summary>
    /// A data object is written, checked where it landed, and only then given its manifest: for that long a backup still
    /// being written looks like an orphan. The same hour as a local directory's; tests shorten it.
    /// </summary>
    internal static TimeSpan OrphanGrace { get; set; } = TimeSpan.FromHours(1);

    static bool IsOrphan(StoredObject o, DateTime utcNow) => BackupNaming.IsBackupFileName(o.Name) && utcNow - o.ModifiedUtc > OrphanGrace;

    /// <summary>An orphan as a listing shows it: what its name says, its size, and no checksum (IsOrphan).</summary>
    static BackupInfo? Orphan(string location, StoredObject o, StoreAccess? access)
    {
        if (!BackupNaming.TryParse(o.Name, out var n)) return null;
        var m = new BackupManifest
        {
            Id = n.Id8, File = o.Name, Database = n.Database, CreatedUtc = n.CreatedUtc, Type = n.Type, Compression = n.Compression, StoredSize = o.Size,
        };
        var orphan = BackupInfo.At(location, o.Name + BackupManifest.Suffix, m, isOrphan: true);
        orphan.Access = access;
        return orphan;
    }

    /// <summary>The warning a remote listing gives for its orphans: how many, which (the first ten), and what can be done.</summary>
    public static string OrphanWarning(string location, IReadOnlyList<BackupInfo> orphans)
    {
        const int Named = 10;
        string names = string.Join(", ", orphans.Take(Named).Select(o => o.Manifest.File)) + (orphans.Count > Named ? $" and {orphans.Count - Named} more" : "");
        return $"'{location}' holds {orphans.Count} backup object(s) without a manifest (orphans: an upload interrupted before its manifest, or a manifest deleted), kept but not listed: {names}. " +
            "See them with Get-SqliteBackup -IncludeOrphans; remove one with Remove-SqliteBackup, or copy it to a local directory where Test-SqliteBackup -VerificationLevel Standard registers it if it passes.";
    }

    /// <summary>
    /// Deletes a remote orphan, after checking it still is the one listed: no manifest (a backup again is never removed
    /// as an orphan), the same size, and not rewritten within the grace period.
    /// </summary>
    /// <param name="options">Reach the store with these options (a cmdlet's -Credential) instead of the way it was listed.</param>
    public void RemoveOrphan(BackupInfo orphan, StoreOptions? options = null, CancellationToken ct = default)
    {
        var access = options == null ? orphan.Access : new StoreAccess(orphan.Access?.Location ?? orphan.Directory, options);
        using var store = access?.Open() ?? orphan.OpenStore();
        RemoveOrphan(orphan, store, ct);
    }

    /// <summary>The same, through a store the caller opened.</summary>
    public void RemoveOrphan(BackupInfo orphan, IBackupStore store, CancellationToken ct = default)
    {
        if (!orphan.IsOrphan || !orphan.IsRemote) throw new ArgumentException("Not a remote orphan.", nameof(orphan));
        string name = orphan.Manifest.File;
        if (store.Stat(name + BackupManifest.Suffix, ct) != null)
            throw BackupErrors.OrphanNotRemoved(orphan.Path, "it has a manifest again, so it is a backup, not an orphan; remove it as a backup if it is not wanted.");
        var now = store.Stat(name, ct) ?? throw BackupErrors.OrphanNotRemoved(orphan.Path, "it is no longer there.");
        if (now.Size != orphan.Size || !IsOrphan(now, DateTime.UtcNow))
            throw BackupErrors.OrphanNotRemoved(orphan.Path, $"it was written again since it was listed ({now.Size} bytes, last written {now.ModifiedUtc:u}); it may be a backup being written.");
        store.Delete(name, ct);
        _log.LogInformation(Logging.BackupEvents.OrphanRemoved, "Removed orphan {Path} ({Size} bytes, a backup object without a manifest)", orphan.Path, now.Size);
    }

    /// <summary>The backups at a location as the user wrote it: a store URI, or a local directory with its file-system checks.</summary>
    /// <param name="options">How to reach a remote location (a credential); null: the environment's.</param>
    public IReadOnlyList<BackupInfo> ListLocation(string location, bool allowInsecureDirectory, CancellationToken ct = default, StoreOptions? options = null)
    {
        var access = new StoreAccess(location, (options ?? new StoreOptions()) with { AllowInsecureDirectory = allowInsecureDirectory });
        using var store = access.Open();
        return List(store, access, ct);
    }

    /// <summary>The backups and orphans at a location as the user wrote it (see <see cref="ListWithOrphans"/>).</summary>
    public (IReadOnlyList<BackupInfo> Backups, IReadOnlyList<BackupInfo> Orphans) ListRemoteWithOrphans(string location, CancellationToken ct = default, StoreOptions? options = null)
    {
        var access = new StoreAccess(location, options);
        using var store = access.Open();
        return ListWithOrphans(store, access, ct);
    }

    /// <summary>A backup as its store holds it now, after the same checks as <see cref="List"/>: never an object in memory.</summary>
    /// <param name="options">Reach the store with these options (a cmdlet's -Credential) instead of the way the backup was listed.</param>
    public BackupInfo Check(BackupInfo backup, CancellationToken ct = default, StoreOptions? options = null)
    {
        var access = options == null ? backup.Access : new StoreAccess(backup.Access?.Location ?? backup.Directory, options);
        using var store = access?.Open() ?? backup.OpenStore();
        var fresh = Check(backup, store, ct);
        fresh.Access = access;
        return fresh;
    }

    /// <summary>
    /// The same, through a store the caller opened (with the options, credentials among them, it was opened with). The
    /// manifest is found by its own name, not by the file the object in memory says it names: a manifest naming another
    /// file is refused (UntrustedBackupFile), never followed.
    /// </summary>
    public BackupInfo Check(BackupInfo backup, IBackupStore store, CancellationToken ct = default)
    {
        string manifestName = System.IO.Path.GetFileName(backup.ManifestPath);
        var manifestObject = store.Stat(manifestName, ct);
        if (manifestObject == null)
        {
            // A file system's listing leaves out a symlink: refused as what it is, not reported as missing.
            if (store is IFileSystemStore files && files.Distrust(manifestName) is { } why) throw BackupErrors.UntrustedBackupFile(backup.ManifestPath, "it " + why);
            throw BackupErrors.BackupNotFound(backup.Path);
        }
        string dataName = manifestName.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal) ? manifestName[..^BackupManifest.Suffix.Length] : manifestName;
        var objects = new Dictionary<string, StoredObject>(StringComparer.Ordinal) { [manifestName] = manifestObject };
        if (StoreNames.IsValid(dataName) && store.Stat(dataName, ct) is { } data) objects[data.Name] = data;
        // A remote snapshot is judged by its packs: one listing, as Get-SqliteBackup's.
        if (store is not IFileSystemStore && Repository.RepositoryNames.IsSnapshotManifest(manifestName))
            foreach (var o in store.List(ct)) objects[o.Name] = o;
        var fresh = Load(store, manifestObject, objects, out string? problem, out bool untrusted, ct);
        if (fresh == null) throw untrusted || store is not IFileSystemStore ? BackupErrors.UntrustedBackupFile(backup.ManifestPath, problem!) : BackupErrors.BackupNotFound(backup.Path);
        if (!string.Equals(fresh.Path, backup.Path, StringComparison.Ordinal))
            throw BackupErrors.UntrustedBackupFile(backup.ManifestPath, $"the backup given names '{backup.Manifest.File}', its manifest names '{fresh.Manifest.File}'");
        fresh.Access = backup.Access;
        return fresh;
    }

    /// <summary>
    /// Deletes the manifest first: from that instant the backup no longer exists, and an interruption before the data
    /// object goes leaves only an orphan that is reported. What is deleted is re-read and re-checked from the store first.
    /// </summary>
    /// <param name="allowInsecureDirectory">For a local backup not listed by this process (no <see cref="BackupInfo.Access"/>): accept a directory others can write.</param>
    public void Remove(BackupInfo backup, string? reason = null, EventId? eventId = null, CancellationToken ct = default, bool allowInsecureDirectory = true)
    {
        using var store = (backup.Access ?? new StoreAccess(backup.Directory, new StoreOptions { AllowInsecureDirectory = allowInsecureDirectory })).Open();
        Remove(backup, store, reason, eventId, ct);
    }

    /// <summary>The same, through a store the caller opened.</summary>
    public void Remove(BackupInfo backup, IBackupStore store, string? reason = null, EventId? eventId = null, CancellationToken ct = default)
    {
        var fresh = Check(backup, store, ct);
        store.Delete(fresh.Manifest.File + BackupManifest.Suffix, ct);
        store.Delete(fresh.Manifest.File, ct);
        _log.LogInformation(eventId ?? Logging.BackupEvents.BackupRemoved, "Removed {Type} backup {Id} of {Database} taken {Created:u}: {Path}{Reason}",
            fresh.Type, fresh.Id, fresh.Database, fresh.CreatedUtc, fresh.Path, reason == null ? "" : $" ({reason})");
    }

    /// <summary>What keeps a snapshot from being restored by what a listing shows: a pack or index gone, or a pack of another size.</summary>
    static string? MissingPack(Repository.SnapshotRepository r, IReadOnlyDictionary<string, StoredObject> objects)
    {
        foreach (var p in r.Packs)
        {
            if (!objects.TryGetValue(p.Name, out var pack)) return $"its pack '{p.Name}' is missing (deleted behind our back?); it cannot be restored";
            if (pack.Size != p.Size) return $"its pack '{p.Name}' is {pack.Size} bytes, the snapshot records {p.Size} (damage, or an upload that never finished); it cannot be restored";
            string index = Repository.RepositoryNames.IndexOf(p.Name);
            if (!objects.ContainsKey(index)) return $"its pack index '{index}' is missing (deleted behind our back?); it cannot be restored";
        }
        return null;
    }

    /// <summary>
    /// The one trust check for a manifest, for every store. On a file system (see the class remarks) it also refuses a
    /// manifest or data file that is a symlink, not a regular file or another user's, and keeps listing a backup whose
    /// data file is gone or of the wrong size, so that verification reports it.
    /// </summary>
    /// <param name="untrusted">The manifest was refused for what it is or says, not merely unreadable or unparsable.</param>
    BackupInfo? Load(IBackupStore store, StoredObject manifestObject, IReadOnlyDictionary<string, StoredObject> objects, out string? problem, out bool untrusted, CancellationToken ct)
    {
        untrusted = true;
        var files = store as IFileSystemStore;
        string what = files != null ? "backup file" : "backup object";
        string manifestName = manifestObject.Name;
        if (!manifestName.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal))
        {
            problem = "its name does not end in " + BackupManifest.Suffix;
            return null;
        }
        string dataName = manifestName[..^BackupManifest.Suffix.Length];
        if (manifestObject.Size > MaxManifestBytes)
        {
            problem = $"it is {manifestObject.Size} bytes, too large to be a manifest";
            return null;
        }
        byte[] bytes;
        string? ownerProblem = null;
        try { bytes = files != null ? files.ReadOwned(manifestName, MaxManifestBytes, out ownerProblem) : store.ReadAllBytes(manifestName, ct, MaxManifestBytes); }
        catch (SqliteBackupException e) when (files != null)
        {
            problem = e.Message;
            return null;
        }
        catch (Exception e) when (files != null && e is IOException or UnauthorizedAccessException)
        {
            (problem, untrusted) = (e.Message, false);
            return null;
        }
        var m = BackupManifest.TryParse(bytes, out problem);
        if (m == null)
        {
            untrusted = false;
            return null;
        }
        if (!string.Equals(m.File, dataName, StringComparison.Ordinal))
        {
            problem = $"it names '{m.File}', not its own {what} '{dataName}'";
            return null;
        }
        if (m.IsSnapshot ? !BackupNaming.TryParseSnapshot(dataName, out _) : !BackupNaming.IsBackupFileName(dataName))
        {
            problem = m.IsSnapshot
                ? $"'{dataName}' is not a snapshot name (<database>_<yyyyMMdd-HHmmss>_<type>_<id8>.snapshot)"
                : $"'{dataName}' is not a backup file name (<database>_<yyyyMMdd-HHmmss>_<type>_<id8>.db[.zst|.gz])";
            return null;
        }
        if (ownerProblem != null)
        {
            problem = ownerProblem;
            return null;
        }
        if (m.IsSnapshot)
        {
            // No data object of its own: the packs it names are what must be there. Judged like a plain backup's data
            // object: gone from a remote location, it is reported and left out; in a directory it stays listed, so that
            // verification says which pack is missing and rotation can remove it.
            if (files == null && MissingPack(m.Repository!, objects) is { } missing)
            {
                problem = missing;
                return null;
            }
            (problem, untrusted) = (null, false);
            return BackupInfo.At(store.Location, manifestName, m);
        }
        if (files?.Distrust(dataName) is { } why)
        {
            problem = $"its {what} '{dataName}' {why}";
            return null;
        }
        if (files == null)
        {
            if (!objects.TryGetValue(dataName, out var data))
            {
                problem = $"its {what} '{dataName}' is missing (deleted behind our back?); it cannot be restored";
                return null;
            }
            if (data.Size != m.StoredSize)
            {
                problem = $"its {what} is {data.Size} bytes, the manifest says {m.StoredSize} (an upload that never finished, or damage)";
                return null;
            }
        }
        (problem, untrusted) = (null, false);
        return BackupInfo.At(store.Location, manifestName, m);
    }
}
