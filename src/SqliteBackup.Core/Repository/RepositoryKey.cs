using System.Security.Cryptography;
using System.Text;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// The secret of an encrypted repository: an age X25519 identity created with the repository and stored in it as
/// <see cref="ObjectName"/>, an age file (its plaintext is an age identity file) encrypted to the repository's recipients
/// and the writer's own key, or to the passphrase. Packs are age files encrypted to its public key (one X25519 stanza per
/// 16 MiB pack: cheap, where a scrypt stanza per pack would cost a second each), so
/// <c>age -d -i mine.key sqlitebackup-repository.key.age &gt; repo.key; age -d -i repo.key pack-….pack</c> gives a pack's
/// zstd frames with nothing of ours installed. Block ids are HMAC-SHA-256 under a key derived from it (HKDF), so neither
/// object names nor indexes reveal the SHA-256 of any plain-text block, and dedup still works within the repository.
/// </summary>
public sealed class RepositoryKey : IDisposable
{
    public const string ObjectName = "sqlitebackup-repository.key.age";
    static readonly byte[] BlockIdInfo = Encoding.ASCII.GetBytes("sqlitebackup repository block id v1");

    readonly AgeX25519Identity _identity;
    readonly byte[] _blockKey;

    RepositoryKey(AgeX25519Identity identity)
    {
        _identity = identity;
        var secret = identity.SecretBytes();
        _blockKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, identity.Recipient.ToString().Select(c => (byte)c).ToArray(), BlockIdInfo);
        CryptographicOperations.ZeroMemory(secret);
    }

    /// <summary>The public key packs are encrypted to (recorded in the repository's config; public).</summary>
    public AgeX25519Recipient PackRecipient => _identity.Recipient;

    internal IReadOnlyList<IAgeRecipient> PackRecipients => [_identity.Recipient];

    /// <summary>A block's id: HMAC-SHA-256 of its raw bytes under the repository's block key.</summary>
    public BlockHash BlockId(ReadOnlySpan<byte> data)
    {
        // One keyed HMAC context per thread, reset after each block: the one-shot HMACSHA256.HashData sets the key up
        // again for every 4 KiB block (256 MiB after churn, bench/Measure-EncryptedIncremental.ps1: encrypted/plain
        // 1.23x with the one-shot, 1.09x with this).
        var (owner, hmac) = t_hmac;
        if (!ReferenceEquals(owner, this))
        {
            hmac?.Dispose();
            hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _blockKey);
            t_hmac = (this, hmac);
        }
        Span<byte> h = stackalloc byte[32];
        hmac!.AppendData(data);
        hmac.GetHashAndReset(h);
        return BlockHash.From(h);
    }

    [ThreadStatic] static (RepositoryKey?, IncrementalHash?) t_hmac;

    /// <summary>The plaintext (zstd frames) of a pack's stored bytes; damage or truncation throws EncryptedDataDamaged.</summary>
    public Stream OpenPack(Stream stored, string name) => AgeDecryptingStream.Open(stored, [_identity], name);

    /// <summary>
    /// Creates the key object create-only; when another writer created it first, theirs is opened with this writer's own
    /// keys (one secret wins, the other uses it).
    /// </summary>
    internal static RepositoryKey CreateOrOpen(IBackupStore store, BackupEncryption encryption, CancellationToken ct)
    {
        var identity = AgeX25519Identity.Generate();
        var text = Encoding.ASCII.GetBytes(AgeIdentityFile.Render(identity, DateTimeOffset.UtcNow));
        var recipients = encryption.AgeRecipients.ToList();
        if (encryption.Writer is { } w && !encryption.Recipients.Contains(w.Recipient)) recipients.Add(w.Recipient);
        try
        {
            using var plain = new MemoryStream(text);
            using var sealer = new AgeEncryptingReader(plain, recipients);
            using var stored = new MemoryStream();
            sealer.CopyTo(stored);
            stored.Position = 0;
            store.Put(ObjectName, stored, createOnly: true, null, ct);
            return new RepositoryKey(identity);
        }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
        {
            return Open(store, encryption.WriterKeys, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    /// <summary>Opens the key object with the identities or passphrase held.</summary>
    /// <exception cref="SqliteBackupException">EncryptionIdentityMissing, EncryptionWrongIdentity, RepositoryPackMissing (no key object), RepositoryDamaged.</exception>
    public static RepositoryKey Open(IBackupStore store, BackupKeys? keys, CancellationToken ct = default)
    {
        string name = store.Location.TrimEnd('/') + "/" + ObjectName;
        if (keys == null || keys.IsEmpty) throw BackupErrors.EncryptionIdentityMissing(name);
        byte[] stored;
        try { stored = store.ReadAllBytes(ObjectName, ct, 1 << 16); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { throw BackupErrors.RepositoryPackMissing(store.Location, ObjectName, null); }
        using var input = new MemoryStream(stored);
        byte[] text;
        using (var plain = AgeDecryptingStream.Open(input, keys.AgeIdentities, name))
        using (var ms = new MemoryStream())
        {
            try { plain.CopyTo(ms); }
            catch (SqliteBackupException e) when (e.ErrorId == "EncryptedDataDamaged") { throw BackupErrors.RepositoryDamaged(store.Location, ObjectName, null, e.Message); }
            text = ms.ToArray();
        }
        try
        {
            IReadOnlyList<AgeX25519Identity> ids;
            try { ids = AgeIdentityFile.Parse(Encoding.ASCII.GetString(text), ObjectName); }
            catch (SqliteBackupException) { throw BackupErrors.RepositoryDamaged(store.Location, ObjectName, null, "it does not hold one age identity"); }
            if (ids.Count != 1) throw BackupErrors.RepositoryDamaged(store.Location, ObjectName, null, "it does not hold exactly one age identity");
            return new RepositoryKey(ids[0]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    public override string ToString() => $"repository key for {PackRecipient}";

    public void Dispose() => CryptographicOperations.ZeroMemory(_blockKey);
}
