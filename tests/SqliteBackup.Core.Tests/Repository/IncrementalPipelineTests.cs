using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// The incremental backup reads and hashes the image on a second thread, and reassembly decompresses packs on two:
/// a failure on either side surfaces as the error it was, with no manifest; the hashes stay those of the bytes.
/// </summary>
public sealed class IncrementalPipelineTests
{
    /// <summary>Throws <paramref name="failure"/> on the first Put whose name matches.</summary>
    sealed class FailingPut(IBackupStore inner, Func<string, bool> when, Exception failure) : IBackupStore
    {
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
        {
            if (when(name)) throw failure;
            inner.Put(name, content, createOnly, progress, ct);
        }
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() => inner.Dispose();
    }

    /// <summary>Gives <paramref name="good"/> bytes of zeros, then throws.</summary>
    sealed class BreakingStream(long good, Exception failure) : Stream
    {
        long _at;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_at >= good) throw failure;
            int n = (int)Math.Min(count, good - _at);
            Array.Clear(buffer, offset, n);
            _at += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _at; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(".pack")]
    [InlineData(".index")]
    public void A_failing_pack_put_is_the_backups_error_and_leaves_no_manifest(string suffix)
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        Directory.CreateDirectory(t["repo"]);
        var failure = BackupErrors.StoreUnavailable("test://repo", "the connection dropped");
        using var store = new FailingPut(new LocalDirectoryStore(t["repo"]), n => n.EndsWith(suffix, StringComparison.Ordinal), failure);
        var request = new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Standard };

        var e = Assert.Throws<SqliteBackupException>(() => IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance));

        Assert.Same(failure, e);
        Assert.Empty(Directory.GetFiles(t["repo"], "*" + BackupManifest.Suffix));
        // A later backup into the same repository works.
        using var healthy = new LocalDirectoryStore(t["repo"]);
        var backup = IncrementalBackup.Create(request, healthy, t["repo"], t["repo"], NullLogger.Instance);
        IncrementalConcurrencyTests.AssertSound(healthy, backup, t["check.db"], "after the failed one");
    }

    [Fact]
    public void A_read_failure_on_the_reading_thread_reaches_the_consumer_as_it_was_thrown()
    {
        var failure = new IOException("the disk went away");
        using var reader = new ImageReader(new BreakingStream(5 << 20, failure), 64 << 20, 1 << 20, default);
        long seen = 0;
        var e = Assert.Throws<IOException>(() => { foreach (var chunk in reader.Chunks()) seen += chunk.Length; });
        Assert.Same(failure, e);
        Assert.Equal(5 << 20, seen);
        Assert.Throws<IOException>(() => reader.Sha256());
    }

    [Fact]
    public void An_image_that_ends_early_is_an_error_not_a_short_snapshot()
    {
        using var reader = new ImageReader(new MemoryStream(new byte[3000]), 5000, 1024, default);
        var e = Assert.Throws<IOException>(() => reader.Chunks().Sum(c => c.Length));
        Assert.Contains("2000 bytes early", e.Message);
    }

    [Fact]
    public void The_image_hash_is_the_sha256_of_every_byte_in_order()
    {
        var bytes = RandomNumberGenerator.GetBytes((7 << 20) + 123);
        using var reader = new ImageReader(new MemoryStream(bytes), bytes.Length, 1 << 20, default);
        var copy = new MemoryStream();
        foreach (var chunk in reader.Chunks()) copy.Write(chunk.Span);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(SHA256.HashData(bytes), reader.Sha256());
    }

    [Fact]
    public async Task A_consumer_that_stops_early_stops_the_reader_without_hanging()
    {
        var bytes = new byte[32 << 20];
        var reader = new ImageReader(new MemoryStream(bytes), bytes.Length, 1 << 20, default);
        foreach (var _ in reader.Chunks()) break;
        var disposed = Task.Run(reader.Dispose);
        Assert.Same(disposed, await Task.WhenAny(disposed, Task.Delay(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public void A_Standard_backup_that_reuses_a_pack_damaged_since_it_was_written_fails_instead_of_recording_a_snapshot_that_cannot_restore()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        var request = new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Standard };
        var first = IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance);
        string pack = Path.Combine(t["repo"], first.Manifest.Repository!.Packs[0].Name);
        // Bit rot after the first snapshot was verified: same size, one byte different.
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(pack, bytes);
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(1000) WHERE id = 7; PRAGMA wal_checkpoint(TRUNCATE);");

        var e = Assert.Throws<SqliteBackupException>(() => IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance));

        Assert.Equal("BackupVerificationFailed", e.ErrorId);
        Assert.Contains(first.Manifest.Repository!.Packs[0].Name, e.Message);
        Assert.Single(Directory.GetFiles(t["repo"], "*" + BackupManifest.Suffix));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Reassembly_on_two_threads_reports_the_damaged_pack_whichever_thread_reads_it(int damaged)
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        var request = new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Quick };
        IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance);
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(1000) WHERE id % 100 = 7; PRAGMA wal_checkpoint(TRUNCATE);");
        var second = IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance);
        var packs = second.Manifest.Repository!.Packs;
        Assert.Equal(2, packs.Count);
        SnapshotReader.Reassemble(store, second.Manifest, t["ok.db"]);
        Assert.Equal(Db.Sha(t["live.db"]), Db.Sha(t["ok.db"]));

        // A frame this snapshot needs, in the middle.
        var resolved = SnapshotReader.Resolve(store, second.Manifest);
        var entry = resolved.Indexes[damaged][resolved.Blocks.First(b => b.Pack == damaged).Entry];
        string pack = Path.Combine(t["repo"], packs[damaged].Name);
        var bytes = File.ReadAllBytes(pack);
        bytes[entry.Offset + entry.StoredLength / 2] ^= 0x5a;
        File.WriteAllBytes(pack, bytes);
        var e = Assert.Throws<SqliteBackupException>(() => SnapshotReader.Reassemble(store, second.Manifest, t["x.db"]));
        Assert.Equal("RepositoryDamaged", e.ErrorId);
        Assert.Contains(packs[damaged].Name, e.Message);
        Assert.False(File.Exists(t["x.db"]));
    }

    [Fact]
    public void A_block_that_decodes_to_wrong_bytes_is_named_with_its_pack_and_no_image_is_left()
    {
        // Random rows are stored as raw zstd blocks: a flipped payload byte still decodes, to the wrong bytes, and only
        // a hash can tell. Reassembly proves the image as a whole, then each block of the packs to name the pack.
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        var request = new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Quick };
        var snapshot = IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance).Manifest;
        var resolved = SnapshotReader.Resolve(store, snapshot);
        var block = resolved.Blocks.Skip(resolved.Blocks.Length / 2).First(b => resolved.Indexes[b.Pack][b.Entry] is { StoredLength: var s, RawLength: var r } && s > r);
        var entry = resolved.Indexes[block.Pack][block.Entry];
        string pack = snapshot.Repository!.Packs[block.Pack].Name;
        var bytes = File.ReadAllBytes(Path.Combine(t["repo"], pack));
        bytes[entry.Offset + entry.StoredLength - 1] ^= 0x5a;
        File.WriteAllBytes(Path.Combine(t["repo"], pack), bytes);
        using (var decompressor = new ZstdSharp.Decompressor())
            Assert.Equal(entry.RawLength, decompressor.Unwrap(bytes.AsSpan((int)entry.Offset, entry.StoredLength), new byte[entry.RawLength]));

        var e = Assert.Throws<SqliteBackupException>(() => SnapshotReader.Reassemble(store, snapshot, t["x.db"]));
        Assert.Equal("RepositoryDamaged", e.ErrorId);
        Assert.Contains(pack, e.Message);
        Assert.Contains($"entry {block.Entry} does not match its block id", e.Message);
        Assert.False(File.Exists(t["x.db"]));
    }

    [Fact]
    public void Sound_blocks_that_do_not_make_the_recorded_image_are_refused_naming_the_snapshot()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 500);
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        var request = new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Quick };
        var snapshot = IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance).Manifest;
        snapshot.RawSha256 = new string('0', 64);
        var e = Assert.Throws<SqliteBackupException>(() => SnapshotReader.Reassemble(store, snapshot, t["x.db"]));
        Assert.Equal("RepositoryDamaged", e.ErrorId);
        Assert.Contains(snapshot.File + BackupManifest.Suffix, e.Message);
        Assert.Contains("the reassembled image's SHA-256 is", e.Message);
        Assert.False(File.Exists(t["x.db"]));
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void Repeated_blocks_and_runs_across_segments_reassemble_exactly(int blockSize)
    {
        // Pages freed under secure_delete are zeros: one block repeated at many positions. The image spans several 1 MiB segments.
        using var t = new TempDir();
        Db.Exec(t["live.db"], "PRAGMA page_size=1024; PRAGMA journal_mode=WAL;");
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 6000);
        Db.Exec(t["live.db"], "CREATE TABLE z(pad); INSERT INTO z SELECT randomblob(900) FROM filler; PRAGMA secure_delete=ON; DELETE FROM z; CREATE TABLE odd(x); INSERT INTO odd VALUES(1); PRAGMA wal_checkpoint(TRUNCATE);");
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        var request = new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Quick, BlockSize = blockSize };
        var first = IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance).Manifest;
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(1000) WHERE id % 300 = 1; INSERT INTO odd VALUES(2); PRAGMA wal_checkpoint(TRUNCATE);");
        var second = IncrementalBackup.Create(request with { BlockSize = null }, store, t["repo"], t["repo"], NullLogger.Instance).Manifest;
        var resolved = SnapshotReader.Resolve(store, second);
        if (blockSize == 4096) Assert.True(resolved.Blocks.Length - resolved.Blocks.Distinct().Count() > 10, "the image should repeat blocks");
        Assert.True(second.RawSize > 3L << 20, $"{second.RawSize} bytes");
        SnapshotReader.Reassemble(store, second, t["second.db"]);
        Assert.Equal(Db.Sha(t["live.db"]), Db.Sha(t["second.db"]));
        SnapshotReader.Reassemble(store, first, t["first.db"]);
        Assert.Equal(first.RawSha256, Db.Sha(t["first.db"]));
    }
}
