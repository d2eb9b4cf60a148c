using CsCheck;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests;

public class BackupRotationTests
{
    static int _seq;

    static BackupInfo B(string database, string utc, BackupType type = BackupType.Automatic, bool? verified = null, string dir = "/backups")
    {
        var m = new BackupManifest
        {
            Id = $"{Interlocked.Increment(ref _seq):x8}{Guid.NewGuid():N}"[..32],
            Database = database,
            CreatedUtc = DateTime.Parse(utc, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal),
            Type = type,
        };
        m.File = $"{database}_{m.Id[..8]}.db.zst";
        if (verified != null) m.Verifications.Add(new VerificationRecord { Passed = verified.Value, Level = VerificationLevel.Quick });
        return new BackupInfo(m, Path.Combine(dir, m.File + BackupManifest.Suffix));
    }

    static string[] Summary(IEnumerable<RotationDecision> ds) =>
        ds.Select(d => $"{d.Database} {d.Backup.CreatedUtc:MM-dd} {d.Type}: {d.Action} {string.Join(" | ", d.Reasons)}".TrimEnd()).ToArray();

    [Fact]
    public void Manual_PreRestore_and_PreMigration_backups_are_kept_and_use_no_count()
    {
        BackupInfo[] list =
        [
            B("app", "2026-03-05T02:00Z", BackupType.Manual),
            B("app", "2026-03-04T02:00Z"),
            B("app", "2026-03-03T02:00Z", BackupType.PreRestore),
            B("app", "2026-03-02T02:00Z", BackupType.PreMigration),
            B("app", "2026-03-01T02:00Z"),
        ];
        var plan = BackupRotation.Plan(list, new RetentionPolicy { KeepDaily = 1 }, TimeZoneInfo.Utc);
        Assert.Equal([
            "app 03-05 Manual: Keep manual",
            "app 03-04 Automatic: Keep daily snapshot",
            "app 03-03 PreRestore: Keep prerestore",
            "app 03-02 PreMigration: Keep premigration",
            "app 03-01 Automatic: Remove not kept by any rule (keep 1 daily snapshots)",
        ], Summary(plan));
    }

    [Fact]
    public void PreRestore_and_PreMigration_can_be_opted_into_rotation_but_Manual_never()
    {
        BackupInfo[] list =
        [
            B("app", "2026-03-04T02:00Z"),
            B("app", "2026-03-03T02:00Z", BackupType.PreRestore),
            B("app", "2026-03-02T02:00Z", BackupType.Manual),
        ];
        var plan = BackupRotation.Plan(list, new RetentionPolicy { KeepLast = 1 }, TimeZoneInfo.Utc, [BackupType.PreRestore, BackupType.Manual]);
        Assert.Equal([
            "app 03-04 Automatic: Keep last snapshot",
            "app 03-03 PreRestore: Remove not kept by any rule (keep 1 latest snapshots)",
            "app 03-02 Manual: Keep manual",
        ], Summary(plan));
    }

    [Fact]
    public void A_failed_backup_is_removed_and_never_stands_for_its_day_and_the_newest_verified_stays()
    {
        BackupInfo[] list =
        [
            B("app", "2026-03-04T03:00Z", verified: false),
            B("app", "2026-03-04T02:00Z"),
            B("app", "2026-03-03T02:00Z", verified: true),
            B("app", "2026-03-02T02:00Z"),
        ];
        var plan = BackupRotation.Plan(list, new RetentionPolicy { KeepDaily = 1 }, TimeZoneInfo.Utc);
        Assert.Equal([
            "app 03-04 Automatic: Remove verification failed",
            "app 03-04 Automatic: Keep daily snapshot",
            "app 03-03 Automatic: Keep newest verified",
            "app 03-02 Automatic: Remove not kept by any rule (keep 1 daily snapshots)",
        ], Summary(plan));
    }

    [Fact]
    public void Each_database_in_each_directory_is_rotated_on_its_own()
    {
        BackupInfo[] list =
        [
            B("app", "2026-03-02T02:00Z"), B("app", "2026-03-01T02:00Z"),
            B("crm", "2026-03-02T02:00Z"), B("crm", "2026-03-01T02:00Z"),
            B("app", "2026-03-02T02:00Z", dir: "/other"), B("app", "2026-03-01T02:00Z", dir: "/other"),
        ];
        var plan = BackupRotation.Plan(list, new RetentionPolicy { KeepLast = 1 }, TimeZoneInfo.Utc);
        Assert.Equal(3, plan.Count(d => d.Action == RetentionAction.Keep));
        Assert.All(plan.Where(d => d.Action == RetentionAction.Keep), d => Assert.Equal(2, d.Backup.CreatedUtc.Day));
    }

    [Fact]
    public void Rotation_never_removes_a_manual_backup_and_decides_every_backup_once()
    {
        var gen = Gen.Select(
            Gen.Int[0, 2000], Gen.Int[0, 23], Gen.Enum<BackupType>(), Gen.Bool.Nullable(), Gen.OneOfConst("app", "crm"))
            .Array[0, 60];
        var policyGen = Gen.Select(Gen.Int[-1, 5], Gen.Int[-1, 5], Gen.Int[-1, 5], Gen.Int[-1, 3]);
        Gen.Select(gen, policyGen).Sample(t =>
        {
            var (items, (last, daily, weekly, monthly)) = t;
            var backups = items.Select(i => B(i.Item5, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i.Item1).AddHours(i.Item2).ToString("o"), i.Item3, i.Item4)).ToList();
            var plan = BackupRotation.Plan(backups, new RetentionPolicy { KeepLast = last, KeepDaily = daily, KeepWeekly = weekly, KeepMonthly = monthly }, TimeZoneInfo.Utc);
            Assert.Equal(backups.Select(b => b.Id).Order(), plan.Select(d => d.Backup.Id).Order());
            Assert.DoesNotContain(plan, d => d.Type == BackupType.Manual && d.Action == RetentionAction.Remove);
            foreach (var db in backups.Select(b => b.Database).Distinct())
            {
                var newestVerified = backups.Where(b => b.Database == db && b.Verified == true).MaxBy(b => b.CreatedUtc);
                if (newestVerified != null) Assert.Equal(RetentionAction.Keep, plan.Single(d => d.Backup == newestVerified).Action);
            }
        }, iter: 300);
    }
}
