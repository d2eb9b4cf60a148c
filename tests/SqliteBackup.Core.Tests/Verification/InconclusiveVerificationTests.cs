using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Verification;

/// <summary>
/// A check that could not run (no space, no permission) is Inconclusive: recorded, never a failure, never a reason to
/// remove a backup. Only evidence about the backup's own bytes fails it.
/// </summary>
public class InconclusiveVerificationTests
{
    /// <summary>About 1 MiB raw that compresses to a few KiB: the backup fits a small disk, its decompressed copy does not.</summary>
    static BackupInfo CompressibleBackup(string dir, string backups, BackupType type = BackupType.Automatic)
    {
        string db = Path.Combine(dir, "app.db");
        if (!File.Exists(db))
            Db.Exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT);" +
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000) INSERT INTO t SELECT i, printf('%.1000c', 'x') FROM n;");
        return new BackupEngine().Create(new BackupRequest(db) { Destination = backups, Type = type, Verify = VerificationLevel.None });
    }

    [SkippableFact]
    public void No_room_for_the_scratch_copy_is_inconclusive_and_recorded_as_such()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var disk = new TmpfsMount(t["disk"], "size=256k");
        Assert.True(disk.Mounted, disk.MountError);
        var b = CompressibleBackup(t.Path, t["backups"]);

        var r = new BackupVerifier(null, disk.Path).Verify(b, VerificationLevel.Standard);

        Assert.Equal(VerificationOutcome.Inconclusive, r.Outcome);
        Assert.False(r.Passed);
        Assert.Equal(InconclusiveCause.DiskFull, r.Cause);
        Assert.Equal("Decompress", r.Checks[^1].Name);
        Assert.Equal("DiskFull", r.Error!.ErrorId);
        Assert.Contains(disk.Path, r.Error.Message);
        Assert.Contains("-ScratchPath", r.Error.RecommendedAction);
        var onDisk = new BackupCatalog().Open(b.Path);
        Assert.Equal(VerificationOutcome.Inconclusive, onDisk.LastOutcome);
        Assert.Null(onDisk.Verified);
        Assert.Null(onDisk.Manifest.Verifications[^1].Passed);
        Assert.Equal(InconclusiveCause.DiskFull, onDisk.Manifest.Verifications[^1].Cause);
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path)); // the scratch folder went with its partial copy
    }

    [SkippableFact]
    public void A_scratch_folder_that_cannot_be_written_is_inconclusive_PermissionDenied()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var ro = new TmpfsMount(t["ro"], "ro,size=256k");
        Assert.True(ro.Mounted, ro.MountError);
        var b = CompressibleBackup(t.Path, t["backups"]);

        var r = new BackupVerifier(null, ro.Path).Verify(b, VerificationLevel.Full);

        Assert.Equal(VerificationOutcome.Inconclusive, r.Outcome);
        Assert.Equal(InconclusiveCause.PermissionDenied, r.Cause);
        Assert.Equal("PermissionDenied", r.Error!.ErrorId);
        Assert.Equal(BackupErrorCategory.PermissionDenied, r.Error.Category);
    }

    [SkippableFact]
    public void A_proven_damaged_backup_still_fails_however_little_room_there_is()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var disk = new TmpfsMount(t["disk"], "size=256k");
        Assert.True(disk.Mounted, disk.MountError);
        var b = CompressibleBackup(t.Path, t["backups"]);
        var bytes = File.ReadAllBytes(b.Path);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(b.Path, bytes);

        var r = new BackupVerifier(null, disk.Path).Verify(b, VerificationLevel.Standard);

        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
        Assert.Null(r.Error);
        Assert.False(new BackupCatalog().Open(b.Path).Verified);
    }

    [SkippableFact]
    public void New_backup_whose_verification_has_no_room_is_DiskFull_and_leaves_nothing()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var disk = new TmpfsMount(t["disk"], "size=256k");
        Assert.True(disk.Mounted, disk.MountError);
        var good = CompressibleBackup(t.Path, t["backups"]);

        var e = Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(new BackupRequest(t["app.db"])
        {
            Destination = t["backups"], Type = BackupType.Automatic, Verify = VerificationLevel.Full, ScratchPath = disk.Path,
        }));

        Assert.Equal("DiskFull", e.ErrorId);
        Assert.Contains("removed", e.Message);
        Assert.Contains(disk.Path, e.Message);
        Assert.Equal(new[] { good.Path, good.ManifestPath }.Order(), Directory.GetFiles(t["backups"]).Where(f => !f.Contains("sqlitebackup-log")).Order());
    }

    [SkippableFact]
    public void A_read_only_backup_folder_falls_back_to_the_system_temporary_directory()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var disk = new TmpfsMount(t["disk"], "size=4m");
        Assert.True(disk.Mounted, disk.MountError);
        var b = CompressibleBackup(t.Path, Path.Combine(disk.Path, "backups"));
        Assert.Equal(0, Cli.Run("mount", "-o", "remount,ro", disk.Path).Code);
        var log = new ListLogger();

        var r = new BackupVerifier(log).Verify(b, VerificationLevel.Standard);

        Assert.True(r.Passed, r.Message);
        Assert.Contains(log.Messages, m => m.Contains("Cannot create a scratch folder beside the backup") && m.Contains(Path.GetTempPath()));
    }

    [Fact]
    public void The_next_verification_removes_scratch_folders_of_dead_processes_and_never_a_live_one()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var b = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Verify = VerificationLevel.None });
        using var dead = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        dead.WaitForExit();
        using var alive = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            string Scratch(int pid)
            {
                string dir = Path.Combine(t["backups"], $".sqlitebackup-{pid}-{Guid.NewGuid():N}.tmp");
                Directory.CreateDirectory(dir);
                File.WriteAllBytes(Path.Combine(dir, "backup.db"), new byte[4096]);
                return dir;
            }
            string left = Scratch(dead.Id), inUse = Scratch(alive.Id);
            // What a killed check of an earlier version left in the temporary directory.
            string legacy = Path.Combine(Path.GetTempPath(), $"sqlitebackup-verify-{dead.Id}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(legacy);

            Assert.True(new BackupVerifier().Verify(b, VerificationLevel.Standard).Passed);

            Assert.False(Directory.Exists(legacy), "an earlier version's leftover in the temporary directory is removed");
            Assert.False(Directory.Exists(left), "a killed check's folder is removed");
            Assert.True(Directory.Exists(inUse), "a live process's folder is left alone");
            Assert.Equal([inUse], Directory.GetDirectories(t["backups"]));
        }
        finally
        {
            alive.Kill();
        }
    }

    [Fact]
    public void Old_manifests_without_an_outcome_read_as_before()
    {
        var json = """
            { "schema": "sqlitebackup.manifest", "schemaVersion": 1, "id": "0123456789abcdef0123456789abcdef", "file": "app_20260101-000000_automatic_01234567.db.zst",
              "storedSha256": "0000000000000000000000000000000000000000000000000000000000000000", "rawSha256": "0000000000000000000000000000000000000000000000000000000000000000",
              "verifications": [ { "timeUtc": "2026-01-01T00:00:00Z", "level": "Quick", "passed": true, "durationMs": 1, "message": "3 checks passed" },
                                 { "timeUtc": "2026-01-02T00:00:00Z", "level": "Standard", "passed": false, "durationMs": 1, "message": "QuickCheck: bad" } ] }
            """u8;
        var m = BackupManifest.TryParse(json, out var problem);
        Assert.Null(problem);
        Assert.Equal([VerificationOutcome.Passed, VerificationOutcome.Failed], m!.Verifications.Select(v => v.Result));
        Assert.False(new BackupInfo(m, "/b/x.manifest.json").Verified);
    }

    static BackupInfo Listed(string id, string utc, params VerificationOutcome[] history)
    {
        var m = new BackupManifest
        {
            Id = id.PadRight(32, '0'), Database = "app", Type = BackupType.Automatic, File = $"app_{id}.db.zst",
            CreatedUtc = DateTime.Parse(utc, null, System.Globalization.DateTimeStyles.AdjustToUniversal),
        };
        foreach (var o in history)
            m.Verifications.Add(new VerificationRecord { Outcome = o, Passed = o == VerificationOutcome.Inconclusive ? null : o == VerificationOutcome.Passed });
        return new BackupInfo(m, $"/b/{m.File}.manifest.json");
    }

    [Fact]
    public void Rotation_removes_only_proven_failures_and_an_inconclusive_check_changes_no_earlier_proof()
    {
        BackupInfo[] list =
        [
            Listed("a", "2026-03-05T02:00Z", VerificationOutcome.Inconclusive),
            Listed("b", "2026-03-04T02:00Z", VerificationOutcome.Passed, VerificationOutcome.Inconclusive),
            Listed("c", "2026-03-03T02:00Z", VerificationOutcome.Failed, VerificationOutcome.Inconclusive),
            Listed("d", "2026-03-02T02:00Z", VerificationOutcome.Inconclusive, VerificationOutcome.Inconclusive),
        ];
        var plan = BackupRotation.Plan(list, new RetentionPolicy { KeepDaily = 7 }, TimeZoneInfo.Utc);
        var byId = plan.ToDictionary(d => d.Backup.Id[..1]);

        Assert.Equal(RetentionAction.Keep, byId["a"].Action);
        Assert.Equal(RetentionAction.Keep, byId["b"].Action);
        Assert.Contains(RetentionPlanner.NewestVerifiedReason, byId["b"].Reasons); // passed, then could not be checked: still the newest proof
        Assert.Equal(RetentionAction.Remove, byId["c"].Action);                       // proven bad stays bad
        Assert.Equal(["verification failed"], byId["c"].Reasons);
        Assert.Equal(RetentionAction.Keep, byId["d"].Action);
        Assert.Equal(VerificationState.Inconclusive, BackupRotation.StateOf(list[0]));
    }

    [Fact]
    public void Statistics_count_inconclusive_checks_apart_from_failures()
    {
        BackupInfo[] list = [Listed("a", "2026-03-05T02:00Z", VerificationOutcome.Inconclusive), Listed("b", "2026-03-04T02:00Z", VerificationOutcome.Passed)];
        var now = new DateTime(2026, 3, 6, 0, 0, 0, DateTimeKind.Utc);
        Logging.BackupLogEntry Entry(string e) => new() { Time = now.AddDays(-1), Event = e, Level = "Warning", Message = e };
        var s = BackupStatistics.Compute(list, [Entry("VerificationInconclusive"), Entry("RestoreTestInconclusive"), Entry("VerificationFailed")], now);
        Assert.Equal(1, s.FailuresLast30Days);
        Assert.Equal(1, s.Inconclusive);
        Assert.Equal(0.5, s.VerifiedShare);
    }

    [SkippableFact]
    public void A_restore_test_with_no_room_is_inconclusive_not_failed()
    {
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        using var disk = new TmpfsMount(t["disk"], "size=256k");
        Assert.True(disk.Mounted, disk.MountError);
        var b = CompressibleBackup(t.Path, t["backups"]);
        var log = new ListLogger();

        var r = new RestoreTester(log, disk.Path).Test(b);

        Assert.Equal(VerificationOutcome.Inconclusive, r.Outcome);
        Assert.False(r.Passed);
        Assert.Contains("DiskFull", r.Message);
        Assert.DoesNotContain(log.Messages, m => m.Contains("FAILED"));
    }

    [Theory]
    [InlineData("corrupt", VerificationOutcome.Failed, null)]
    [InlineData("notadb", VerificationOutcome.Failed, null)]
    [InlineData("full", VerificationOutcome.Inconclusive, InconclusiveCause.DiskFull)]
    [InlineData("ioerr", VerificationOutcome.Inconclusive, InconclusiveCause.IOError)]
    [InlineData("readonly", VerificationOutcome.Inconclusive, InconclusiveCause.PermissionDenied)]
    [InlineData("gzip", VerificationOutcome.Failed, null)]
    [InlineData("enospc", VerificationOutcome.Inconclusive, InconclusiveCause.DiskFull)]
    [InlineData("eacces", VerificationOutcome.Inconclusive, InconclusiveCause.PermissionDenied)]
    [InlineData("erofs", VerificationOutcome.Inconclusive, InconclusiveCause.PermissionDenied)]
    [InlineData("eio", VerificationOutcome.Inconclusive, InconclusiveCause.IOError)]
    [InlineData("checksum", VerificationOutcome.Failed, null)]
    [InlineData("destination", VerificationOutcome.Inconclusive, InconclusiveCause.PermissionDenied)]
    public void Only_the_backups_own_bytes_are_evidence(string kind, VerificationOutcome expected, InconclusiveCause? cause)
    {
        Exception e = kind switch
        {
            "corrupt" => new SqliteException("database disk image is malformed", 11),
            "notadb" => new SqliteException("file is not a database", 26),
            "full" => new SqliteException("database or disk is full", 13),
            "ioerr" => new SqliteException("disk I/O error", 10),
            "readonly" => new SqliteException("attempt to write a readonly database", 8),
            "gzip" => new InvalidDataException("The archive entry was compressed using an unsupported compression method."),
            "enospc" => new IOException("No space left on device", 28),
            "eacces" => new UnauthorizedAccessException("Access to the path is denied."),
            "erofs" => new IOException("Read-only file system", 30),
            "eio" => new IOException("Input/output error", 5),
            "checksum" => BackupErrors.ChecksumMismatch("/b/x.db.zst", "SHA-256 differs"),
            _ => BackupErrors.DestinationNotWritable("/t", new UnauthorizedAccessException("denied")),
        };
        var v = VerificationEvidence.Classify(e);
        Assert.NotNull(v);
        Assert.Equal(expected, v.Value.Outcome);
        Assert.Equal(cause, v.Value.Cause);
        Assert.Null(VerificationEvidence.Classify(new NullReferenceException())); // a bug is neither: it propagates
    }
}

