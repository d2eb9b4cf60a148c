using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Catalog;

/// <summary>
/// The backups in any store, by the same rule as a local directory: a backup exists when its manifest parses, is named
/// '&lt;data&gt;.manifest.json' for a data name in our pattern, names exactly that data object, and the data object is
/// there. A manifest whose data object is gone is reported (a backup that cannot be restored), not silently skipped.
/// A local directory goes through <see cref="BackupCatalog"/>, which adds the file-ownership checks only a file system has.
/// </summary>
public sealed class StoreCatalog(ILogger? logger = null)
{
    const int MaxManifestBytes = 16 << 20;
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public IReadOnlyList<BackupInfo> List(IBackupStore store, CancellationToken ct = default) => List(store, null, ct);

    /// <param name="access">How <paramref name="store"/> was reached; the backups keep it for what acts on them next.</param>
    /// <remarks>Orphans at a remote location are not listed, but named in a warning (never deleted: someone may need the bytes).</remarks>
    public IReadOnlyList<BackupInfo> List(IBackupStore store, StoreAccess? access, CancellationToken ct = default)
    {
        if (store is LocalDirectoryStore local) return new BackupCatalog(_log) { AllowInsecureDirectory = true }.List(local.Directory);
        var (list, orphans) = ListWithOrphans(store, access, ct);
        if (orphans.Count > 0) _log.LogWarning("{Warning}", OrphanWarning(store.Location, orphans));
        return list;
    }

