using System.Text.Json;
using System.Text.Json.Serialization;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// The repository's one config object, written create-only by the first incremental backup; a racing second writer
/// gets StoreObjectExists and reads the winner's. "hash" and "compression" are named so that a later version (keyed
/// hashes for encryption) can change them: any value this version does not know is refused, never guessed.
/// </summary>
public sealed class RepositoryConfig
{
    public const string SchemaName = "sqlitebackup.repository";
    public const int CurrentSchemaVersion = 1;
    public const int DefaultBlockSize = 4096;
    public const int MinBlockSize = 512;
    public const int MaxBlockSize = 1 << 20;

    public string Schema { get; set; } = SchemaName;
    public int SchemaVersion { get; set; } = CurrentSchemaVersion;
    public string Id { get; set; } = "";
    public int BlockSize { get; set; } = DefaultBlockSize;
    public string Hash { get; set; } = "sha256";
    public string Compression { get; set; } = "zstd";
    public DateTime CreatedUtc { get; set; }
    /// <summary>Null: not encrypted. Fixed when the repository is created; public keys only, never a secret.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RepositoryEncryption? Encryption { get; set; }

    public const string KeyedHash = "hmac-sha256";

    static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    public static RepositoryConfig New(int? blockSize) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        BlockSize = blockSize ?? DefaultBlockSize,
        CreatedUtc = DateTime.UtcNow,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    public static bool IsValidBlockSize(int size) => size >= MinBlockSize && size <= MaxBlockSize && (size & (size - 1)) == 0;

    /// <summary>Parses and validates; null with the reason otherwise.</summary>
    public static RepositoryConfig? TryParse(ReadOnlySpan<byte> json, out string? problem)
    {
        RepositoryConfig? c;
        try { c = JsonSerializer.Deserialize<RepositoryConfig>(json, Options); }
        catch (JsonException e)
        {
            problem = $"not valid JSON ({e.Message})";
            return null;
        }
        problem = c switch
        {
            null => "empty document",
            { Schema: not SchemaName } => $"schema '{c.Schema}' is not '{SchemaName}'",
            { SchemaVersion: > CurrentSchemaVersion } => $"schema version {c.SchemaVersion} is newer than this module understands ({CurrentSchemaVersion}); update the module",
            { SchemaVersion: < 1 } => $"schema version {c.SchemaVersion} is invalid",
            { Hash: not ("sha256" or KeyedHash) } => $"hash '{c.Hash}' is not one this module knows (sha256, {KeyedHash})",
            { Hash: "sha256", Encryption: not null } => "it is encrypted but names blocks by plain SHA-256",
            { Hash: KeyedHash, Encryption: null } => $"it names blocks by {KeyedHash} but records no encryption",
            { Encryption: { Format: not EncryptionRecord.AgeFormat } } => $"encryption format '{c.Encryption.Format}' is not 'age'",
            { Encryption: { } e } when !e.IsValid(out var why) => why,
            { Compression: not "zstd" } => $"compression '{c.Compression}' is not one this module knows (zstd)",
            _ when !IsValidBlockSize(c.BlockSize) => $"block size {c.BlockSize} is not a power of two between {MinBlockSize} and {MaxBlockSize}",
            _ when string.IsNullOrEmpty(c.Id) => "id is missing",
            _ => null,
        };
        return problem == null ? c : null;
    }