/// <summary>The other side of the line: evidence is reported as evidence, not as an environment problem.</summary>
public class EvidenceIsReportedAsEvidenceTests
{
    /// <summary>A backup whose bytes match its manifest but decompress to something that is not a database.</summary>
    static BackupInfo NotADatabaseInside(TempDir t)
    {
        SampleDatabase.Create(t["app.db"]);
        var b = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Verify = VerificationLevel.None });
        var raw = new byte[8192];
        new Random(3).NextBytes(raw);
        using (var output = new FileStream(b.Path, FileMode.Create))
        using (var z = Codec.Compress(CompressionKind.Zstd, output))
            z.Write(raw);
        var m = b.Manifest;
        m.RawSize = raw.Length;
        m.RawSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(raw));
        m.StoredSha256 = HashingStream.HashFile(b.Path, out long stored);
        m.StoredSize = stored;
        File.WriteAllBytes(b.ManifestPath, m.ToJson());
        return new BackupCatalog().Open(b.Path);
    }

    [Fact]
    public void Restoring_a_backup_that_is_not_a_database_inside_is_BackupVerificationFailed_not_DestinationNotWritable()
    {
        using var t = new TempDir();
        var b = NotADatabaseInside(t);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(b, new RestoreRequest(t["restored.db"])));
        Assert.Equal("BackupVerificationFailed", e.ErrorId);
        Assert.False(File.Exists(t["restored.db"]));
    }

    [Theory]
    [InlineData(VerificationLevel.Standard)]
    [InlineData(VerificationLevel.Full)]
    public void Verifying_a_backup_that_is_not_a_database_inside_fails_at_quick_check(VerificationLevel level)
    {
        using var t = new TempDir();
        var b = NotADatabaseInside(t);
        var r = new BackupVerifier().Verify(b, level);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
        Assert.Equal("QuickCheck", r.Checks[^1].Name);
        Assert.False(new BackupCatalog().Open(b.Path).Verified);
    }

    [Fact]
    public void A_restore_test_of_a_backup_that_is_not_a_database_inside_fails()
    {
        using var t = new TempDir();
        var b = NotADatabaseInside(t);
        var r = new SqliteBackup.Core.Jobs.RestoreTester(new ListLogger()).Test(b);
        Assert.False(r.Passed);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
    }
}
