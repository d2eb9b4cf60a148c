using SnapshotNames = SqliteBackup.Core.Repository.RepositoryNames;
using System.Text.Json.Serialization;
using System.Text.Json;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Format;

/// <summary>
/// The JSON document written beside every backup file as '&lt;file&gt;.manifest.json'. It is written last, so
/// its presence is what makes a backup exist. <see cref="File"/> is relative to the manifest's own folder
/// so a backup directory stays valid when it is copied or moved.
/// </summary>
public sealed class BackupManifest
{
    public const string SchemaName = "sqlitebackup.manifest";
    public const int CurrentSchemaVersion = 1;
    /// <summary>
    /// A snapshot in an incremental repository: version 2 so module versions from before repositories refuse it (as newer
    /// than they understand) instead of taking it for a plain backup whose file is missing. Plain backups stay 1.
    /// </summary>
    public const int SnapshotSchemaVersion = 2;
    /// <summary>
    /// An encrypted plain backup: version 3 so module versions from before encryption refuse it (as newer than they
    /// understand) instead of failing to decompress its ciphertext and reporting a good backup as damaged.
    /// </summary>
    public const int EncryptedSchemaVersion = 3;
    public const string Suffix = ".manifest.json";

    public string Schema { get; set; } = SchemaName;
    public int SchemaVersion { get; set; } = CurrentSchemaVersion;
    public string Id { get; set; } = "";
    public string File { get; set; } = "";
    public string Database { get; set; } = "";
    public string SourcePath { get; set; } = "";
    public DateTime CreatedUtc { get; set; }
    public BackupType Type { get; set; }
    public CompressionKind Compression { get; set; }
    public long RawSize { get; set; }
    public long StoredSize { get; set; }
    public string RawSha256 { get; set; } = "";
    public string StoredSha256 { get; set; } = "";
    public int PageSize { get; set; }
    public long PageCount { get; set; }
    public string SqliteVersion { get; set; } = "";
    public long UserVersion { get; set; }
    public string JournalMode { get; set; } = "";
    public SnapshotMethod SnapshotMethod { get; set; }
    public Dictionary<string, long> TableRowCounts { get; set; } = new(StringComparer.Ordinal);
    public long DurationMs { get; set; }
    public List<string> Tags { get; set; } = [];
    public string Tool { get; set; } = "";
    public List<VerificationRecord> Verifications { get; set; } = [];
    /// <summary>For a copy (Copy-SqliteBackup): the backup it was copied from, as "&lt;location&gt;/&lt;file&gt;", never with a secret.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CopiedFrom { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTime? CopiedUtc { get; set; }
    /// <summary>For a snapshot (SchemaVersion 2): where its blocks live; null for a plain backup.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public global::SqliteBackup.Core.Repository.SnapshotRepository? Repository { get; set; }

    /// <summary>A snapshot in an incremental repository rather than a backup file.</summary>
    [JsonIgnore]
    public bool IsSnapshot => Repository != null;

    /// <summary>For an encrypted backup (SchemaVersion 3): the transforms applied in order, e.g. ["zstd", "age"].</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Transforms { get; set; }
    /// <summary>For an encrypted backup: recipients' public keys and the manifest's MACs (never a secret); null when not encrypted.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Encryption.EncryptionRecord? Encryption { get; set; }