    /// <summary>
    /// The backups at a remote location and, apart, its orphans: data objects in our naming pattern without a manifest,
    /// last written longer ago than <see cref="OrphanGrace"/>. What the caller says about the orphans is up to it.
    /// </summary>
    public (IReadOnlyList<BackupInfo> Backups, IReadOnlyList<BackupInfo> Orphans) ListWithOrphans(IBackupStore store, StoreAccess? access, CancellationToken ct = default)
    {
        if (store is LocalDirectoryStore local)
        {
            var catalog = new BackupCatalog(_log) { AllowInsecureDirectory = true };
            return (catalog.List(local.Directory), catalog.ListOrphans(local.Directory));
        }
        var objects = store.List(ct).ToDictionary(o => o.Name, StringComparer.Ordinal);
        var list = new List<BackupInfo>();
        foreach (var o in objects.Values.Where(o => o.Name.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal)).OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            var info = Load(store, o, objects, out string? problem);
            if (info != null) info.Access = access;
            if (info == null) _log.LogWarning("Ignoring {Location}/{Manifest}: {Problem}", store.Location, o.Name, problem);
            else list.Add(info);
        }
        list.Sort((a, b) => a.CreatedUtc != b.CreatedUtc ? a.CreatedUtc.CompareTo(b.CreatedUtc) : string.CompareOrdinal(a.Id, b.Id));
        var now = DateTime.UtcNow;
        var orphans = objects.Values
            .Where(o => !objects.ContainsKey(o.Name + BackupManifest.Suffix) && IsOrphan(o, now))
            .Select(o => Orphan(store.Location, o, access)!)
            .OrderBy(o => o.CreatedUtc).ThenBy(o => o.Manifest.File, StringComparer.Ordinal)
            .ToList();
        return (list, orphans);
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
        return new BackupInfo(m, location, o.Name + BackupManifest.Suffix, isOrphan: true) { Access = access };
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
        if (!StoreRegistry.IsRemote(location)) return new BackupCatalog(_log) { AllowInsecureDirectory = allowInsecureDirectory }.List(location);
        var access = new StoreAccess(location, options);
        using var store = access.Open();
        return List(store, access, ct);
    }

    /// <summary>The backups and orphans at a remote location as the user wrote it (see <see cref="ListWithOrphans"/>).</summary>
    public (IReadOnlyList<BackupInfo> Backups, IReadOnlyList<BackupInfo> Orphans) ListRemoteWithOrphans(string location, CancellationToken ct = default, StoreOptions? options = null)
    {
        var access = new StoreAccess(location, options);
        using var store = access.Open();
        return ListWithOrphans(store, access, ct);
    }

    /// <summary>A remote backup as its store holds it now, after the same checks as <see cref="List"/>: never an object in memory.</summary>
    /// <param name="options">Reach the store with these options (a cmdlet's -Credential) instead of the way the backup was listed.</param>
    public BackupInfo Check(BackupInfo backup, CancellationToken ct = default, StoreOptions? options = null)
    {
        if (!backup.IsRemote) return new BackupCatalog(_log).Check(backup);
        var access = options == null ? backup.Access : new StoreAccess(backup.Access?.Location ?? backup.Directory, options);
        using var store = access?.Open() ?? backup.OpenStore();
        var fresh = Check(backup, store, ct);
        fresh.Access = access;
        return fresh;
    }

    /// <summary>The same, through a store the caller opened (with the options, credentials among them, it was opened with).</summary>
    public BackupInfo Check(BackupInfo backup, IBackupStore store, CancellationToken ct = default)
    {
        string manifestName = backup.Manifest.File + BackupManifest.Suffix;
        var manifestObject = store.Stat(manifestName, ct) ?? throw Errors.BackupErrors.BackupNotFound(backup.Path);
        var data = store.Stat(backup.Manifest.File, ct);
        var objects = new Dictionary<string, StoredObject>(StringComparer.Ordinal) { [manifestName] = manifestObject };
        if (data != null) objects[data.Name] = data;
        var fresh = Load(store, manifestObject, objects, out string? problem) ?? throw Errors.BackupErrors.UntrustedBackupFile(backup.ManifestPath, problem!);
        fresh.Access = backup.Access;
        return fresh;
    }

    /// <summary>Manifest first, as locally: from that instant the backup no longer exists; a data object left by an interruption is reported, not listed.</summary>
    public void Remove(BackupInfo backup, string? reason = null, EventId? eventId = null, CancellationToken ct = default)
    {
        if (!backup.IsRemote)
        {
            new BackupCatalog(_log) { AllowInsecureDirectory = true }.Remove(backup, reason, eventId);
            return;
        }
        var fresh = Check(backup, ct);
        using var store = fresh.OpenStore();
        store.Delete(fresh.Manifest.File + BackupManifest.Suffix, ct);
        store.Delete(fresh.Manifest.File, ct);
        _log.LogInformation(eventId ?? Logging.BackupEvents.BackupRemoved, "Removed {Type} backup {Id} of {Database} taken {Created:u}: {Path}{Reason}",
            fresh.Type, fresh.Id, fresh.Database, fresh.CreatedUtc, fresh.Path, reason == null ? "" : $" ({reason})");
    }

    BackupInfo? Load(IBackupStore store, StoredObject manifestObject, IReadOnlyDictionary<string, StoredObject> objects, out string? problem)
    {
        string dataName = manifestObject.Name[..^BackupManifest.Suffix.Length];
        if (!BackupNaming.IsBackupFileName(dataName))
        {
            problem = $"'{dataName}' is not a backup file name";
            return null;
        }
        if (manifestObject.Size > MaxManifestBytes)
        {
            problem = $"it is {manifestObject.Size} bytes, too large to be a manifest";
            return null;
        }
        var m = BackupManifest.TryParse(store.ReadAllBytes(manifestObject.Name, maxBytes: MaxManifestBytes), out problem);
        if (m == null) return null;
        if (!string.Equals(m.File, dataName, StringComparison.Ordinal))
        {
            problem = $"it names '{m.File}', not its own backup object '{dataName}'";
            return null;
        }
        if (!objects.TryGetValue(dataName, out var data))
        {
            problem = $"its backup object '{dataName}' is missing (deleted behind our back?); it cannot be restored";
            return null;
        }
        if (data.Size != m.StoredSize)
        {
            problem = $"its backup object is {data.Size} bytes, the manifest says {m.StoredSize} (an upload that never finished, or damage)";
            return null;
        }
        problem = null;
        return new BackupInfo(m, store.Location, manifestObject.Name);
    }
}
