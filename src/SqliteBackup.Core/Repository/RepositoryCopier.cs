using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Copies one snapshot into the repository at another location, by the protocol that writes one: the packs (and their
/// .index) the destination lacks first, each proven stored (the service's checksum or a read-back SHA-256 equal to the
/// pack's name), the manifest last and create-only. Dedup survives the trip: a pack already there under its name is the
/// same bytes (names are the SHA-256 of the content), so only new packs travel. An interrupted copy leaves packs nothing
/// references (prune removes them), never a manifest.
/// </summary>
public sealed class RepositoryCopier(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>How the destination was reached (its credential): the copies returned carry it.</summary>
    public StoreAccess? DestinationAccess { get; init; }

    /// <summary>
    /// The destination's retention: where it has Object Lock (or immutability), the snapshot's manifest, packs and indexes
    /// are locked until its longest rule could keep the snapshot, and packs already there are extended to that date.
    /// </summary>
    public Core.Retention.RetentionPolicy Retention { get; init; } = Core.Retention.RetentionPolicy.Default;

    /// <summary>How long to wait for a prune holding the destination's exclusive lock.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>What the last <see cref="Copy(BackupInfo, IBackupStore, Action{BackupProgress}?, CancellationToken)"/> sent, for tests and logs.</summary>
    public CopyStats? Stats { get; private set; }

    public sealed record CopyStats(int PacksSent, long BytesSent, int PacksAlreadyThere);

    public CopyResult Copy(BackupInfo source, IBackupStore destination, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        using var sourceStore = OpenSource(source);
        return Copy(source, sourceStore, destination, progress, ct);
    }

    /// <summary>A snapshot's own store: its remote location as listed, or its local directory.</summary>
    internal static IBackupStore OpenSource(BackupInfo source) =>
        source.IsRemote ? source.OpenStore() : new Storage.Local.LocalDirectoryStore(source.Directory, new StoreOptions { AllowInsecureDirectory = true });

    public CopyResult Copy(BackupInfo source, IBackupStore sourceStore, IBackupStore destination, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var m = source.Manifest;
        var r = m.Repository ?? throw new ArgumentException($"{m.File} is not a snapshot.", nameof(source));
        string manifestName = m.File + BackupManifest.Suffix;

        // Refused before anything is written (no lock object, no config): a repository keeps one block size and hash.
        var sourceConfig = RepositoryConfig.Read(sourceStore, ct);
        string hash = sourceConfig?.Hash ?? "sha256";
        var existing = RepositoryConfig.Read(destination, ct);
        if (m.IsEncrypted && sourceConfig?.Encryption == null)
            throw BackupErrors.RepositoryDamaged(sourceStore.Location, RepositoryNames.Config, m.File, sourceConfig == null ? "it is missing" : "it records no encryption, the snapshot is encrypted");
        var encryption = m.IsEncrypted ? sourceConfig!.Encryption : null;
        if (existing != null) CheckCompatible(existing, destination.Location, r.BlockSize, hash, encryption);

        // Before the lock object and the config: a location that asks for a lock it cannot give gets nothing written.
        var locks = PackLocks.For(destination, Retention, m.CreatedUtc, ct);
        StaleUploads.Clean(destination, _log, ct);
        using var held = RepositoryLockSeam.Shared(destination, "copy", LockTimeout, _log, ct);
        if (existing == null)
        {
            // An encrypted repository's copy shares its key (the packs are encrypted to it and the block ids keyed by it):
            // the key object travels as it is, still encrypted, before the config that names it. No identity is needed.
            if (encryption != null) CopyKey(sourceStore, destination, m.File, encryption, ct);
            CheckCompatible(CreateConfig(destination, r.BlockSize, hash, encryption, ct), destination.Location, r.BlockSize, hash, encryption);
        }

        // One listing: what the destination holds decides what travels.
        var listing = destination.List(ct).ToDictionary(o => o.Name, StringComparer.Ordinal);
        BackupManifest? there = null;
        if (listing.ContainsKey(manifestName))
        {
            there = BackupManifest.TryParse(destination.ReadAllBytes(manifestName, ct), out _);
            if (!SameSnapshot(there, m))
                throw BackupErrors.CopyConflict(destination.Location, manifestName, there == null ? "a manifest that does not parse" : "a different snapshot with the same name");
        }

        int sent = 0, present = 0;
        long bytes = 0;
        var rate = new TransferRate(r.Packs.Where(p => !listing.ContainsKey(p.Name)).Sum(p => p.Size));
        long done = 0;
        foreach (var pack in r.Packs)
        {
            ct.ThrowIfCancellationRequested();
            if (listing.TryGetValue(pack.Name, out var o))
            {
                if (o.Size != pack.Size)
                    throw BackupErrors.CopyConflict(destination.Location, pack.Name, $"an object of {o.Size} bytes where this pack has {pack.Size} (a damaged pack: run the repository check there)");
                present++;
                locks.ExtendObject(pack.Name, ct);
            }
            else
            {
                long before = done;
                SendPack(sourceStore, destination, locks, pack, m.File, new SyncProgress(n =>
                    progress?.Invoke(rate.Progress($"Copying {m.File}", before + n, $"to {destination.Location}"))), ct);
                done += pack.Size;
                sent++;
                bytes += pack.Size;
            }
            // The index travels after its pack, as the writer puts them: an index never names a pack that is not there.
            string index = RepositoryNames.IndexOf(pack.Name);
            if (!listing.ContainsKey(index)) SendIndex(sourceStore, destination, locks, index, m.File, ct);
            else locks.ExtendObject(index, ct);
        }
        Stats = new CopyStats(sent, bytes, present);

        if (there != null)
        {
            _log.LogInformation("Snapshot {File} is already in {Destination} with the same SHA-256{Repaired}; nothing else copied", m.File, destination.Location,
                sent > 0 ? $" ({sent} missing packs sent again)" : "");
            return new CopyResult(source, Located(there, destination, manifestName), sent > 0 ? CopyStatus.Copied : CopyStatus.AlreadyPresent, clock.Elapsed);
        }

        var copy = CloneForCopy(m, source);
        try { destination.PutManifest(manifestName, copy.ToJson(), json => locks.Put(destination, manifestName, json, null, ct), ct); }
        // Another copy of the same snapshot won the race: fine if it is this snapshot.
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
        {
            var winner = BackupManifest.TryParse(destination.ReadAllBytes(manifestName, ct), out _);
            if (!SameSnapshot(winner, m)) throw BackupErrors.CopyConflict(destination.Location, manifestName, "a different snapshot with the same name");
            return new CopyResult(source, Located(winner!, destination, manifestName), CopyStatus.AlreadyPresent, clock.Elapsed);
        }
        progress?.Invoke(new BackupProgress($"Copying {m.File}", "done", 100, Completed: true));
        _log.LogInformation(BackupEvents.BackupCopied, "Copied snapshot {Id} of {Database} to {Destination} ({Packs} packs, {Size} bytes sent, {Present} packs already there, {DurationMs} ms)",
            m.Id, m.Database, destination.Location, sent, bytes, present, clock.ElapsedMilliseconds);
        return new CopyResult(source, Located(copy, destination, manifestName), CopyStatus.Copied, clock.Elapsed);
    }

    static bool SameSnapshot(BackupManifest? there, BackupManifest m) =>
        there?.Repository is { } tr && there.RawSha256 == m.RawSha256 && tr.BlocksSha256 == m.Repository!.BlocksSha256;

    static void CheckCompatible(RepositoryConfig config, string location, int blockSize, string hash, RepositoryEncryption? encryption)
    {
        if (config.BlockSize != blockSize || config.Hash != hash)
            throw BackupErrors.RepositoryCopyIncompatible(location, config.BlockSize, config.Hash, blockSize, hash);
        if (config.Encryption?.PackKey != encryption?.PackKey)
            throw BackupErrors.RepositoryEncryptionMismatch(location,
                config.Encryption == null ? "the repository is not encrypted and the snapshot is"
                : encryption == null ? "the repository is encrypted and the snapshot is not"
                : "the repository is encrypted with another repository key than the snapshot's", config.Encryption?.Describe());
    }

    static void CopyKey(IBackupStore sourceStore, IBackupStore destination, string snapshot, RepositoryEncryption encryption, CancellationToken ct)
    {
        byte[] key;
        try { key = sourceStore.ReadAllBytes(encryption.Key, ct, 1 << 16); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { throw BackupErrors.RepositoryPackMissing(sourceStore.Location, encryption.Key, snapshot); }
        try
        {
            using var ms = new MemoryStream(key);
            destination.Put(encryption.Key, ms, createOnly: true, null, ct);
        }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
        {
            if (!destination.ReadAllBytes(encryption.Key, ct, 1 << 16).AsSpan().SequenceEqual(key))
                throw BackupErrors.RepositoryEncryptionMismatch(destination.Location, "it holds another repository key than the snapshot's", null);
        }
    }

    /// <summary>A new repository of its own (its own id) with the source's block size and hash; a racing creator's wins.</summary>
    static RepositoryConfig CreateConfig(IBackupStore destination, int blockSize, string hash, RepositoryEncryption? encryption, CancellationToken ct)
    {
        var fresh = RepositoryConfig.New(blockSize);
        fresh.Hash = hash;
        fresh.Encryption = encryption;
        try
        {
            using var ms = new MemoryStream(fresh.ToJson());
            destination.Put(RepositoryNames.Config, ms, createOnly: true, null, ct);
            return fresh;
        }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
        {
            return RepositoryConfig.Read(destination, ct) ?? throw BackupErrors.RepositoryConfigInvalid(destination.Location, "it vanished right after it was created");
        }
    }

    void SendPack(IBackupStore sourceStore, IBackupStore destination, PackLocks locks, PackRef pack, string snapshot, IProgress<long> progress, CancellationToken ct)
    {
        string expected = RepositoryNames.HashOfPack(pack.Name);
        Stream input;
        try { input = sourceStore.OpenRead(pack.Name, ct); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { throw BackupErrors.RepositoryPackMissing(sourceStore.Location, pack.Name, snapshot); }
        using (input)
        using (var hashing = new HashingStream(input))
        {
            try { locks.Put(destination, pack.Name, hashing, progress, ct); }
            // Put by a concurrent copy or backup since our listing: the same name is the same bytes.
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
            {
                _log.LogDebug("{Pack} appeared in {Destination} during the copy; kept", pack.Name, destination.Location);
                locks.ExtendObject(pack.Name, ct);
                return;
            }
            string read = hashing.HashHex();
            if (read != expected)
            {
                destination.Delete(pack.Name, ct);
                throw BackupErrors.RepositoryDamaged(sourceStore.Location, pack.Name, snapshot, $"its SHA-256 is {read}, its name says {expected}; nothing was copied");
            }
        }
        // End to end: what the destination holds, not only what was sent.
        string stored = destination.Stat(pack.Name, ct)?.Sha256 is { Length: 64 } recorded ? recorded : destination.ReadBackSha256(pack.Name, ct: ct);
        if (stored != expected)
        {
            destination.Delete(pack.Name, ct);
            throw BackupErrors.CopyCorrupted(destination.Location, pack.Name, stored, expected);
        }
    }

    static void SendIndex(IBackupStore sourceStore, IBackupStore destination, PackLocks locks, string index, string snapshot, CancellationToken ct)
    {
        byte[] bytes;
        try { bytes = sourceStore.ReadAllBytes(index, ct, 64 << 20); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { throw BackupErrors.RepositoryPackMissing(sourceStore.Location, index, snapshot); }
        // Its trailing SHA-256 proves it whole; a damaged index is not spread to another location.
        if (PackIndex.TryDecode(bytes, out var problem) == null) throw BackupErrors.RepositoryDamaged(sourceStore.Location, index, snapshot, problem!);
        try
        {
            using var ms = new MemoryStream(bytes);
            locks.Put(destination, index, ms, null, ct);
        }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists") { locks.ExtendObject(index, ct); }
        if (destination.Stat(index, ct)?.Size != bytes.Length)
            throw BackupErrors.CopyCorrupted(destination.Location, index, "of another size", "the index sent");
    }

    static BackupManifest CloneForCopy(BackupManifest m, BackupInfo source) =>
        Copies.BackupCopier.CloneForCopy(m, source, "copied; every pack it names is present, its SHA-256 equal to its name");

    BackupInfo Located(BackupManifest m, IBackupStore store, string manifestName) =>
        store is Storage.Local.LocalDirectoryStore local
            ? new BackupInfo(m, Path.Combine(local.Directory, manifestName))
            : new BackupInfo(m, store.Location, manifestName) { Access = DestinationAccess };
}
