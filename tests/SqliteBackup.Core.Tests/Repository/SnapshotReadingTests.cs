using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Tests.Storage;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>What every reading part (catalog, verifier, restorer) does with a snapshot beside plain backups.</summary>
public sealed class SnapshotReadingTests
{
    /// <summary>A plain backup and a snapshot of the same database in one directory.</summary>
    static (BackupInfo Plain, BackupInfo Snapshot) Both(TempDir t, int fillerRows = 2000)
    {
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: fillerRows);
        Db.Exec(t["live.db"], "INSERT INTO a(v) VALUES(1); INSERT INTO b(v) VALUES(1);");
        var plain = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["backups"], Verify = VerificationLevel.Quick });
        var snapshot = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["backups"], Incremental = true, Verify = VerificationLevel.Quick });
        Assert.True(snapshot.Manifest.IsSnapshot);
        return (plain, snapshot);
    }

    static string Pack(BackupInfo snapshot) => Path.Combine(snapshot.Directory, snapshot.Manifest.Repository!.Packs[0].Name);

    /// <summary>Set back past the orphan grace period, so that anything that could be taken for an orphan would be.</summary>
    static void Age(string directory)
    {
        foreach (var f in Directory.GetFiles(directory)) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-3));
    }

    [Fact]
    public void A_snapshot_is_listed_beside_a_plain_backup_and_the_repository_objects_are_neither_backups_nor_orphans()
    {
        using var t = new TempDir();
        var (plain, snapshot) = Both(t);
        Age(t["backups"]);
        Assert.Contains(Directory.GetFiles(t["backups"]), f => RepositoryNames.IsPack(Path.GetFileName(f)));
        Assert.Contains(Directory.GetFiles(t["backups"]), f => RepositoryNames.IsIndex(Path.GetFileName(f)));
        Assert.True(File.Exists(Path.Combine(t["backups"], RepositoryNames.Config)));

        var log = new ListLogger();
        var list = new BackupCatalog(log).List(t["backups"]);
        Assert.Equal(new[] { plain.Id, snapshot.Id }.Order(), list.Select(b => b.Id).Order());
        var listed = list.Single(b => b.Id == snapshot.Id);
        Assert.Equal(BackupFormat.Snapshot, listed.Format);
        Assert.Equal(BackupFormat.Plain, list.Single(b => b.Id == plain.Id).Format);
        Assert.Equal(snapshot.Manifest.StoredSize, listed.Size);
        Assert.True(listed.Size > 0 && listed.Size < listed.RawSize);
        Assert.Empty(log.Warnings);
        Assert.Empty(new BackupCatalog().ListOrphans(t["backups"]));
        // Through a store that is not a file system (as a remote location is read), the same two.
        using var remote = new PutCounter(new LocalDirectoryStore(t["backups"]));
        var (backups, orphans) = new StoreCatalog(log).ListWithOrphans(remote, null);
        Assert.Equal(2, backups.Count);
        Assert.Empty(orphans);
        Assert.Empty(log.Warnings);
        // Opened by its path, as Get-SqliteBackup -Path does.
        Assert.Equal(snapshot.Id, new BackupCatalog().Open(snapshot.ManifestPath).Id);
        Assert.Equal(snapshot.Id, new BackupCatalog().Open(snapshot.Path).Id);
    }

    [Fact]
    public void A_snapshot_whose_pack_is_missing_is_reported_never_silently_skipped()
    {
        using var t = new TempDir();
        var (_, snapshot) = Both(t);
        string pack = Pack(snapshot);
        File.Delete(pack);

        // In a directory it stays listed, like a plain backup whose file is gone, and verification says which pack.
        var local = new BackupCatalog().List(t["backups"]);
        Assert.Contains(local, b => b.Id == snapshot.Id);
        var quick = new BackupVerifier().Verify(local.Single(b => b.Id == snapshot.Id), VerificationLevel.Quick);
        Assert.Equal(VerificationOutcome.Failed, quick.Outcome);
        Assert.Contains(Path.GetFileName(pack), quick.Message);
        Assert.Contains("cannot be restored", quick.Message);

        // Where a listing is all there is (a remote location), it is left out with a warning naming the pack.
        var log = new ListLogger();
        using var remote = new PutCounter(new LocalDirectoryStore(t["backups"]));
        Assert.DoesNotContain(new StoreCatalog(log).List(remote), b => b.Id == snapshot.Id);
        var warning = Assert.Single(log.Warnings);
        Assert.Contains(snapshot.Manifest.File, warning);
        Assert.Contains(Path.GetFileName(pack), warning);
        Assert.Contains("cannot be restored", warning);
        // Asked for by name, the same rule as a plain backup's missing data object.
        var e = Assert.Throws<SqliteBackupException>(() => new StoreCatalog().Check(snapshot, remote));
        Assert.Equal("UntrustedBackupFile", e.ErrorId);
        Assert.Contains(Path.GetFileName(pack), e.Message);
    }

    [Fact]
    public void A_snapshot_passes_every_level_and_each_result_is_recorded_in_its_version_2_manifest()
    {
        using var t = new TempDir();
        var (_, snapshot) = Both(t);
        var listed = new BackupCatalog().List(t["backups"]).Single(b => b.Id == snapshot.Id);
        string scratch = t["scratch"];
        Directory.CreateDirectory(scratch);
        foreach (var level in new[] { VerificationLevel.Quick, VerificationLevel.Standard, VerificationLevel.Full })
        {
            var r = new BackupVerifier(null, scratch).Verify(listed, level, level == VerificationLevel.Full ? "SELECT count(*) FROM a" : null);
            Assert.True(r.Passed, $"{level}: {r.Message}");
            Assert.Equal("PacksPresent", r.Checks[0].Name);
            if (level >= VerificationLevel.Standard) Assert.Contains(r.Checks, c => c.Name == "Reassemble");
            if (level == VerificationLevel.Full) Assert.Equal(["PacksPresent", "Reassemble", "QuickCheck", "IntegrityCheck", "ForeignKeyCheck", "RowCounts", "Query"], r.Checks.Select(c => c.Name));
        }
        // Nothing is left in the scratch folder.
        Assert.Empty(Directory.GetFileSystemEntries(scratch));
        var stored = BackupCatalog.ReadManifest(snapshot.ManifestPath, out var problem);
        Assert.True(stored != null, problem);
        Assert.Equal(BackupManifest.SnapshotSchemaVersion, stored.SchemaVersion);
        Assert.NotNull(stored.Repository);
        Assert.Equal(snapshot.Manifest.Repository!.Blocks, stored.Repository!.Blocks);
        // The backup's own Quick check at creation, then the three here.
        Assert.Equal([VerificationLevel.Quick, VerificationLevel.Quick, VerificationLevel.Standard, VerificationLevel.Full], stored.Verifications.Select(v => v.Level));
        Assert.All(stored.Verifications, v => Assert.Equal(VerificationOutcome.Passed, v.Result));
        Assert.True(new BackupCatalog().List(t["backups"]).Single(b => b.Id == snapshot.Id).Verified);
    }

    [Fact]
    public void One_byte_flipped_in_a_pack_fails_Standard_naming_the_pack_and_a_deleted_pack_fails_Quick()
    {
        using var t = new TempDir();
        var (_, snapshot) = Both(t);
        string pack = Pack(snapshot);
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(pack, bytes);

        // Same size: Quick sees nothing (it reads no block); Standard reads every block and names the pack.
        Assert.True(new BackupVerifier().Verify(snapshot, VerificationLevel.Quick).Passed);
        var standard = new BackupVerifier().Verify(snapshot, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, standard.Outcome);
        Assert.Equal("Reassemble", standard.Checks[^1].Name);
        Assert.Contains(Path.GetFileName(pack), standard.Message);
        Assert.Null(standard.Cause);
        Assert.False(new BackupCatalog().List(t["backups"]).Single(b => b.Id == snapshot.Id).Verified);

        File.Delete(pack);
        var quick = new BackupVerifier().Verify(snapshot, VerificationLevel.Quick);
        Assert.Equal(VerificationOutcome.Failed, quick.Outcome);
        Assert.Equal("PacksPresent", quick.Checks.Single().Name);
        Assert.Contains(Path.GetFileName(pack) + " is missing", quick.Message);
    }

    [Fact]
    public void A_scratch_folder_that_cannot_be_written_makes_Standard_inconclusive_not_failed()
    {
        using var t = new TempDir();
        var (_, snapshot) = Both(t);
        // A file where the scratch folder should be: the reassembled copy cannot be written there.
        File.WriteAllText(t["scratch-is-a-file"], "x");
        var r = new BackupVerifier(null, t["scratch-is-a-file"]).Verify(snapshot, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Inconclusive, r.Outcome);
        Assert.NotNull(r.Cause);
        // Not evidence: the pass recorded when it was taken still stands.
        Assert.True(new BackupCatalog().List(t["backups"]).Single(b => b.Id == snapshot.Id).Verified);
    }

    [SkippableFact]
    public void A_snapshot_restores_to_a_new_file_and_over_a_live_database_byte_identical_and_sqlite3_reads_it()
    {
        Cli.Require("sqlite3");
        using var t = new TempDir();
        var (_, snapshot) = Both(t);
        var restored = new Restorer().Restore(snapshot, new RestoreRequest(t["restored.db"]));
        Assert.Equal(snapshot.Manifest.RawSha256, Db.Sha(restored.Destination));
        Assert.Equal("ok", Cli.Run("sqlite3", restored.Destination, "PRAGMA integrity_check;").Out.Trim());
        Assert.Equal(snapshot.Manifest.TableRowCounts["filler"].ToString(), Cli.Run("sqlite3", restored.Destination, "SELECT count(*) FROM filler;").Out.Trim());

        // Over the live database (changed since): the same guards as a plain restore, a PreRestore backup first.
        Db.Exec(t["live.db"], "DELETE FROM filler WHERE id % 2 = 0;");
        var over = new Restorer().Restore(snapshot, new RestoreRequest(t["live.db"]) { Force = true });
        Assert.Equal(RestoreMethod.BackupApi, over.Method);
        Assert.NotNull(over.PreRestoreBackup);
        Assert.Equal(snapshot.Manifest.TableRowCounts["filler"], Db.Count(t["live.db"], "filler"));
        Assert.Empty(Directory.GetFileSystemEntries(t["backups"], ".sqlitebackup-*"));
    }

    [Fact]
    public void A_snapshot_with_a_damaged_or_missing_pack_is_not_restored_and_the_target_is_untouched()
    {
        using var t = new TempDir();
        var (_, snapshot) = Both(t);
        string pack = Pack(snapshot);
        File.WriteAllText(t["target.db"], "not touched");
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 3] ^= 0x40;
        File.WriteAllBytes(pack, bytes);
        var damaged = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(snapshot, new RestoreRequest(t["target.db"]) { Force = true }));
        Assert.Equal("RepositoryDamaged", damaged.ErrorId);
        Assert.Contains(Path.GetFileName(pack), damaged.Message);
        Assert.Equal("not touched", File.ReadAllText(t["target.db"]));

        File.Delete(pack);
        var missing = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(snapshot, new RestoreRequest(t["target.db"]) { Force = true }));
        Assert.Contains(Path.GetFileName(pack), missing.Message);
        Assert.Equal("not touched", File.ReadAllText(t["target.db"]));
    }

    [Fact]
    public void Measure_and_the_report_count_the_repository_once_against_the_snapshots_logical_size()
    {
        using var t = new TempDir();
        var (plain, first) = Both(t);
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(100) WHERE id IN (7, 900);");
        var second = new BackupEngine().Create(new BackupRequest(t["live.db"]) { Destination = t["backups"], Incremental = true, Verify = VerificationLevel.Quick });
        var list = new BackupCatalog().List(t["backups"]);
        var usage = Assert.Single(RepositoryUsage.MeasureAll(list, e => throw e));

        var files = Directory.GetFiles(t["backups"]).Select(f => new FileInfo(f)).ToList();
        long repositoryBytes = files.Where(f => RepositoryNames.IsPack(f.Name) || RepositoryNames.IsIndex(f.Name) || RepositoryNames.IsSnapshotManifest(f.Name)).Sum(f => f.Length);
        Assert.Equal(repositoryBytes, usage.StoredSize);
        Assert.Equal(2, usage.Snapshots);
        Assert.Equal(first.RawSize + second.RawSize, usage.LogicalSize);

        var stats = BackupStatistics.Compute(list, [], DateTime.UtcNow, null, [usage]);
        Assert.Equal(3, stats.Count);
        Assert.Equal(2, stats.Snapshots);
        Assert.Equal(plain.StoredSize + repositoryBytes, stats.TotalStoredSize);
        // The snapshots' own sizes share blocks: added up they count the first snapshot's blocks twice.
        Assert.True(first.StoredSize + second.StoredSize > usage.PackBytes * 1.5, $"{first.StoredSize} + {second.StoredSize} vs {usage.PackBytes}");
        Assert.Equal(repositoryBytes, stats.RepositoryStoredSize);
        Assert.Equal((double)usage.LogicalSize / repositoryBytes, stats.DedupRatio!.Value, 6);
        Assert.True(stats.DedupRatio > 1.5, $"ratio {stats.DedupRatio}");
        var live = stats.RepositoryByDatabase["live"];
        Assert.Equal((2, first.RawSize + second.RawSize, first.Manifest.Repository!.AddedSize + second.Manifest.Repository!.AddedSize), (live.Snapshots, live.LogicalSize, live.AddedSize));

        string html = global::SqliteBackup.Core.Reporting.BackupReport.Render(global::SqliteBackup.Core.Reporting.BackupReport.BuildModel(list, [], global::SqliteBackup.Core.Retention.RetentionPolicy.Default, TimeZoneInfo.Utc, DateTime.UtcNow, repositories: [usage]));
        Assert.Contains($"data-stat=\"total-stored-size\" data-value=\"{plain.StoredSize + repositoryBytes}\"", html);
        Assert.Contains($"data-stat=\"repository-stored-size\" data-value=\"{repositoryBytes}\"", html);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "<td class=\"format\">Snapshot</td>").Count);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<td class=\"format\">Plain</td>"));
    }
}

