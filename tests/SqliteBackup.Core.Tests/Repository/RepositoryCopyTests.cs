using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>Snapshots leaving the machine: copied into another location's repository (dedup kept), or exported as plain backups.</summary>
public sealed class RepositoryCopyTests
{
    internal static BackupInfo Snapshot(string db, string repo, int? blockSize = null)
    {
        Directory.CreateDirectory(repo);
        using var store = new LocalDirectoryStore(repo);
        var request = new BackupRequest(db) { Destination = repo, Incremental = true, Verify = VerificationLevel.Quick, BlockSize = blockSize };
        return IncrementalBackup.Create(request, store, repo, repo, NullLogger.Instance);
    }

    internal static void Churn(string db, int round) =>
        Db.Exec(db, $"UPDATE filler SET pad = randomblob(1000) WHERE id IN ({round * 7}, {round * 700 + 3}); INSERT INTO a(v) VALUES({round}); INSERT INTO b(v) VALUES({round}); PRAGMA wal_checkpoint(TRUNCATE);");

    /// <summary>Reassembled from <paramref name="store"/>: its SHA-256 must be the snapshot's.</summary>
    internal static void AssertRestorable(IBackupStore store, BackupManifest manifest, string path)
    {
        SnapshotReader.Reassemble(store, manifest, path);
        Assert.Equal(manifest.RawSha256, Db.Sha(path));
        File.Delete(path);
    }

    static BackupManifest ManifestAt(string dir, BackupManifest m) =>
        BackupManifest.TryParse(File.ReadAllBytes(Path.Combine(dir, m.File + BackupManifest.Suffix)), out _)!;

