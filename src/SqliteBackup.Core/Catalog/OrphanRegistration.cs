using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Trust;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Catalog;

/// <summary>
/// Gives an orphan (a backup-named file whose manifest is gone) its manifest back, but only after it has proven itself:
/// the manifest is built from what the file itself says (its name, its bytes, the database inside), the file then passes
/// a Standard or Full verification against that manifest, and only then is the manifest written, create-only, so a
/// manifest that appeared meanwhile is never overwritten. Quick cannot register: it only compares with a manifest.
/// <para>
/// An orphan encrypted with age (by the module, or by hand: <c>age -r age1… -o app_….db.zst.age app_….db.zst</c>) is
/// opened with the keys given. Nobody signed it, and age does not name its recipients, so the new manifest records the
/// one key that opened it as its recipient and is signed by that key's holder (writer = the registering identity, or
/// the passphrase): registering says "I, holding this key, checked this file at Standard/Full and vouch for it". Later
/// Standard/Full checks and restores with the same key then authenticate it. That is exactly as strong as the
/// registrar's judgement: a file someone else encrypted to your public key and planted in the directory is vouched for
/// if you register it, so register only files you know the origin of (the log records who registered what).
/// </para>
/// </summary>
public sealed class OrphanRegistration(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public bool AllowInsecureDirectory { get; init; }

    /// <returns>The verification; when it passed, its Backup is the registered backup (IsOrphan false).</returns>
    /// <param name="keys">What opens an encrypted orphan (required for one); the key that opens it signs its manifest.</param>
    public VerificationResult Register(BackupInfo orphan, VerificationLevel level, string? query = null,
        Action<BackupProgress>? progress = null, CancellationToken ct = default, Encryption.BackupKeys? keys = null)
    {
        string file = orphan.Path;
        if (level < VerificationLevel.Standard)
            throw BackupErrors.OrphanNotRegistered(file, "a Quick check compares the file with its manifest, and an orphan has none. Use -VerificationLevel Standard or Full.");
        // Re-derived from disk: the object may have come through a pipeline.
        using var store = new LocalDirectoryStore(orphan.Directory, new StoreOptions { AllowInsecureDirectory = AllowInsecureDirectory });
        var current = new StoreCatalog(_log).ListOrphans(store, null, ct)
            .FirstOrDefault(o => o.Path == file)
            ?? throw BackupErrors.OrphanNotRegistered(file, "it is not (or no longer) an orphan in that directory: a manifest exists, the file is gone, not ours, or younger than an hour.");

        var m = current.Manifest;
        bool encrypted = m.File.EndsWith(BackupNaming.AgeExtension, StringComparison.Ordinal);
        Encryption.BackupEncryption? sealer = null;
        if (encrypted)
        {
            if (keys == null || keys.IsEmpty) throw BackupErrors.OrphanEncryptedNeedsKey(file);
            sealer = Sealer(store, m.File, keys, file, ct);
        }
        m.Id = m.Id + Guid.NewGuid().ToString("N")[8..];
        m.SourcePath = "";
        m.Tool = $"SqliteBackup {typeof(OrphanRegistration).Assembly.GetName().Version?.ToString(3)} (registered orphan)";
        using (var scratch = ScratchDirectory.Create(null, orphan.Directory, _log))
        {
            string db = scratch.File("orphan.db");
            try
            {
                // One read: the stored bytes are hashed as they are decompressed.
                using (var input = store.OpenRead(m.File, ct))
                {
                    var pass = Unpacker.Run(input, m.Compression, db, null, ct, encrypted ? stored => keys!.Decrypt(stored, file) : null);
                    if (pass.Failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(pass.Failure);
                    (m.StoredSha256, m.StoredSize, m.RawSha256, m.RawSize) = (pass.StoredSha256, pass.StoredSize, pass.RawSha256, pass.RawSize);
                }
                using var c = SqliteFiles.Open(db, SqliteOpenMode.ReadOnly);
                m.PageSize = Convert.ToInt32(SqliteFiles.Scalar(c, "PRAGMA page_size"));
                m.PageCount = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA page_count"));
                m.UserVersion = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA user_version"));
                m.JournalMode = Convert.ToString(SqliteFiles.Scalar(c, "PRAGMA journal_mode")) ?? "";
                m.SqliteVersion = Convert.ToString(SqliteFiles.Scalar(c, "SELECT sqlite_version()"))!;
                m.TableRowCounts = SqliteFiles.RowCounts(c);
            }
            catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException or SqliteException
                || (e is SqliteBackupException x && x.ErrorId == "EncryptedDataDamaged"))
            {
                throw BackupErrors.OrphanNotRegistered(file, "it is not a readable backup: " + e.Message);
            }
        }
        // Signed before the verification, which authenticates what it checks: the registrar's key is the writer.
        sealer?.Seal(m);
        var candidate = new BackupInfo(m, current.ManifestPath);
        var result = new BackupVerifier(_log, null, keys).Verify(candidate, store, level, query, progress, ct, record: false);
        if (!result.Passed)
        {
            _log.LogWarning("Orphan {File} failed {Level} verification and was not registered: {Message}", file, level, result.Message);
            return result;
        }
        m.Verifications.Add(result.ToRecord());
        // Create-only: a manifest that appeared meanwhile is never replaced.
        using (var json = new MemoryStream(m.ToJson())) store.Put(m.File + BackupManifest.Suffix, json, createOnly: true, ct: ct);
        if (sealer != null)
            _log.LogInformation(Logging.BackupEvents.OrphanRegistered, "Registered encrypted orphan {Path} as backup {Id} of {Database} after a passing {Level} verification, signed by {Signer}",
                file, m.Id, m.Database, level, sealer.UsesPassphrase ? "the passphrase" : sealer.Writer!.Recipient.ToString());
        else
            _log.LogInformation(Logging.BackupEvents.OrphanRegistered, "Registered orphan {Path} as backup {Id} of {Database} after a passing {Level} verification",
                file, m.Id, m.Database, level);
        return result;
    }

    /// <summary>
    /// The key that opens the file signs its manifest: each identity is tried on the age header alone (nothing is
    /// decrypted yet), then the passphrase. None: EncryptionWrongIdentity, and nothing is written.
    /// </summary>
    static Encryption.BackupEncryption Sealer(IBackupStore store, string name, Encryption.BackupKeys keys, string file, CancellationToken ct)
    {
        SqliteBackupException? refused = null;
        bool Opens(Encryption.IAgeIdentity identity)
        {
            using var stored = store.OpenRead(name, ct);
            try
            {
                using (Encryption.AgeDecryptingStream.Open(stored, [identity], file, leaveOpen: true)) { }
                return true;
            }
            catch (SqliteBackupException e) when (e.ErrorId == "EncryptionWrongIdentity") { refused = e; return false; }
        }
        foreach (var identity in keys.Identities)
            if (Opens(identity)) return Encryption.BackupEncryption.ToRecipients([identity.Recipient], identity);
        if (keys.Passphrase is { } passphrase && Opens(new Encryption.AgeScryptIdentity(passphrase)))
            return Encryption.BackupEncryption.WithPassphrase(passphrase);
        throw refused ?? BackupErrors.EncryptionIdentityMissing(file);
    }
}