[Collection(RadosGwCollection.Name)]
public sealed class RemoteSnapshotReadingTests(RadosGwServer server)
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey, Create = true };

    [SkippableFact]
    public void A_snapshot_in_s3_is_listed_verified_and_restored_byte_identical()
    {
        Cli.Require("sqlite3");
        string bucket = server.NewBucket();
        string location = server.LocationOf(bucket, "repo");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        BackupInfo snapshot;
        using (var store = StoreRegistry.Open(location, Keys))
            snapshot = SqliteBackup.Core.Copies.RemoteBackup.Create(new BackupRequest(t["live.db"]) { Incremental = true, Verify = VerificationLevel.Quick }, store, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        var listed = Assert.Single(new StoreCatalog().ListLocation(location, false, default, Keys));
        Assert.Equal(BackupFormat.Snapshot, listed.Format);
        Assert.True(listed.IsRemote);
        foreach (var level in new[] { VerificationLevel.Quick, VerificationLevel.Standard })
        {
            var r = new BackupVerifier().Verify(listed, level);
            Assert.True(r.Passed, $"{level}: {r.Message}");
        }
        Assert.Equal(3, Assert.Single(new StoreCatalog().ListLocation(location, false, default, Keys)).Manifest.Verifications.Count);

        var restored = new Restorer().Restore(listed, new RestoreRequest(t["restored.db"]));
        Assert.Equal(snapshot.Manifest.RawSha256, Db.Sha(restored.Destination));
        Assert.Equal("ok", Cli.Run("sqlite3", restored.Destination, "PRAGMA integrity_check;").Out.Trim());
    }

    [SkippableFact]
    public void An_encrypted_repository_in_s3_dedups_and_restores_only_with_the_key()
    {
        Cli.Require("sqlite3");
        string location = server.LocationOf(server.NewBucket(), "repo");
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        var writer = SqliteBackup.Core.Encryption.AgeX25519Identity.Generate();
        var encryption = SqliteBackup.Core.Encryption.BackupEncryption.ToRecipients([writer.Recipient], writer);
        BackupInfo Take()
        {
            using var store = StoreRegistry.Open(location, Keys);
            return SqliteBackup.Core.Copies.RemoteBackup.Create(new BackupRequest(t["live.db"]) { Incremental = true, Verify = VerificationLevel.Standard, Encryption = encryption },
                store, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
        var first = Take();
        Db.Exec(t["live.db"], "UPDATE a SET v = v + 1 WHERE rowid % 97 = 0; UPDATE b SET v = v + 1 WHERE rowid % 97 = 0;");
        var second = Take();
        Assert.Equal(["zstd", "age"], second.Manifest.Transforms);
        // The second snapshot shares the first one's pack and adds a small one.
        Assert.Contains(second.Manifest.Repository!.Packs, p => first.Manifest.Repository!.Packs.Any(q => q.Name == p.Name));

        var listed = new StoreCatalog().ListLocation(location, false, default, Keys).Single(b => b.Manifest.File == second.Manifest.File);
        Assert.True(new BackupVerifier().Verify(listed, VerificationLevel.Quick).Passed);
        var refused = new BackupVerifier().Verify(listed, VerificationLevel.Standard);
        Assert.False(refused.Passed);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(listed, new RestoreRequest(t["nokey.db"])));
        Assert.Equal("EncryptionIdentityMissing", e.ErrorId);
        Assert.False(File.Exists(t["nokey.db"]));

        var keys = new SqliteBackup.Core.Encryption.BackupKeys([writer]);
        Assert.True(new BackupVerifier(null, null, keys).Verify(listed, VerificationLevel.Standard).Passed);
        var restored = new Restorer().Restore(listed, new RestoreRequest(t["restored.db"]) { Keys = keys });
        Assert.Equal(second.Manifest.RawSha256, Db.Sha(restored.Destination));
        Assert.Equal("ok", Cli.Run("sqlite3", restored.Destination, "PRAGMA integrity_check;").Out.Trim());
    }
}

[Collection(SshdCollection.Name)]
public sealed class SftpSnapshotReadingTests(SshdServer server)
{
    [SkippableFact]
    public void A_snapshot_of_several_packs_over_sftp_is_verified_and_restored_by_concurrent_pack_reads()
    {
        Cli.Require("sqlite3");
        string location = server.LocationOf(server.NewDirectory());
        using var t = new TempDir();
        // About 40 MB of incompressible rows: three packs of at most 16 MiB, read at once by the reassembly's workers.
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 40_000);
        BackupInfo snapshot;
        using (var store = StoreRegistry.Open(location, new StoreOptions { Create = true }))
            snapshot = SqliteBackup.Core.Copies.RemoteBackup.Create(new BackupRequest(t["live.db"]) { Incremental = true, Verify = VerificationLevel.Quick }, store, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.True(snapshot.Manifest.Repository!.Packs.Count >= 3, $"{snapshot.Manifest.Repository.Packs.Count} packs");

        var listed = Assert.Single(new StoreCatalog().ListLocation(location, false));
        Assert.True(new BackupVerifier().Verify(listed, VerificationLevel.Standard).Passed);
        var restored = new Restorer().Restore(listed, new RestoreRequest(t["restored.db"]));
        Assert.Equal(snapshot.Manifest.RawSha256, Db.Sha(restored.Destination));
        Assert.Equal("ok", Cli.Run("sqlite3", restored.Destination, "PRAGMA integrity_check;").Out.Trim());

        // A pack gone behind our back: refused before anything is written, naming the pack.
        File.Delete(Path.Combine(new Uri(location).AbsolutePath, snapshot.Manifest.Repository.Packs[1].Name));
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(snapshot, new RestoreRequest(t["again.db"])));
        Assert.Contains(snapshot.Manifest.Repository.Packs[1].Name, e.Message);
        Assert.False(File.Exists(t["again.db"]));
    }
}
