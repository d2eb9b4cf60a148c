using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
    public IReadOnlyList<BackupInfo> List(IBackupStore store, StoreAccess? access, CancellationToken ct = default)
    {
        if (store is LocalDirectoryStore local) return new BackupCatalog(_log) { AllowInsecureDirectory = true }.List(local.Directory);
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
        return list;
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
