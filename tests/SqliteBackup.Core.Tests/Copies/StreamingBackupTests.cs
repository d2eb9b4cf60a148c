using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Tests.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Copies;

/// <summary>
/// A backup to a store streams: no compressed copy on local disk, data first, verified where it landed, manifest last,
/// nothing visible after any failure. Verification and restore read a stored object once, as a stream. The store here is
/// a local directory behind <see cref="CountingStore"/> (counting reads, spoiling puts); StreamingS3Tests repeat the
/// essentials against a real radosgw.
/// </summary>
public class StreamingBackupTests
{
    /// <summary>About <paramref name="mib"/> MiB of random (incompressible) rows: the compressed backup is as large as the database.</summary>
    internal static string RandomDatabase(string path, int mib, bool wal)
    {
        Db.Exec(path, (wal ? "PRAGMA journal_mode=WAL;" : "PRAGMA journal_mode=DELETE;") +
            "CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB NOT NULL);" +
            $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {mib * 1000}) INSERT INTO t SELECT i, randomblob(1000) FROM n;" +
            (wal ? "PRAGMA wal_checkpoint(TRUNCATE);" : ""));
        return path;
    }

    static (string Location, IBackupStore Store) NewStore(TempDir t, string name = "store")
    {
        string location = CountingStore.LocationOf(t[name]);
        return (location, StoreRegistry.Open(location, new StoreOptions { Create = true }));
    }

    static void AssertNothingVisible(IBackupStore store)
    {
        Assert.Empty(new StoreCatalog().List(store));
        Assert.Empty(store.List());
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_backup_to_a_store_needs_no_local_room_for_its_compressed_bytes(bool wal)
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        string db = RandomDatabase(t["app.db"], 6, wal);
        long raw = new FileInfo(db).Length;
        // WAL, checkpointed: read in place, nothing staged at all. Otherwise the backup API's uncompressed snapshot is the
        // only thing staged: room for it and half again would not hold a compressed copy beside it.
        using var scratch = new TmpfsMount(t["scratch"], $"size={(wal ? 1 << 20 : raw * 3 / 2)}");
        Assert.True(scratch.Mounted, scratch.MountError);
        var (location, store) = NewStore(t);
        using var _ = store;
        // The same scratch is too small for a local backup of this database: the backup is larger than it.
        var local = Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(new BackupRequest(db) { Destination = Path.Combine(scratch.Path, "local") }));
        Assert.Equal("DiskFull", local.ErrorId);

        var b = RemoteBackup.Create(new BackupRequest(db) { ScratchPath = scratch.Path }, store, new ListLogger());

        Assert.Equal(wal ? SnapshotMethod.FileRead : SnapshotMethod.BackupApi, b.Manifest.SnapshotMethod);
        Assert.True(b.IsRemote);
        Assert.True(b.StoredSize > raw * 9 / 10, $"{b.StoredSize} of {raw}: the test needs an incompressible backup");
        var listed = Assert.Single(new StoreCatalog().List(store));
        Assert.Equal(b.Manifest.StoredSha256, listed.Manifest.StoredSha256);
        Assert.True(listed.Verified);
        Assert.Equal(VerificationLevel.Standard, listed.LastVerificationRecord!.Level);
        // Verified where it landed: read back once, as a stream, whole.
        var reads = CountingStore.ReadsOf(location, b.Manifest.File);
        Assert.Equal(1, reads.Opens);
        Assert.Equal(b.StoredSize, reads.Bytes);
        Assert.DoesNotContain(Directory.GetFileSystemEntries(scratch.Path, "*", SearchOption.AllDirectories), e => !e.Contains("/local"));
        // And it restores to the same database.
        var restored = new Restorer().Restore(listed, store, new RestoreRequest(t["restored.db"]));
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(restored.Destination));
    }

    [Fact]
    public void A_store_failing_mid_upload_leaves_no_backup_and_nothing_staged()
    {
        using var t = new TempDir();
        string db = RandomDatabase(t["app.db"], 3, wal: false);
        var (location, store) = NewStore(t);
        using var _ = store;
        CountingStore.Spoil(location, CountingStore.FailAfter(1 << 20));
        var log = new ListLogger();

        var e = Assert.Throws<SqliteBackupException>(() => RemoteBackup.Create(new BackupRequest(db) { ScratchPath = t["scratch"] }, store, log));

        Assert.Contains("failed mid-upload", e.ToString());
        AssertNothingVisible(store);
        Assert.Empty(Directory.GetFileSystemEntries(t["scratch"]));
        Assert.Contains(log.Messages, m => m.Contains("failed"));
    }

    [Theory]
    [InlineData(VerificationLevel.Quick)]
    [InlineData(VerificationLevel.Standard)]
    [InlineData(VerificationLevel.Full)]
    public void What_the_store_holds_is_verified_before_the_manifest_and_a_bad_copy_is_removed(VerificationLevel level)
    {
        using var t = new TempDir();
        string db = RandomDatabase(t["app.db"], 2, wal: true);
        var (location, store) = NewStore(t);
        using var _ = store;
        // The service stores something other than what was sent: only checking what it holds can tell.
        CountingStore.Spoil(location, CountingStore.FlipByteAt(100_000));

        var e = Assert.Throws<SqliteBackupException>(() => RemoteBackup.Create(new BackupRequest(db) { Verify = level, ScratchPath = t["scratch"] }, store, new ListLogger()));

        Assert.Equal("BackupVerificationFailed", e.ErrorId);
        Assert.Contains("Sha256", e.Message);
        AssertNothingVisible(store);
    }

    [Fact]
    public void A_manifest_that_cannot_be_written_takes_its_data_object_with_it()
    {
        using var t = new TempDir();
        string db = RandomDatabase(t["app.db"], 1, wal: true);
        var (location, store) = NewStore(t);
        using var _ = store;
        CountingStore.Spoil(location, CountingStore.FailAfter(10, ".manifest.json"));

        Assert.Throws<SqliteBackupException>(() => RemoteBackup.Create(new BackupRequest(db) { ScratchPath = t["scratch"] }, store, new ListLogger()));

        AssertNothingVisible(store);
    }

    [Fact]
    public void Verification_at_every_level_and_restore_read_a_stored_object_once()
    {
        using var t = new TempDir();
        string db = RandomDatabase(t["app.db"], 2, wal: true);
        var (location, store) = NewStore(t);
        using var _ = store;
        var b = RemoteBackup.Create(new BackupRequest(db) { Verify = VerificationLevel.None }, store, new ListLogger());
        var reads = () => CountingStore.ReadsOf(location, b.Manifest.File);
        Assert.Equal(0, reads().Opens);

        foreach (var level in new[] { VerificationLevel.Quick, VerificationLevel.Standard, VerificationLevel.Full })
        {
            CountingStore.Reset(location);
            var r = new BackupVerifier(null, t["scratch"]).Verify(b, store, level);
            Assert.True(r.Passed, r.Message);
            Assert.Equal((1, b.StoredSize), (reads().Opens, reads().Bytes));
        }
        // Recorded with the manifest in the store.
        Assert.Equal(VerificationLevel.Full, Assert.Single(new StoreCatalog().List(store)).LastVerificationRecord!.Level);

        CountingStore.Reset(location);
        var restored = new Restorer().Restore(b, store, new RestoreRequest(t["restored.db"]));
        Assert.Equal((1, b.StoredSize), (reads().Opens, reads().Bytes));
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(restored.Destination));
        Assert.Equal(Db.Count(db, "t"), Db.Count(restored.Destination, "t"));
        Assert.Empty(Directory.GetFileSystemEntries(t.Path, ".sqlitebackup-*"));
    }

    [Fact]
    public void A_corrupt_byte_fails_Standard_at_its_SHA256_and_stops_a_restore_locally_and_in_a_store()
    {
        using var t = new TempDir();
        string db = RandomDatabase(t["app.db"], 2, wal: true);
        var local = new BackupEngine().Create(new BackupRequest(db) { Destination = t["backups"], Verify = VerificationLevel.Quick });
        var (location, store) = NewStore(t);
        using var _ = store;
        var remote = RemoteBackup.Create(new BackupRequest(db) { Verify = VerificationLevel.Quick }, store, new ListLogger());
        foreach (var path in new[] { local.Path, Path.Combine(t["store"], remote.Manifest.File) })
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            f.Position = f.Length / 2;
            int x = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(x ^ 0x01));
        }

        foreach (var r in new[] { new BackupVerifier(null, t["scratch"]).Verify(local, VerificationLevel.Standard), new BackupVerifier(null, t["scratch"]).Verify(remote, store, VerificationLevel.Standard) })
        {
            Assert.Equal(VerificationOutcome.Failed, r.Outcome);
            Assert.Equal("Sha256", r.Checks[^1].Name);
            Assert.Equal(["FilePresent", "Size", "Sha256"], r.Checks.Select(c => c.Name));
        }
        Assert.Equal("BackupChecksumMismatch", Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(local, new RestoreRequest(t["a.db"]))).ErrorId);
        Assert.Equal("BackupChecksumMismatch", Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(remote, store, new RestoreRequest(t["b.db"]))).ErrorId);
        Assert.False(File.Exists(t["a.db"]));
        Assert.False(File.Exists(t["b.db"]));
    }
}
