using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Format;

/// <summary>
/// The manifest and the backup log are written by JSON code generated at build time; every manifest and log line already
/// on disk was written by System.Text.Json's reflection with the options below. Both must read each other's output, and
/// write the same bytes, or a module update would rewrite (and re-hash) what earlier versions wrote.
/// </summary>
public sealed class ManifestJsonTests
{
    static readonly JsonSerializerOptions ReflectionManifest = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    static readonly JsonSerializerOptions ReflectionLog = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    static BackupManifest Plain() => new()
    {
        Id = "0123456789abcdef0123456789abcdef",
        File = "app_20261201-101500_manual_01234567.db.zst",
        Database = "app <&> 'ü'",
        SourcePath = "/srv/data/app.db",
        CreatedUtc = new DateTime(2026, 12, 1, 10, 15, 0, 123, DateTimeKind.Utc),
        Type = BackupType.PreMigration,
        Compression = CompressionKind.Zstd,
        RawSize = 4096,
        StoredSize = 812,
        RawSha256 = new string('a', 64),
        StoredSha256 = new string('b', 64),
        PageSize = 4096,
        PageCount = 1,
        SqliteVersion = "3.46.1",
        UserVersion = 7,
        JournalMode = "wal",
        SnapshotMethod = SnapshotMethod.FileRead,
        TableRowCounts = new(StringComparer.Ordinal) { ["users"] = 3, ["Orders \"x\""] = 0 },
        DurationMs = 42,
        Tags = ["nightly", "ünïcode"],
        Tool = "SqliteBackup 1.0",
        Verifications =
        [
            new VerificationRecord { TimeUtc = new DateTime(2026, 12, 1, 10, 15, 1, DateTimeKind.Utc), Level = VerificationLevel.Standard, Passed = true, Outcome = VerificationOutcome.Passed, DurationMs = 5, Message = "ok" },
            new VerificationRecord { TimeUtc = new DateTime(2026, 12, 1, 10, 16, 1, DateTimeKind.Utc), Level = VerificationLevel.Full, Passed = null, Outcome = VerificationOutcome.Inconclusive, Cause = InconclusiveCause.DiskFull, Message = "scratch full" },
            new VerificationRecord { TimeUtc = new DateTime(2026, 12, 1, 10, 17, 1, DateTimeKind.Utc), Level = VerificationLevel.Quick, Passed = false, Message = "written before Outcome existed" },
        ],
        CopiedFrom = "sftp://backup@host:22/srv/b/app.db.zst",
        CopiedUtc = new DateTime(2026, 12, 1, 11, 0, 0, DateTimeKind.Utc),
    };

    static BackupManifest Encrypted()
    {
        var m = Plain();
        m.SchemaVersion = BackupManifest.EncryptedSchemaVersion;
        m.Transforms = ["zstd", "age"];
        m.Encryption = new EncryptionRecord { Recipients = ["age1example"], Passphrase = true, Writer = "age1writer", Macs = ["mac1", "mac2"], MacSalt = "salt", MacWorkFactor = 18 };
        return m;
    }

    static BackupManifest Snapshot()
    {
        var m = Plain();
        m.SchemaVersion = BackupManifest.SnapshotSchemaVersion;
        m.File = "app_20261201-101500_manual_01234567" + RepositoryNames.SnapshotSuffix;
        m.CopiedFrom = null;
        m.CopiedUtc = null;
        m.Repository = new SnapshotRepository { BlockSize = 65536, BlockCount = 3, Packs = [new PackRef("p1", 100), new PackRef("p2", 200)], Blocks = "QUJD", BlocksSha256 = new string('c', 64), AddedPacks = ["p2"], AddedSize = 200, Parent = "fedcba" };
        return m;
    }

    public static TheoryData<string> Kinds => new() { "plain", "encrypted", "snapshot" };

    static BackupManifest Of(string kind) => kind switch { "encrypted" => Encrypted(), "snapshot" => Snapshot(), _ => Plain() };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_manifest_is_written_byte_for_byte_as_the_reflection_serializer_wrote_it(string kind)
    {
        var m = Of(kind);
        string expected = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(m, ReflectionManifest));
        Assert.Equal(expected, Encoding.UTF8.GetString(m.ToJson()));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_manifest_the_reflection_serializer_wrote_reads_back_whole(string kind)
    {
        var written = JsonSerializer.SerializeToUtf8Bytes(Of(kind), ReflectionManifest);
        var read = BackupManifest.TryParse(written, out string? problem);
        Assert.Null(problem);
        Assert.NotNull(read);
        Assert.Equal(written, JsonSerializer.SerializeToUtf8Bytes(read, ReflectionManifest));
    }

