using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Copy-SqliteBackup -AsPlain: a snapshot leaves its repository as a plain <c>.db.zst</c> backup that standard tools read
/// (<c>zstd -d | sqlite3</c>). It is reassembled (every block and the whole image proven) into a private scratch file,
/// then written by the plain backup path (<see cref="StoreTarget"/>: compressed as the store pulls it, raw and stored
/// SHA-256 recorded, checked where it landed, manifest last and create-only). It keeps the snapshot's id, database,
/// type and creation time, so a second export is recognised as the same backup. A snapshot of an encrypted repository is
/// opened with <see cref="Keys"/> (its manifest authenticated, its repository key unlocked) and leaves as a
/// <c>.db.zst.age</c> backup encrypted as every file of that repository is: to the recipients its config records, signed
/// by the identity given that is one of them, or with its passphrase; the plaintext exists only in the private scratch file.
/// </summary>
public sealed class SnapshotExporter(ILogger? logger = null, string? scratchPath = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public StoreAccess? DestinationAccess { get; init; }

    /// <summary>What opens an encrypted snapshot (and, in passphrase mode, encrypts its export); unused for an unencrypted one.</summary>
    public BackupKeys? Keys { get; init; }

    public CopyResult Export(BackupInfo source, IBackupStore destination, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        using var sourceStore = RepositoryCopier.OpenSource(source);
        return Export(source, sourceStore, destination, progress, ct);
    }

    public CopyResult Export(BackupInfo source, IBackupStore sourceStore, IBackupStore destination, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var m = source.Manifest;
        if (m.Repository == null) throw new ArgumentException($"{m.File} is not a snapshot.", nameof(source));
        // Before anything is written: an encrypted snapshot is authenticated and its repository key opened (and a snapshot
        // without encryption in an encrypted repository is refused, as everywhere it is read).
        using var key = SnapshotReader.Unlock(sourceStore, m, Keys, source.Path, ct);
        var encryption = key == null ? null : ExportEncryption(RepositoryConfig.Read(sourceStore, ct)!, m, Keys!, source.Path);
        string name = BackupNaming.FileName(m.Database, m.CreatedUtc, m.Type, m.Id, CompressionKind.Zstd, encrypted: encryption != null);
        string manifestName = name + BackupManifest.Suffix;

        if (destination.Stat(manifestName, ct) != null)
        {
            var there = BackupManifest.TryParse(destination.ReadAllBytes(manifestName, ct), out _);
            if (there == null || there.IsSnapshot || there.RawSha256 != m.RawSha256)
                throw BackupErrors.CopyConflict(destination.Location, name, there == null ? "a manifest that does not parse" : "a different backup with the same name");
            if (destination.Stat(name, ct) is { } data && data.Size == there.StoredSize)
            {
                _log.LogInformation("{File} is already in {Destination} as a plain backup with the same SHA-256; nothing exported", m.File, destination.Location);
                return new CopyResult(source, Located(there, destination, manifestName), CopyStatus.AlreadyPresent, clock.Elapsed);
            }
            throw BackupErrors.CopyConflict(destination.Location, name, "this backup's manifest without its data object (remove the manifest, then export again)");
        }
        if (destination.Stat(name, ct) != null)
            throw BackupErrors.CopyConflict(destination.Location, name, "an object of that name without a manifest (an interrupted export? remove it, then export again)");

        var exported = PlainManifest(m, name, source);
        string besides = source.IsRemote ? Path.GetTempPath() : source.Directory;
        using var scratch = ScratchDirectory.Create(scratchPath, besides, _log);
        string image = scratch.File("export.db");
        var rate = new TransferRate(m.StoredSize);
        SnapshotReader.Reassemble(sourceStore, m, image, n => progress?.Invoke(rate.Progress($"Exporting {m.File}", n, "reassembling")), ct, key);

        var target = new StoreTarget(destination, scratch.Path);
        var request = new BackupRequest(m.SourcePath) { Compression = CompressionKind.Zstd, Type = m.Type, Encryption = encryption };
        long length = new FileInfo(image).Length;
        var work = target.Write(name, () => new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan),
            length, request, exported, null, $"Exporting {m.File}", "", progress, [], ct);
        try
        {
            work.GetAwaiter().GetResult();
            // The plain path hashed the bytes it compressed: they must be the snapshot's image.
            if (exported.RawSha256 != m.RawSha256)
                throw BackupErrors.ChecksumMismatch(source.Path, $"the exported image's SHA-256 is {exported.RawSha256}, the snapshot says {m.RawSha256}");
            encryption?.Seal(exported);
            var info = target.Publish(name, exported);
            var verified = target.Verify(new BackupVerifier(_log, scratchPath), info, VerificationLevel.Quick, null, progress, ct);
            if (!verified.Passed)
                throw BackupErrors.CopyCorrupted(destination.Location, name, verified.Message, exported.StoredSha256);
            exported.Verifications.Add(new VerificationRecord
            {
                TimeUtc = DateTime.UtcNow, Level = VerificationLevel.Quick, Passed = true, Outcome = VerificationOutcome.Passed,
                Message = "exported from a snapshot; the reassembled image matched its SHA-256, the stored object its manifest",
            });
            target.WriteManifest(info, exported.ToJson(), ct);
        }
        catch
        {
            target.Discard(name, _log);
            throw;
        }
        _log.LogInformation(BackupEvents.BackupCopied, "Exported snapshot {Id} of {Database} to {Destination} as the plain backup {File} ({Size} bytes, {DurationMs} ms)",
            m.Id, m.Database, destination.Location, name, exported.StoredSize, clock.ElapsedMilliseconds);
        return new CopyResult(source, Located(exported, destination, manifestName), CopyStatus.Copied, clock.Elapsed);
    }

    /// <summary>
    /// How an encrypted snapshot's export is encrypted: as its repository, to the recipients the config records (signed by
    /// the identity given that is one of them, which authenticated the snapshot), or with its passphrase at the work
    /// factor the snapshot was sealed with.
    /// </summary>
    static BackupEncryption ExportEncryption(RepositoryConfig config, BackupManifest m, BackupKeys keys, string name)
    {
        var e = config.Encryption!;
        if (e.Passphrase) return BackupEncryption.WithPassphrase(keys.Passphrase!, m.Encryption!.MacWorkFactor ?? AgeScryptRecipient.DefaultWorkFactor);
        var recipients = AgeX25519Recipient.ParseAll(e.Recipients);
        var writer = keys.Identities.FirstOrDefault(i => recipients.Contains(i.Recipient))
            ?? throw BackupErrors.EncryptionWrongIdentity(name, passphraseFile: false, recipients.Count);
        return BackupEncryption.ToRecipients(recipients, writer);
    }

    /// <summary>The snapshot's manifest as a plain backup's (schema 1, no repository), its sizes and hashes set by the write.</summary>
    static BackupManifest PlainManifest(BackupManifest m, string name, BackupInfo source)
    {
        var plain = BackupManifest.TryParse(m.ToJson(), out _)!;
        plain.SchemaVersion = BackupManifest.CurrentSchemaVersion;
        plain.Repository = null;
        // Sealed anew for the export when it is encrypted (the snapshot's MACs cover its block list, not this file).
        plain.Encryption = null;
        plain.Transforms = null;
        plain.File = name;
        plain.Compression = CompressionKind.Zstd;
        plain.StoredSha256 = "";
        plain.StoredSize = 0;
        plain.CopiedFrom = StoreText.Redact(source.Path);
        plain.CopiedUtc = DateTime.UtcNow;
        return plain;
    }

    BackupInfo Located(BackupManifest m, IBackupStore store, string manifestName) =>
        store is Storage.Local.LocalDirectoryStore local
            ? new BackupInfo(m, Path.Combine(local.Directory, manifestName))
            : new BackupInfo(m, store.Location, manifestName) { Access = DestinationAccess };
}
