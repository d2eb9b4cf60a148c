using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// A remote backup brought into a private local folder (0700, removed afterwards), so that what was built and
/// hardened for local backups (Standard and Full verification, the restore path with its PreRestore backup) runs on
/// it unchanged. The data object is read once, as a stream, and hashed on the way; a verification record the local
/// check adds to the manifest goes back to the store.
/// </summary>
public sealed class FetchedBackup : IDisposable
{
    readonly ScratchDirectory _scratch;
    readonly IBackupStore _store;
    readonly byte[] _manifestAsFetched;
    readonly string _manifestName;

    FetchedBackup(ScratchDirectory scratch, IBackupStore store, BackupInfo local, byte[] manifest, string manifestName)
    {
        _scratch = scratch;
        _store = store;
        Local = local;
        _manifestAsFetched = manifest;
        _manifestName = manifestName;
    }

    /// <summary>The same backup as a local one, in the scratch folder.</summary>
    public BackupInfo Local { get; }

    /// <param name="scratchParent">Where the private folder goes: the user's -ScratchPath, or for a restore the target's folder (the same disk).</param>
    public static FetchedBackup Fetch(BackupInfo remote, string scratchParent, ILogger log, CancellationToken ct = default)
    {
        var store = remote.OpenStore();
        ScratchDirectory? scratch = null;
        try
        {
            scratch = ScratchDirectory.Create(scratchParent, scratchParent, log);
            string manifestName = remote.Manifest.File + BackupManifest.Suffix;
            byte[] manifest = store.ReadAllBytes(manifestName, ct);
            var m = BackupManifest.TryParse(manifest, out string? problem) ?? throw BackupErrors.UntrustedBackupFile(remote.ManifestPath, problem!);
            if (m.File != remote.Manifest.File) throw BackupErrors.UntrustedBackupFile(remote.ManifestPath, $"it names '{m.File}', not '{remote.Manifest.File}'");
            using (var input = store.OpenRead(m.File, ct))
            using (var output = PrivateFiles.CreateNew(scratch.File(m.File), 1 << 20))
                input.CopyTo(output, 1 << 20);
            File.WriteAllBytes(scratch.File(manifestName), manifest);
            return new FetchedBackup(scratch, store, new BackupInfo(m, scratch.File(manifestName)), manifest, manifestName);
        }
        catch
        {
            scratch?.Dispose();
            store.Dispose();
            throw;
        }
    }

    /// <summary>Sends the manifest back when the local operation changed it (a verification record); create-only is not wanted here.</summary>
    public void PushManifest(CancellationToken ct = default)
    {
        byte[] now = File.ReadAllBytes(Local.ManifestPath);
        if (now.AsSpan().SequenceEqual(_manifestAsFetched)) return;
        using var ms = new MemoryStream(now);
        _store.Put(_manifestName, ms, createOnly: false, ct: ct);
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _store.Dispose();
    }
}