    [Fact]
    public void Enum_values_written_as_numbers_or_in_any_case_read_as_the_reflection_serializer_read_them()
    {
        string json = Encoding.UTF8.GetString(Plain().ToJson())
            .Replace("\"type\": \"PreMigration\"", "\"type\": 2")
            .Replace("\"compression\": \"Zstd\"", "\"compression\": \"zstd\"");
        var ours = BackupManifest.TryParse(Encoding.UTF8.GetBytes(json), out _);
        var theirs = JsonSerializer.Deserialize<BackupManifest>(json, ReflectionManifest);
        Assert.Equal(theirs!.Type, ours!.Type);
        Assert.Equal(theirs.Compression, ours.Compression);
        Assert.Equal(BackupType.PreMigration, ours.Type);
    }

    [Fact]
    public void Property_names_stay_case_sensitive_as_before()
    {
        // The reflection options were case-sensitive: "StoredSha256" is not "storedSha256", so such a manifest has no checksums.
        string json = Encoding.UTF8.GetString(Plain().ToJson()).Replace("\"storedSha256\"", "\"StoredSha256\"");
        Assert.Null(JsonSerializer.Deserialize<BackupManifest>(json, ReflectionManifest)!.StoredSha256 is { Length: 64 } ? "read" : null);
        Assert.Null(BackupManifest.TryParse(Encoding.UTF8.GetBytes(json), out string? problem));
        Assert.Equal("checksums are missing", problem);
    }

    [Theory]
    [InlineData("\"storedSha256\": \"bbbb", "\"storedSha256\": null, \"x\": \"bbbb")]
    [InlineData("\"rawSha256\": \"aaaa", "\"rawSha256\": null, \"x\": \"aaaa")]
    [InlineData("\"id\": \"0123", "\"id\": null, \"x\": \"0123")]
    [InlineData("\"file\": \"app_", "\"file\": null, \"x\": \"app_")]
    public void A_manifest_with_null_for_a_required_string_is_refused_not_a_crash(string from, string to)
    {
        foreach (var m in new[] { Plain(), Snapshot() })
        {
            string json = Encoding.UTF8.GetString(m.ToJson());
            Assert.Contains(from, json);
            Assert.Null(BackupManifest.TryParse(Encoding.UTF8.GetBytes(json.Replace(from, to)), out string? problem));
            Assert.Equal("id, file or checksums are null", problem);
        }
    }

    [Fact]
    public void Nulls_where_other_strings_or_lists_belong_read_as_empty()
    {
        string json = Encoding.UTF8.GetString(Plain().ToJson());
        json = json.Replace("\"database\": \"app \\u003C\\u0026\\u003E \\u0027\\u00FC\\u0027\"", "\"database\": null");
        json = System.Text.RegularExpressions.Regex.Replace(json, "\"tags\": \\[[^\\]]*\\]", "\"tags\": [null, \"t\"]");
        json = System.Text.RegularExpressions.Regex.Replace(json, "\"tableRowCounts\": \\{[^}]*\\}", "\"tableRowCounts\": null");
        json = json.Replace("\"verifications\": [", "\"verifications\": [null, ");
        var m = BackupManifest.TryParse(Encoding.UTF8.GetBytes(json), out string? problem);
        Assert.Null(problem);
        Assert.Equal("", m!.Database);
        Assert.Equal(["t"], m.Tags);
        Assert.Empty(m.TableRowCounts);
        Assert.Equal(3, m.Verifications.Count);
        Assert.DoesNotContain(null, m.Verifications);
    }

    [Fact]
    public void A_log_line_is_written_and_read_as_the_reflection_serializer_did()
    {
        var entry = new BackupLogEntry
        {
            Time = new DateTime(2026, 12, 1, 10, 15, 0, DateTimeKind.Utc), Level = "Warning", Event = "BackupCopied", Database = "app <ü>",
            Size = 812, Error = null, Message = "Copied \"x\" to sftp://h/p", ProcessId = 4242,
        };
        string expected = JsonSerializer.Serialize(entry, ReflectionLog);
        Assert.Equal(expected, entry.ToJsonLine());
        var read = BackupLogEntry.TryParse(expected);
        Assert.Equal(expected, JsonSerializer.Serialize(read, ReflectionLog));
        Assert.Null(BackupLogEntry.TryParse("{\"message\":\"no event\"}"));
    }
}
