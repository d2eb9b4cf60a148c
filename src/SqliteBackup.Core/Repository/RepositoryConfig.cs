using System.Text.Json;
using System.Text.Json.Serialization;
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
            { Hash: not "sha256" } => $"hash '{c.Hash}' is not one this module knows (sha256)",
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
    /// The config, created create-only when missing (with <paramref name="blockSize"/> or the default). An existing
    /// repository keeps its block size: asking for another is an error rather than a silently different one.
    /// </summary>
    public static RepositoryConfig OpenOrCreate(IBackupStore store, int? blockSize, CancellationToken ct = default)
    {
        if (blockSize is { } wanted && !IsValidBlockSize(wanted)) throw BackupErrors.RepositoryBlockSizeInvalid(wanted);
        var config = Read(store, ct);
        if (config == null)
        {
            var fresh = New(blockSize);
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
        return config;
    }

    public static void CheckBlockSize(RepositoryConfig config, string location, int? blockSize)
    {
        if (blockSize is { } wanted && wanted != config.BlockSize) throw BackupErrors.RepositoryBlockSizeMismatch(location, wanted, config.BlockSize);
    }
}
