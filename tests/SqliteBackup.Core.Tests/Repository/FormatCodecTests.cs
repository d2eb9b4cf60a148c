using System.Text;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage.Local;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

public sealed class FormatCodecTests
{
    public static TheoryData<string, int[]> BlockLists => new()
    {
        { "empty", [] },
        { "one block", [0, 0] },
        { "one new run", [0, 0, 0, 1, 0, 2, 0, 3] },
        { "shared then new, then back", [0, 5, 0, 6, 1, 0, 1, 1, 0, 7, 2, 3] },
        { "repeated block (zero pages)", [0, 0, 0, 0, 0, 0, 3, 9, 3, 9] },
        { "large entries", [4, 400_000, 0, 0, 4, 399_999] },
    };

    static BlockRef[] Refs(int[] pairs) => Enumerable.Range(0, pairs.Length / 2).Select(i => new BlockRef(pairs[2 * i], pairs[2 * i + 1])).ToArray();

    [Theory]
    [MemberData(nameof(BlockLists))]
    public void A_block_list_round_trips(string _, int[] pairs)
    {
        var refs = Refs(pairs);
        var (blocks, sha) = BlockList.Encode(refs);
        var back = BlockList.TryDecode(blocks, sha, refs.Length, 5, out var problem);
        Assert.Null(problem);
        Assert.Equal(refs, back);
    }

    [Fact]
    public void An_unchanged_run_of_a_gibibyte_encodes_in_a_few_bytes()
    {
        var refs = Enumerable.Range(0, 262_144).Select(i => new BlockRef(i / 4000, i % 4000)).ToArray();
        var (blocks, _) = BlockList.Encode(refs);
        Assert.True(blocks.Length < 4096, $"{blocks.Length} base64 chars");
    }

    [Fact]
    public void A_damaged_truncated_or_out_of_range_block_list_is_refused()
    {
        var refs = Refs([0, 0, 0, 1, 1, 0, 1, 1]);
        var raw = BlockList.EncodeRaw(refs);
        var (blocks, sha) = BlockList.Encode(refs);
        // Wrong hash: damaged.
        Assert.Null(BlockList.TryDecode(blocks, new string('0', 64), 4, 2, out var p1));
        Assert.Contains("blocksSha256", p1);
        // Not base64 / not zstd.
        Assert.Null(BlockList.TryDecode("!!", sha, 4, 2, out var p2));
        Assert.Null(BlockList.TryDecode(Convert.ToBase64String(raw), sha, 4, 2, out _));
        // Truncated: fewer pairs than blocks.
        Assert.Null(BlockList.TryDecodeRaw(raw.AsSpan(0, raw.Length - 1), 4, 2, out var p3));
        Assert.Contains("truncated", p3);
        // Trailing bytes.
        Assert.Null(BlockList.TryDecodeRaw(raw.Concat(new byte[] { 0 }).ToArray(), 4, 2, out _));
        // A pack index outside the packs listed.
        Assert.Null(BlockList.TryDecodeRaw(raw, 4, 1, out var p4));
        Assert.Contains("outside", p4);
    }

    static PackEntry[] Entries(int n) => Enumerable.Range(0, n)
        .Select(i => new PackEntry(BlockHash.Of(Encoding.ASCII.GetBytes("block " + i)), i * 100L, 100, 4096)).ToArray();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    public void A_pack_index_round_trips(int n)
    {
        var entries = Entries(n);
        var back = PackIndex.TryDecode(PackIndex.Encode(entries), out var problem);
        Assert.Null(problem);
        Assert.Equal(entries, back);
    }