    [SkippableFact]
    public void A_snapshot_is_copied_into_a_new_repository_and_the_next_one_sends_only_its_new_packs()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 4000);
        var first = Snapshot(t["live.db"], t["repo"]);
        Directory.CreateDirectory(t["off"]);
        var dest = new PutCounter(new LocalDirectoryStore(t["off"]));
        var copier = new RepositoryCopier();

        var copied = copier.Copy(first, dest);

        Assert.Equal(CopyStatus.Copied, copied.Status);
        Assert.Equal(first.Manifest.Repository!.Packs.Count, copier.Stats!.PacksSent);
        var config = RepositoryConfig.Read(dest)!;
        Assert.Equal(first.Manifest.Repository.BlockSize, config.BlockSize);
        using (var src = new LocalDirectoryStore(t["repo"])) Assert.NotEqual(RepositoryConfig.Read(src)!.Id, config.Id);
        var there = ManifestAt(t["off"], first.Manifest);
        Assert.Equal(first.Manifest.RawSha256, there.RawSha256);
        Assert.Equal(first.Path, there.CopiedFrom);
        Assert.NotNull(there.CopiedUtc);
        Assert.Equal(VerificationOutcome.Passed, there.Verifications[^1].Result);
        // The manifest is the last object put: a snapshot exists only once every pack it names is there.
        Assert.EndsWith(BackupManifest.Suffix, dest.Puts[^1].Name);
        AssertRestorable(dest, there, t["check.db"]);

        Churn(t["live.db"], 1);
        var second = Snapshot(t["live.db"], t["repo"]);
        dest.Reset();
        copier.Copy(second, dest);

        var added = second.Manifest.Repository!.AddedPacks;
        Assert.NotEmpty(added);
        Assert.Equal(added.OrderBy(n => n), dest.Puts.Where(p => RepositoryNames.IsPack(p.Name)).Select(p => p.Name).OrderBy(n => n));
        Assert.Equal(added.Count, copier.Stats!.PacksSent);
        Assert.Equal(second.Manifest.Repository.Packs.Count - added.Count, copier.Stats.PacksAlreadyThere);
        Assert.True(dest.PackBytes < first.Manifest.Repository.AddedSize / 10, $"{dest.PackBytes} bytes sent for the second snapshot");
        AssertRestorable(dest, ManifestAt(t["off"], second.Manifest), t["check.db"]);
    }

    [Fact]
    public void A_second_copy_of_the_same_snapshot_sends_nothing_and_a_different_one_under_its_name_is_a_conflict()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 500);
        var snap = Snapshot(t["live.db"], t["repo"]);
        Directory.CreateDirectory(t["off"]);
        var dest = new PutCounter(new LocalDirectoryStore(t["off"]));
        new RepositoryCopier().Copy(snap, dest);
        dest.Reset();

        var again = new RepositoryCopier().Copy(snap, dest);

        Assert.Equal(CopyStatus.AlreadyPresent, again.Status);
        Assert.DoesNotContain(dest.Puts, p => !p.Name.StartsWith("lock-", StringComparison.Ordinal));

        // Someone else's snapshot under this name: never overwritten.
        string manifestPath = Path.Combine(t["off"], snap.Manifest.File + BackupManifest.Suffix);
        var other = BackupManifest.TryParse(File.ReadAllBytes(manifestPath), out _)!;
        other.RawSha256 = new string('0', 64);
        File.WriteAllBytes(manifestPath, other.ToJson());
        var e = Assert.Throws<SqliteBackupException>(() => new RepositoryCopier().Copy(snap, dest));
        Assert.Equal("CopyConflict", e.ErrorId);
        Assert.Equal(new string('0', 64), BackupManifest.TryParse(File.ReadAllBytes(manifestPath), out _)!.RawSha256);
    }

    [Fact]
    public void A_destination_repository_with_another_block_size_is_refused_and_nothing_is_written()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 300);
        var snap = Snapshot(t["live.db"], t["repo"]);
        Directory.CreateDirectory(t["off"]);
        using (var off = new LocalDirectoryStore(t["off"])) RepositoryConfig.OpenOrCreate(off, 16384);
        var before = Directory.GetFiles(t["off"]).Select(Path.GetFileName).Order().ToArray();
        var dest = new PutCounter(new LocalDirectoryStore(t["off"]));

        var e = Assert.Throws<SqliteBackupException>(() => new RepositoryCopier().Copy(snap, dest));

        Assert.Equal("RepositoryCopyIncompatible", e.ErrorId);
        Assert.Contains("16384", e.Message);
        Assert.Empty(dest.Puts);
        Assert.Equal(before, Directory.GetFiles(t["off"]).Select(Path.GetFileName).Order().ToArray());
    }

    /// <summary>Fails the first Put whose name ends with <paramref name="suffix"/>, after reading part of it.</summary>
    sealed class FailingStore(IBackupStore inner, string suffix) : IBackupStore
    {
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                content.ReadExactly(new byte[16]);
                throw new IOException("the test store failed mid-way");
            }
            inner.Put(name, content, createOnly, progress, ct);
        }
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() => inner.Dispose();
    }

    [Theory]
    [InlineData(".pack")]
    [InlineData(".index")]
    [InlineData(".manifest.json")]
    public void An_interrupted_copy_leaves_no_manifest_and_the_rerun_completes(string failing)
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 500);
        var snap = Snapshot(t["live.db"], t["repo"]);
        Directory.CreateDirectory(t["off"]);

        using (var broken = new FailingStore(new LocalDirectoryStore(t["off"]), failing))
            Assert.Throws<IOException>(() => new RepositoryCopier().Copy(snap, broken));

        Assert.False(File.Exists(Path.Combine(t["off"], snap.Manifest.File + BackupManifest.Suffix)));
        using var dest = new LocalDirectoryStore(t["off"]);
        Assert.DoesNotContain(new StoreCatalog().List(dest), b => b.Id == snap.Id);
        var copier = new RepositoryCopier();
        Assert.Equal(CopyStatus.Copied, copier.Copy(snap, dest).Status);
        Assert.Equal(failing == ".pack" ? 1 : 0, copier.Stats!.PacksSent);
        AssertRestorable(dest, ManifestAt(t["off"], snap.Manifest), t["check.db"]);
    }

    [SkippableFact]
    public void A_snapshot_exported_as_plain_is_read_by_zstd_and_sqlite3_and_a_second_export_is_already_there()
    {
        Cli.Require("zstd");
        Cli.Require("sqlite3");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 1000);
        Snapshot(t["live.db"], t["repo"]);
        Churn(t["live.db"], 2);
        var snap = Snapshot(t["live.db"], t["repo"]);
        Directory.CreateDirectory(t["plain"]);
        using var dest = new LocalDirectoryStore(t["plain"]);

        var exported = new SnapshotExporter().Export(snap, dest);

        Assert.Equal(CopyStatus.Copied, exported.Status);
        var m = exported.Copy.Manifest;
        Assert.Equal(BackupManifest.CurrentSchemaVersion, m.SchemaVersion);
        Assert.Null(m.Repository);
        Assert.EndsWith(".db.zst", m.File);
        Assert.Equal(snap.Id, m.Id);
        Assert.Equal(snap.Manifest.RawSha256, m.RawSha256);
        Assert.Equal(snap.Path, m.CopiedFrom);
        string file = Path.Combine(t["plain"], m.File);
        Assert.Equal(m.StoredSha256, Db.Sha(file));
        var z = Cli.Run("zstd", "-d", "-q", file, "-o", t["out.db"]);
        Assert.True(z.Code == 0, z.Err);
        Assert.Equal(snap.Manifest.RawSha256, Db.Sha(t["out.db"]));
        Assert.Equal("ok", Cli.Run("sqlite3", t["out.db"], "PRAGMA integrity_check;").Out.Trim());
        Assert.Equal(snap.Manifest.TableRowCounts["a"].ToString(), Cli.Run("sqlite3", t["out.db"], "SELECT count(*) FROM a;").Out.Trim());

        // A normal plain backup: listed, and its Standard verification passes.
        var listed = Assert.Single(new BackupCatalog().List(t["plain"]));
        Assert.True(new BackupVerifier().Verify(listed, VerificationLevel.Standard).Passed);
        Assert.Equal(CopyStatus.AlreadyPresent, new SnapshotExporter().Export(snap, dest).Status);
    }
}
