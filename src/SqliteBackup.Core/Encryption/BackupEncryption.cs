using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// How a new backup is encrypted (compress, then age) and made authentic. age recipients are public, so anyone can
/// encrypt a forged backup to them; the manifest therefore carries a MAC per recipient under a key only the writer and
/// that recipient can compute: HKDF(X25519(w, R_i)) = HKDF(X25519(r_i, W)). In passphrase mode the MAC key comes from the
/// passphrase (scrypt) instead.
/// </summary>
public sealed class BackupEncryption
{
    internal static readonly byte[] MacInfo = Encoding.ASCII.GetBytes("sqlitebackup manifest mac v1");

    readonly string? _passphrase;
    readonly int _workFactor;

    BackupEncryption(IReadOnlyList<AgeX25519Recipient> recipients, AgeX25519Identity? writer, string? passphrase, int workFactor)
    {
        Recipients = recipients;
        Writer = writer;
        _passphrase = passphrase;
        _workFactor = workFactor;
    }

    public IReadOnlyList<AgeX25519Recipient> Recipients { get; }
    /// <summary>The identity that signs (MACs) the manifests; null in passphrase mode.</summary>
    public AgeX25519Identity? Writer { get; }
    public bool UsesPassphrase => _passphrase != null;

    /// <summary>To public keys; <paramref name="writer"/> is the writer's own identity (its secret key never leaves this process).</summary>
    public static BackupEncryption ToRecipients(IReadOnlyList<AgeX25519Recipient> recipients, AgeX25519Identity writer)
    {
        if (recipients.Count == 0) throw new ArgumentException("At least one recipient is needed.", nameof(recipients));
        return new BackupEncryption(recipients.Distinct().ToList(), writer, null, 0);
    }

    public static BackupEncryption WithPassphrase(string passphrase, int workFactor = AgeScryptRecipient.DefaultWorkFactor)
    {
        if (string.IsNullOrEmpty(passphrase)) throw BackupErrors.EncryptionPassphraseEmpty();
        if (workFactor > AgeScryptIdentity.DefaultMaxWorkFactor) throw BackupErrors.EncryptionWorkFactorTooHigh(workFactor, AgeScryptIdentity.DefaultMaxWorkFactor);
        return new BackupEncryption([], null, passphrase, workFactor);
    }

    internal IReadOnlyList<IAgeRecipient> AgeRecipients =>
        _passphrase != null ? [new AgeScryptRecipient(_passphrase, _workFactor)] : Recipients.Cast<IAgeRecipient>().ToList();

    /// <summary>The keys this writer itself holds, for verifying what it just wrote (null: it can not open its own backups).</summary>
    internal BackupKeys? OwnKeys =>
        _passphrase != null ? BackupKeys.FromPassphrase(_passphrase)
        : Writer != null && Recipients.Contains(Writer.Recipient) ? new BackupKeys([Writer]) : null;

    /// <summary>What this writer holds to open what it encrypted to itself (an incremental repository's key object).</summary>
    internal BackupKeys WriterKeys => _passphrase != null ? BackupKeys.FromPassphrase(_passphrase) : new BackupKeys([Writer!]);

    /// <summary>Records the transform chain and the MACs; the manifest's hashes and sizes must be final.</summary>
    internal void Seal(BackupManifest m)
    {
        m.SchemaVersion = BackupManifest.EncryptedSchemaVersion;
        m.Transforms = m.Compression == CompressionKind.None ? [EncryptionRecord.AgeFormat] : [m.Compression.ToString().ToLowerInvariant(), EncryptionRecord.AgeFormat];
        var record = new EncryptionRecord { Passphrase = _passphrase != null, Recipients = Recipients.Select(r => r.ToString()).ToList() };
        m.Encryption = record;
        if (_passphrase != null)
        {
            var salt = RandomNumberGenerator.GetBytes(16);
            record.MacSalt = Convert.ToHexString(salt).ToLowerInvariant();
            record.MacWorkFactor = _workFactor;
            var key = PassphraseMacKey(_passphrase, salt, _workFactor);
            record.Macs = [Mac(key, m)];
            CryptographicOperations.ZeroMemory(key);
            return;
        }
        record.Writer = Writer!.Recipient.ToString();
        foreach (var r in Recipients)
        {
            var key = RecipientMacKey(Writer, r, Writer.Recipient, r) ?? throw BackupErrors.EncryptionRecipientInvalid($"'{r}'", "it is a low-order point with which no key can be agreed");
            record.Macs.Add(Mac(key, m));
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>HKDF over X25519(own, peer), salted with both public keys in writer-then-recipient order.</summary>
    internal static byte[]? RecipientMacKey(AgeX25519Identity own, AgeX25519Recipient peer, AgeX25519Recipient writer, AgeX25519Recipient recipient)
    {
        var shared = own.Agree(peer);
        if (shared == null || shared.All(b => b == 0)) return null;
        var salt = writer.PublicKey.ToArray().Concat(recipient.PublicKey.ToArray()).ToArray();
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt, MacInfo);
        CryptographicOperations.ZeroMemory(shared);
        return key;
    }

    internal static byte[] PassphraseMacKey(string passphrase, byte[] salt, int workFactor)
    {
        var pass = Encoding.UTF8.GetBytes(passphrase);
        var stretched = Org.BouncyCastle.Crypto.Generators.SCrypt.Generate(pass, MacInfo.Concat(salt).ToArray(), 1 << workFactor, 8, 1, 32);
        CryptographicOperations.ZeroMemory(pass);
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, stretched, 32, salt, MacInfo);
        CryptographicOperations.ZeroMemory(stretched);
        return key;
    }

    internal static string Mac(byte[] key, BackupManifest m) => Convert.ToHexString(HMACSHA256.HashData(key, AuthenticatedBytes(m))).ToLowerInvariant();

    /// <summary>
    /// The fields the MAC covers, as a JSON array (unambiguous: every value is quoted or a number). Everything that says
    /// which bytes are the backup and what they must decrypt and decompress to; verification records and durations,
    /// written later, are not covered.
    /// </summary>
    internal static byte[] AuthenticatedBytes(BackupManifest m)
    {
        var e = m.Encryption!;
        object?[] fields =
        [
            "sqlitebackup manifest mac v1", m.Id, m.File, m.Database, m.CreatedUtc.ToUniversalTime().Ticks, m.Type.ToString(),
            m.RawSize, m.RawSha256, m.StoredSize, m.StoredSha256, m.Compression.ToString(), m.Transforms ?? [],
            e.Format, e.Recipients, e.Passphrase, e.Writer ?? "", e.MacSalt ?? "", e.MacWorkFactor ?? 0,
        ];
        // A snapshot's stored form is its block list and the packs it names (plain backups' MACs are unchanged).
        if (m.Repository is { } r)
            fields = [.. fields, "snapshot", r.BlockSize, r.BlockCount, r.BlocksSha256, r.Packs.Select(p => new object[] { p.Name, p.Size }).ToList()];
        return JsonSerializer.SerializeToUtf8Bytes(fields);
    }
}
