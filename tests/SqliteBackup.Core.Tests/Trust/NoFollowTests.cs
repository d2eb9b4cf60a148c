using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Tests.Trust;

/// <summary>Every file we create or append to is opened without following a symlink someone planted in its place.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class NoFollowTests
{
    const string Precious = "precious\n";

    static BackupLogEntry Entry() => new() { Time = DateTime.UtcNow, Level = "Information", Event = "BackupSucceeded", Message = "m" };

    [SkippableTheory]
    [InlineData(".sqlitebackup-job.lock")]
    [InlineData(".sqlitebackup-job.lock.info")]
    public void A_symlink_at_the_job_lock_files_never_writes_through_to_its_target(string name)
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        Directory.CreateDirectory(t["backups"]);
        File.WriteAllText(t["victim"], Precious);
        File.CreateSymbolicLink(t["backups/" + name], t["victim"]);
        try { JobLock.Acquire(t["backups"]).Dispose(); }
        catch (SqliteBackupException e) { Assert.Equal("UnsafeFileLink", e.ErrorId); }
        Assert.Equal(Precious, File.ReadAllText(t["victim"]));
    }

    [SkippableTheory]
    [InlineData("sqlitebackup-log.jsonl")]
    [InlineData(".sqlitebackup-log.jsonl.lock")]
    public void A_symlink_at_the_log_or_its_lock_is_refused_and_its_target_untouched(string name)
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        File.WriteAllText(t["victim"], Precious);
        File.CreateSymbolicLink(t[name], t["victim"]);
        var e = Assert.ThrowsAny<Exception>(() => new JsonLinesLog(t["sqlitebackup-log.jsonl"]).Append(Entry()));
        Assert.Contains("symbolic link", e.Message);
        Assert.Equal(Precious, File.ReadAllText(t["victim"]));
    }

    [SkippableFact]
    public void A_hard_link_at_the_log_is_refused()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        File.WriteAllText(t["victim"], Precious);
        Assert.Equal(0, Cli.Run("ln", t["victim"], t["sqlitebackup-log.jsonl"]).Code);
        Assert.ThrowsAny<Exception>(() => new JsonLinesLog(t["sqlitebackup-log.jsonl"]).Append(Entry()));
        Assert.Equal(Precious, File.ReadAllText(t["victim"]));
    }

    [SkippableFact]
    public void Job_lock_lock_info_log_and_log_lock_are_owner_only()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (JobLock.Acquire(t["backups"]))
        {
            Assert.Equal(Private, Plant.Mode(t["backups/.sqlitebackup-job.lock"]));
            Assert.Equal(Private, Plant.Mode(t["backups/.sqlitebackup-job.lock.info"]));
        }
        new JsonLinesLog(t["backups/sqlitebackup-log.jsonl"]).Append(Entry());
        Assert.Equal(Private, Plant.Mode(t["backups/sqlitebackup-log.jsonl"]));
        Assert.Equal(Private, Plant.Mode(t["backups/.sqlitebackup-log.jsonl.lock"]));
    }

    [SkippableFact]
    public void A_lock_file_left_world_readable_by_an_older_version_is_made_owner_only()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        Directory.CreateDirectory(t["backups"]);
        File.WriteAllText(t["backups/.sqlitebackup-job.lock"], "");
        File.SetUnixFileMode(t["backups/.sqlitebackup-job.lock"], (UnixFileMode)0b110_100_100);
        using (JobLock.Acquire(t["backups"]))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Plant.Mode(t["backups/.sqlitebackup-job.lock"]));
    }
}