    [JsonIgnore]
    public bool IsEncrypted => Encryption != null;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJson.Default.BackupManifest);

    /// <summary>Parses and validates; returns null with a reason for anything that is not one of our manifests.</summary>
    public static BackupManifest? TryParse(ReadOnlySpan<byte> json, out string? problem)
    {
        BackupManifest? m;
        try
        {
            m = JsonSerializer.Deserialize(json, ManifestJson.Default.BackupManifest);
        }
        catch (JsonException e)
        {
            problem = $"not valid JSON ({e.Message})";
            return null;
        }
        problem = m switch
        {
            null => "empty document",
            // JSON null where a string belongs (a hand-edited or damaged manifest): refused here, not a crash further on.
            _ when m.Id is null || m.File is null || m.StoredSha256 is null || m.RawSha256 is null => "id, file or checksums are null",
            { Schema: not SchemaName } => $"schema '{m.Schema}' is not '{SchemaName}'",
            { SchemaVersion: > EncryptedSchemaVersion } => $"schema version {m.SchemaVersion} is newer than this module understands ({EncryptedSchemaVersion}); update the module",
            { SchemaVersion: EncryptedSchemaVersion, Encryption: null } => $"schema version {m.SchemaVersion} is an encrypted backup's but it records no encryption",
            { SchemaVersion: not EncryptedSchemaVersion, Encryption: not null } => "a manifest that records encryption is not schema version 3",
            _ when m.Encryption != null && m.Encryption.Format != global::SqliteBackup.Core.Encryption.EncryptionRecord.AgeFormat => $"encryption format '{m.Encryption.Format}' is not 'age'",
            { SchemaVersion: SnapshotSchemaVersion, Repository: null } => $"schema version {m.SchemaVersion} is a snapshot's but it names no repository",
            { SchemaVersion: CurrentSchemaVersion, Repository: not null } => "a plain backup's manifest (version 1) names a repository",
            _ when m.Repository != null && !m.File.EndsWith(SnapshotNames.SnapshotSuffix, StringComparison.Ordinal) => $"snapshot file '{m.File}' does not end in {SnapshotNames.SnapshotSuffix}",
            { SchemaVersion: < 1 } => $"schema version {m.SchemaVersion} is invalid",
            _ when string.IsNullOrEmpty(m.Id) || string.IsNullOrEmpty(m.File) => "id or file is missing",
            // A manifest must never point outside its own folder: that is what keeps a directory relocatable and safe.
            _ when m.File != System.IO.Path.GetFileName(m.File) => $"file '{m.File}' is not a plain file name",
            _ when m.StoredSha256.Length != 64 || m.RawSha256.Length != 64 => "checksums are missing",
            _ => null,
        };
        if (problem != null) return null;
        m!.Database ??= "";
        m.SourcePath ??= "";
        m.SqliteVersion ??= "";
        m.JournalMode ??= "";
        m.Tool ??= "";
        m.TableRowCounts ??= new(StringComparer.Ordinal);
        m.Tags = m.Tags?.Where(t => t != null).ToList() ?? [];
        m.Verifications = m.Verifications?.Where(v => v != null).ToList() ?? [];
        return m;
    }

    public static string PathFor(string backupFile) => backupFile + Suffix;
}

/// <summary>
/// The manifest's JSON, generated at build time: read by reflection, the first manifest of a process cost 45 ms of
/// start-up (System.Text.Json building its metadata), which every command that lists or copies a backup paid. Written
/// byte for byte as the reflection-based serializer wrote it (ManifestJsonTests), so manifests do not change.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;

public sealed class VerificationRecord
{
    public DateTime TimeUtc { get; set; }
    public VerificationLevel Level { get; set; }
    /// <summary>
    /// True or false when the check proved something; null when it could not run. Null rather than false so that module
    /// versions from before <see cref="Outcome"/> existed refuse the manifest (and leave the backup alone) instead of
    /// reading a check that never ran as a failure and rotating the backup away.
    /// </summary>
    public bool? Passed { get; set; }
    /// <summary>Absent from manifests written before it existed; then <see cref="Passed"/> says it (see <see cref="Result"/>).</summary>
    public VerificationOutcome? Outcome { get; set; }
    /// <summary>Why the check could not run; only for <see cref="VerificationOutcome.Inconclusive"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InconclusiveCause? Cause { get; set; }
    public long DurationMs { get; set; }
    public string Message { get; set; } = "";

    /// <summary>The outcome, for old records too.</summary>
    [JsonIgnore]
    public VerificationOutcome Result => Outcome ?? Passed switch
    {
        true => VerificationOutcome.Passed,
        false => VerificationOutcome.Failed,
        null => VerificationOutcome.Inconclusive,
    };
}
