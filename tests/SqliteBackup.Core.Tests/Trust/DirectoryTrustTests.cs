using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Trust;

/// <summary>Like OpenSSH's StrictModes: a backup directory that users other than its owner and root can write is refused.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class DirectoryTrustTests
{
    const UnixFileMode WorldWritable = (UnixFileMode)0b111_111_111;
    const UnixFileMode StickyWorldWritable = (UnixFileMode)0b1_111_111_111;
    const UnixFileMode GroupWritable = (UnixFileMode)0b111_111_101;

    [SkippableTheory]
    [InlineData(0b111_111_111)]
    [InlineData(0b1_111_111_111)]
    public void A_backup_directory_writable_by_others_is_refused_for_reading_writing_and_removing(int mode)
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        var b = Plant.Backup(t);
        File.SetUnixFileMode(t["backups"], (UnixFileMode)mode);

        var list = Assert.Throws<SqliteBackupException>(() => new BackupCatalog().List(t["backups"]));
        Assert.Equal("InsecureBackupDirectory", list.ErrorId);
        Assert.Contains("AllowInsecureDirectory", list.RecommendedAction);
        Assert.Equal("InsecureBackupDirectory", Assert.Throws<SqliteBackupException>(() => new BackupCatalog().Open(b.Path)).ErrorId);
        Assert.Equal("InsecureBackupDirectory", Assert.Throws<SqliteBackupException>(() => new BackupCatalog().Remove(b)).ErrorId);
        Assert.Equal("InsecureBackupDirectory", Assert.Throws<SqliteBackupException>(() =>
            new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Verify = VerificationLevel.None })).ErrorId);
        Assert.True(File.Exists(b.Path));
    }

    [SkippableFact]
    public void A_group_writable_directory_is_refused_unless_its_group_holds_only_its_owner()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var other = new LocalUser();
        Plant.Backup(t);
        File.SetUnixFileMode(t["backups"], GroupWritable);
        Assert.Single(new BackupCatalog().List(t["backups"])); // root's group: root alone (umask 002, user private groups)
        Assert.Equal(0, Cli.Run("chgrp", other.Name, t["backups"]).Code);
        Assert.Equal("InsecureBackupDirectory", Assert.Throws<SqliteBackupException>(() => new BackupCatalog().List(t["backups"])).ErrorId);
    }

    [SkippableFact]
    public void A_backup_directory_below_a_folder_of_another_user_is_refused_because_they_could_swap_it()
    {
        // Found by a hostile-user test: the owner of /home/x could rename x/backups away, plant a folder of their own with
        // a matching manifest, and root's '-Latest 1 | Restore-SqliteBackup' restored the planted database.
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var other = new LocalUser();
        Directory.CreateDirectory(t["home"]);
        other.Owns(t["home"]);
        File.SetUnixFileMode(t["home"], (UnixFileMode)0b111_101_101);
        SampleDatabase.Create(t["app.db"]);
        var e = Assert.Throws<SqliteBackupException>(() =>
            new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = Path.Combine(t["home"], "backups"), Verify = VerificationLevel.None }));
        Assert.Equal("InsecureBackupDirectory", e.ErrorId);
        Assert.Contains($"owned by uid {other.Uid}", e.Message);
        Assert.False(Directory.Exists(Path.Combine(t["home"], "backups")));
    }

    [SkippableFact]
    public void Stale_scratch_cleanup_leaves_another_users_look_alike_folders_alone()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var other = new LocalUser();
        string theirs = t[$".sqlitebackup-99999-{new string('a', 32)}.tmp"];
        string ours = t[$".sqlitebackup-99998-{new string('b', 32)}.tmp"];
        Directory.CreateDirectory(Path.Combine(theirs, "sub"));
        Directory.CreateDirectory(ours);
        other.Owns(theirs);
        ScratchDirectory.RemoveStale(t.Path, NullLogger.Instance);
        Assert.True(Directory.Exists(Path.Combine(theirs, "sub")));
        Assert.False(Directory.Exists(ours));
    }

    [SkippableFact]
    public void The_override_allows_an_insecure_directory()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        var b = Plant.Backup(t);
        File.SetUnixFileMode(t["backups"], StickyWorldWritable);
        Assert.Single(new BackupCatalog { AllowInsecureDirectory = true }.List(t["backups"]));
        new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Verify = VerificationLevel.None, AllowInsecureDirectory = true });
    }

    [SkippableFact]
    public void A_directory_inside_a_world_writable_parent_without_the_sticky_bit_is_refused()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        Plant.Backup(t, "open/backups");
        File.SetUnixFileMode(t["open"], WorldWritable);
        var e = Assert.Throws<SqliteBackupException>(() => new BackupCatalog().List(t["open/backups"]));
        Assert.Equal("InsecureBackupDirectory", e.ErrorId);
        Assert.Contains(t["open"], e.Message);
    }

    [SkippableFact]
    public void A_job_refuses_an_insecure_backup_directory_or_log_location_unless_its_configuration_allows_it()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        Directory.CreateDirectory(t["logs"]);
        File.SetUnixFileMode(t["logs"], StickyWorldWritable);
        File.WriteAllText(t["backup.json"], """{ "backup": { "databases": ["./app.db"], "log_file": "./logs/job.jsonl", "weekly_restore_test": false } }""");
        var config = BackupJobConfigFile.Load(t["backup.json"]);
        var e = Assert.Throws<SqliteBackupException>(() => new BackupJob(NullLogger.Instance).Run(config));
        Assert.Equal("InsecureBackupDirectory", e.ErrorId);
        Assert.Contains("allow_insecure_directory", e.RecommendedAction);
        Assert.False(Directory.Exists(t["backups"]));

        File.WriteAllText(t["backup.json"], """{ "backup": { "databases": ["./app.db"], "log_file": "./logs/job.jsonl", "weekly_restore_test": false, "allow_insecure_directory": true } }""");
        Assert.True(new BackupJob(NullLogger.Instance).Run(BackupJobConfigFile.Load(t["backup.json"])).Single().Succeeded);
    }

    /// <summary>The case from the issue: a local user planted future-dated manifests and root's rotation removed every genuine backup.</summary>
    [SkippableFact]
    public void Manifests_planted_by_another_user_are_ignored_even_when_the_directory_is_allowed()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var mallory = new LocalUser();
        var genuine = new[] { Plant.Backup(t), Plant.Backup(t) };
        File.SetUnixFileMode(t["backups"], StickyWorldWritable);
        for (int i = 0; i < 5; i++)
        {
            string name = $"app_2099010{i}-000000_automatic_0badc0d{i}.db.zst";
            File.Copy(genuine[0].Path, t["backups/" + name]);
            mallory.Owns(t["backups/" + name]);
            mallory.Owns(Plant.Manifest(genuine[0], t["backups/" + name + ".manifest.json"], m =>
            {
                m["file"] = name;
                m["id"] = $"0badc0d{i}89abcdef0123456789abcdef";
                m["createdUtc"] = new DateTime(2099, 1, 1 + i, 0, 0, 0, DateTimeKind.Utc).ToString("O");
            }));
        }

        var log = new ListLogger();
        var listed = new BackupCatalog(log) { AllowInsecureDirectory = true }.List(t["backups"]);
        Assert.Equal(genuine.Select(b => b.Id).Order(), listed.Select(b => b.Id).Order());
        Assert.Contains(log.Warnings, w => w.Contains(mallory.Name) || w.Contains(mallory.Uid.ToString()));
        foreach (var d in BackupRotation.Plan(listed, new RetentionPolicy { KeepLast = 2 }, TimeZoneInfo.Utc)) new BackupRotation().Apply(d);
        Assert.All(genuine, b => Assert.True(File.Exists(b.Path)));
    }

    [SkippableFact]
    public void A_directory_owned_by_another_user_trusts_that_users_files_but_not_a_third_users()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var alice = new LocalUser();
        using var mallory = new LocalUser();
        var mine = Plant.Backup(t);
        var planted = Plant.Backup(t);
        alice.Owns(t["backups"]);
        alice.Owns(mine.Path);
        alice.Owns(mine.ManifestPath);
        mallory.Owns(planted.ManifestPath);
        Assert.Equal([mine.Id], new BackupCatalog().List(t["backups"]).Select(b => b.Id));
        Assert.Equal("UntrustedBackupFile", Assert.Throws<SqliteBackupException>(() => new BackupCatalog().Open(planted.Path)).ErrorId);
    }

    /// <summary>In /tmp anyone can create 'backups' first (or a symlink by that name) and then owns what root writes there.</summary>
    [SkippableFact]
    public void A_directory_made_by_another_user_inside_a_folder_everyone_can_write_is_refused()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var mallory = new LocalUser();
        Directory.CreateDirectory(t["shared"]);
        File.SetUnixFileMode(t["shared"], StickyWorldWritable);
        Directory.CreateDirectory(t["shared/backups"]);
        mallory.Owns(t["shared/backups"]);
        SampleDatabase.Create(t["app.db"]);
        var e = Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["shared/backups"], Verify = VerificationLevel.None }));
        Assert.Equal("InsecureBackupDirectory", e.ErrorId);

        Directory.CreateDirectory(t["mallorys"]);
        mallory.Owns(t["mallorys"]);
        File.CreateSymbolicLink(t["shared/linked"], t["mallorys"]);
        mallory.Owns(t["shared/linked"]);
        Assert.Equal("InsecureBackupDirectory", Assert.Throws<SqliteBackupException>(() => new BackupEngine().Create(
            new BackupRequest(t["app.db"]) { Destination = t["shared/linked"], Verify = VerificationLevel.None })).ErrorId);

        // Made by us (root) in the same folder: trusted.
        new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["shared/ours"], Verify = VerificationLevel.None });
    }
}