    /// <summary>The config at <paramref name="store"/>, or null when there is none yet; a damaged or unknown one is an error.</summary>
    public static RepositoryConfig? Read(IBackupStore store, CancellationToken ct = default)
    {
        if (store.Stat(RepositoryNames.Config, ct) == null) return null;
        byte[] json;
        try { json = store.ReadAllBytes(RepositoryNames.Config, ct, 1 << 20); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { return null; }
        return TryParse(json, out var problem) ?? throw BackupErrors.RepositoryConfigInvalid(store.Location, problem!);
    }

    /// <summary>
    /// The config, created create-only when missing (with <paramref name="blockSize"/> or the default), and for an
    /// encrypted repository its key. An existing repository keeps its block size and its encryption: asking for another
    /// is an error rather than a silently different one.
    /// </summary>
    public static RepositoryConfig OpenOrCreate(IBackupStore store, int? blockSize, CancellationToken ct = default) =>
        OpenOrCreate(store, blockSize, null, out _, ct);

    internal static RepositoryConfig OpenOrCreate(IBackupStore store, int? blockSize, BackupEncryption? encryption, out RepositoryKey? key, CancellationToken ct = default)
    {
        if (blockSize is { } wanted && !IsValidBlockSize(wanted)) throw BackupErrors.RepositoryBlockSizeInvalid(wanted);
        key = null;
        var config = Read(store, ct);
        if (config == null)
        {
            var fresh = New(blockSize);
            if (encryption != null)
            {
                // The key first: a config that says "encrypted" is never without the key it names. Racing writers share
                // the one key object that was created first.
                key = RepositoryKey.CreateOrOpen(store, encryption, ct);
                fresh.Hash = KeyedHash;
                fresh.Encryption = RepositoryEncryption.Of(encryption, key.PackRecipient);
            }
            try
            {
                using var ms = new MemoryStream(fresh.ToJson());
                store.Put(RepositoryNames.Config, ms, createOnly: true, null, ct);
                config = fresh;
            }
            // Another backup created it first: theirs is the repository's.
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectExists")
            {
                config = Read(store, ct) ?? throw BackupErrors.RepositoryConfigInvalid(store.Location, "it vanished right after it was created");
            }
        }
        CheckBlockSize(config, store.Location, blockSize);
        CheckEncryption(config, store.Location, encryption);
        if (encryption != null)
        {
            key ??= RepositoryKey.Open(store, encryption.WriterKeys, ct);
            CheckKey(config, store.Location, key);
        }
        return config;
    }

    /// <summary>The key object must be the one the config names (a swapped key object would split the repository).</summary>
    internal static void CheckKey(RepositoryConfig config, string location, RepositoryKey key)
    {
        if (config.Encryption?.PackKey != key.PackRecipient.ToString())
            throw BackupErrors.RepositoryDamaged(location, RepositoryKey.ObjectName, null, $"it holds the key of {key.PackRecipient}, the repository's config names {config.Encryption?.PackKey}");
    }

    /// <summary>An encrypted backup only into a repository encrypted the same way, an unencrypted one only into an unencrypted one.</summary>
    public static void CheckEncryption(RepositoryConfig config, string location, BackupEncryption? encryption)
    {
        var e = config.Encryption;
        if (e == null && encryption == null) return;
        if (e == null) throw BackupErrors.RepositoryEncryptionMismatch(location, "the repository is not encrypted and the backup asks for encryption", null);
        if (encryption == null) throw BackupErrors.RepositoryEncryptionMismatch(location, "the repository is encrypted and the backup asks for none", e.Describe());
        if (e.Passphrase != encryption.UsesPassphrase)
            throw BackupErrors.RepositoryEncryptionMismatch(location, e.Passphrase ? "the repository is encrypted with a passphrase, the backup to recipients" : "the repository is encrypted to recipients, the backup with a passphrase", e.Describe());
        var asked = encryption.Recipients.Select(r => r.ToString()).ToHashSet(StringComparer.Ordinal);
        if (!asked.SetEquals(e.Recipients))
            throw BackupErrors.RepositoryEncryptionMismatch(location, "the backup's recipients are not the repository's", e.Describe());
    }

    public static void CheckBlockSize(RepositoryConfig config, string location, int? blockSize)
    {
        if (blockSize is { } wanted && wanted != config.BlockSize) throw BackupErrors.RepositoryBlockSizeMismatch(location, wanted, config.BlockSize);
    }
}

/// <summary>How a repository is encrypted: public keys and the mode only (the secret is the key object, encrypted).</summary>
public sealed class RepositoryEncryption
{
    public string Format { get; set; } = EncryptionRecord.AgeFormat;
    /// <summary>The age1… public keys the repository key is encrypted to (empty in passphrase mode).</summary>
    public List<string> Recipients { get; set; } = [];
    public bool Passphrase { get; set; }
    /// <summary>The object holding the repository key, age-encrypted.</summary>
    public string Key { get; set; } = RepositoryKey.ObjectName;
    /// <summary>The public key every pack is encrypted to (the repository key's).</summary>
    public string PackKey { get; set; } = "";

    internal static RepositoryEncryption Of(BackupEncryption e, AgeX25519Recipient packKey) => new()
    {
        Recipients = e.Recipients.Select(r => r.ToString()).ToList(),
        Passphrase = e.UsesPassphrase,
        PackKey = packKey.ToString(),
    };

    internal string Describe() => Passphrase ? "a passphrase" : "the recipients " + string.Join(", ", Recipients);

    internal bool IsValid(out string problem)
    {
        problem = "";
        if (Key != RepositoryKey.ObjectName) problem = $"its key object '{Key}' is not '{RepositoryKey.ObjectName}'";
        else if (Passphrase == (Recipients.Count > 0)) problem = "its encryption names both or neither of recipients and a passphrase";
        else if (!Recipients.Append(PackKey).All(Valid)) problem = "its encryption names a key that is not an age public key";
        return problem.Length == 0;
    }

    static bool Valid(string recipient)
    {
        try { AgeX25519Recipient.Parse(recipient); return true; }
        catch (SqliteBackupException) { return false; }
    }
}