    public static TheoryData<string, int, string> Damages => new()
    {
        // (what, byte to flip or -n = truncate by n, expected words)
        { "flipped hash byte", 20, "checksum" },
        { "flipped offset", 16 + 32, "checksum" },
        { "flipped trailer", -1000, "checksum" },
        { "torn: last bytes missing", -1, "checksum" },
        { "torn: only the header", -2, "SQLBKIDX" },
        { "not an index", -3, "SQLBKIDX" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_or_torn_pack_index_is_refused(string what, int at, string expected)
    {
        var bytes = PackIndex.Encode(Entries(3));
        byte[] spoilt = at switch
        {
            >= 0 => Flip(bytes, at),
            -1000 => Flip(bytes, bytes.Length - 1),
            -1 => bytes[..^7],
            -2 => bytes[..10],
            _ => Encoding.ASCII.GetBytes("{\"schema\":\"json\"}"),
        };
        Assert.Null(PackIndex.TryDecode(spoilt, out var problem));
        Assert.Contains(expected, problem);
        _ = what;
    }

    static byte[] Flip(byte[] b, int at)
    {
        var c = (byte[])b.Clone();
        c[at] ^= 0x40;
        return c;
    }

    [Fact]
    public void A_missing_or_damaged_index_is_a_clear_error_naming_the_pack_and_snapshot()
    {
        using var dir = new TempDir();
        using var store = new LocalDirectoryStore(dir.Path);
        string pack = RepositoryNames.Pack(new string('a', 64));
        var missing = Assert.Throws<SqliteBackupException>(() => PackIndex.Read(store, pack, "db_x.snapshot"));
        Assert.Equal("RepositoryPackMissing", missing.ErrorId);
        Assert.Contains("db_x.snapshot", missing.Message);
        File.WriteAllBytes(dir[RepositoryNames.IndexOf(pack)], PackIndex.Encode(Entries(2))[..^1]);
        var damaged = Assert.Throws<SqliteBackupException>(() => PackIndex.Read(store, pack, "db_x.snapshot"));
        Assert.Equal("RepositoryDamaged", damaged.ErrorId);
        Assert.Contains(RepositoryNames.IndexOf(pack), damaged.Message);
    }

    public static TheoryData<string, string?> Configs => new()
    {
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"sha256","compression":"zstd"}""", null },
        { """{"schema":"sqlitebackup.repository","schemaVersion":2,"id":"x","blockSize":4096,"hash":"sha256","compression":"zstd"}""", "newer" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"blake3","compression":"zstd"}""", "hash" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"hmac-sha256","compression":"zstd"}""", "records no encryption" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"sha256","compression":"zstd","encryption":{"recipients":[],"passphrase":true,"key":"sqlitebackup-repository.key.age","packKey":"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}}""", "plain SHA-256" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"hmac-sha256","compression":"zstd","encryption":{"recipients":[],"passphrase":true,"key":"sqlitebackup-repository.key.age","packKey":"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}}""", null },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"hmac-sha256","compression":"zstd","encryption":{"recipients":[],"passphrase":false,"key":"sqlitebackup-repository.key.age","packKey":"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}}""", "neither" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"hmac-sha256","compression":"zstd","encryption":{"recipients":[],"passphrase":true,"key":"other.age","packKey":"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}}""", "key object" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"hmac-sha256","compression":"zstd","encryption":{"recipients":[],"passphrase":true,"key":"sqlitebackup-repository.key.age","packKey":"AGE-SECRET-KEY-1"}}""", "not an age public key" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":4096,"hash":"sha256","compression":"lz4"}""", "compression" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":3000,"hash":"sha256","compression":"zstd"}""", "power of two" },
        { """{"schema":"sqlitebackup.repository","schemaVersion":1,"id":"x","blockSize":256,"hash":"sha256","compression":"zstd"}""", "power of two" },
        { """{"schema":"other","schemaVersion":1,"id":"x","blockSize":4096,"hash":"sha256","compression":"zstd"}""", "schema" },
        { """{"schema":"sqlitebackup.repository","sch""", "JSON" },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void A_repository_config_is_validated(string json, string? problemContains)
    {
        var c = RepositoryConfig.TryParse(Encoding.UTF8.GetBytes(json), out var problem);
        if (problemContains == null) Assert.NotNull(c);
        else
        {
            Assert.Null(c);
            Assert.Contains(problemContains, problem);
        }
    }

    [Fact]
    public void The_config_is_created_once_and_kept_and_another_block_size_is_refused()
    {
        using var dir = new TempDir();
        using var store = new LocalDirectoryStore(dir.Path);
        var first = RepositoryConfig.OpenOrCreate(store, 16384);
        var again = RepositoryConfig.OpenOrCreate(store, null);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(16384, again.BlockSize);
        Assert.Equal("RepositoryBlockSizeMismatch", Assert.Throws<SqliteBackupException>(() => RepositoryConfig.OpenOrCreate(store, 4096)).ErrorId);
        Assert.Equal("RepositoryBlockSizeInvalid", Assert.Throws<SqliteBackupException>(() => RepositoryConfig.OpenOrCreate(store, 1000)).ErrorId);
        File.WriteAllText(dir[RepositoryNames.Config], "{}");
        Assert.Equal("RepositoryConfigInvalid", Assert.Throws<SqliteBackupException>(() => RepositoryConfig.OpenOrCreate(store, null)).ErrorId);
    }

    static BackupManifest Snapshot() => new()
    {
        Id = new string('1', 32), File = "app_20260101-000000_manual_11111111.snapshot", RawSha256 = new string('2', 64), StoredSha256 = new string('3', 64),
        SchemaVersion = BackupManifest.SnapshotSchemaVersion,
        Repository = new SnapshotRepository { BlockSize = 4096, BlockCount = 1, Packs = [new PackRef(RepositoryNames.Pack(new string('a', 64)), 10)], Blocks = "x", BlocksSha256 = new string('4', 64) },
    };

    [Fact]
    public void A_snapshot_manifest_is_version_2_with_its_repository_and_round_trips()
    {
        var m = Snapshot();
        var back = BackupManifest.TryParse(m.ToJson(), out var problem);
        Assert.Null(problem);
        Assert.True(back!.IsSnapshot);
        Assert.Equal(m.Repository!.Packs, back.Repository!.Packs);

        m.Repository = null;
        Assert.Null(BackupManifest.TryParse(m.ToJson(), out problem));
        Assert.Contains("no repository", problem);
        m = Snapshot();
        m.SchemaVersion = 4; // 3 is an encrypted plain backup (issue 13)
        Assert.Null(BackupManifest.TryParse(m.ToJson(), out problem));
        Assert.Contains("newer", problem);
        m = Snapshot();
        m.SchemaVersion = 1;
        Assert.Null(BackupManifest.TryParse(m.ToJson(), out _));
    }

    [Fact]
    public void A_plain_manifest_stays_version_1_without_a_repository_property()
    {
        var m = new BackupManifest { Id = "x", File = "a.db.zst", RawSha256 = new string('2', 64), StoredSha256 = new string('3', 64) };
        string json = Encoding.UTF8.GetString(m.ToJson());
        Assert.DoesNotContain("repository", json, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"schemaVersion\": 1", json);
    }

    [Fact]
    public void Snapshot_file_names_parse_and_are_not_backup_file_names()
    {
        string name = BackupNaming.SnapshotFileName("app", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), Backups.BackupType.Automatic, new string('c', 32));
        Assert.Equal("app_20260102-030405_automatic_cccccccc.snapshot", name);
        Assert.True(BackupNaming.TryParseSnapshot(name, out var parsed));
        Assert.Equal("app", parsed.Database);
        Assert.False(BackupNaming.IsBackupFileName(name));
        Assert.True(RepositoryNames.IsSnapshotManifest(name + BackupManifest.Suffix));
        Assert.True(RepositoryNames.IsPack(RepositoryNames.Pack(new string('f', 64))));
        Assert.False(RepositoryNames.IsPack("pack-xyz.pack"));
    }
}
