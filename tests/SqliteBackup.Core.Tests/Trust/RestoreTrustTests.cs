using System.Diagnostics;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Restore;

namespace SqliteBackup.Core.Tests.Trust;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class RestoreTrustTests
{
    [SkippableFact]
    public void A_symlink_at_the_restore_target_is_refused_and_its_target_untouched()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        var b = Plant.Backup(t);
        SampleDatabase.Create(t["other.db"], employees: 3);
        string before = Db.Sha(t["other.db"]);
        File.CreateSymbolicLink(t["app-restored.db"], t["other.db"]);

        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(b, new RestoreRequest(t["app-restored.db"]) { Force = true }));
        Assert.Equal("RestoreTargetIsSymlink", e.ErrorId);
        Assert.Equal(before, Db.Sha(t["other.db"]));
        Assert.NotNull(new FileInfo(t["app-restored.db"]).LinkTarget);
    }

    [Fact]
    public void The_copy_a_restore_reads_back_is_never_in_the_targets_folder()
    {
        // Whoever can write the target's folder could swap a file there, between our writing it and SQLite reopening it by
        // name, for a link to a database they may not read: a hostile-user test made root copy such a database into theirs.
        using var t = new TempDir();
        var b = Plant.Backup(t);
        Directory.CreateDirectory(t["app"]);
        SampleDatabase.Create(t["app/app.db"], employees: 3);
        var seen = new List<string>();
        new Restorer().Restore(b, new RestoreRequest(t["app/app.db"]) { Force = true, NoPreRestoreBackup = true }, p =>
        {
            if (p.Status.StartsWith("Copying into the live database", StringComparison.Ordinal) || p.Status.StartsWith("PRAGMA quick_check", StringComparison.Ordinal))
                seen.AddRange(Directory.GetFileSystemEntries(t["app"]).Select(Path.GetFileName)!);
        });
        Assert.NotEmpty(seen);
        Assert.DoesNotContain(seen, f => f!.Contains(".tmp", StringComparison.Ordinal));
        Assert.Equal(100, Db.Count(t["app/app.db"], "employees"));
    }

    [SkippableFact]
    public void A_restore_asked_to_follow_a_symlink_restores_into_its_target_and_keeps_the_link()
    {
        Skip.If(OperatingSystem.IsWindows());
        using var t = new TempDir();
        var b = Plant.Backup(t);
        File.WriteAllText(t["real.db"], "damaged");
        File.CreateSymbolicLink(t["link.db"], t["real.db"]);
        var r = new Restorer().Restore(b, new RestoreRequest(t["link.db"]) { Force = true, FollowSymlink = true });
        Assert.Equal(t["real.db"], r.Destination);
        Assert.NotNull(new FileInfo(t["link.db"]).LinkTarget);
        Assert.Equal(100, Db.Count(t["real.db"], "employees"));
    }

    [Fact]
    public void A_restore_removes_what_a_killed_restore_to_the_same_target_left_and_nothing_else()
    {
        using var t = new TempDir();
        var b = Plant.Backup(t);
        string killed = t[$".sqlitebackup-999999999-{Guid.NewGuid():N}-restore-app2.db.tmp"];
        File.WriteAllText(killed, "a full-size copy left by a killed restore");
        File.WriteAllText(killed + "-journal", "x");
        string otherTarget = t[$".sqlitebackup-999999999-{Guid.NewGuid():N}-restore-crm.db.tmp"];
        File.WriteAllText(otherTarget, "another target's");
        File.WriteAllText(t["app2.db.notes"], "user file");

        new Restorer().Restore(b, new RestoreRequest(t["app2.db"]));
        Assert.False(File.Exists(killed));
        Assert.False(File.Exists(killed + "-journal"));
        Assert.True(File.Exists(otherTarget));
        Assert.True(File.Exists(t["app2.db.notes"]));
        Assert.Empty(Directory.GetFiles(t.Path, ".sqlitebackup-*restore-app2.db*"));
    }

    [SkippableFact]
    public void A_restore_never_removes_the_temporary_file_of_a_live_restore_to_the_same_target()
    {
        Skip.If(OperatingSystem.IsWindows() || !Cli.Has("flock"));
        using var t = new TempDir();
        var b = Plant.Backup(t);
        string live = t[$".sqlitebackup-{Environment.ProcessId}-{Guid.NewGuid():N}-restore-app2.db.tmp"];
        File.WriteAllText(live, "being written");
        // Another process holds the restore lock of that target, as a running restore does.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["-n", t[".sqlitebackup-restore-app2.db.lock"], "sleep", "20"]))!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!File.Exists(t[".sqlitebackup-restore-app2.db.lock"]) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Thread.Sleep(100);
            var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(b, new RestoreRequest(t["app2.db"])));
            Assert.Equal("RestoreInProgress", e.ErrorId);
            Assert.True(File.Exists(live));
        }
        finally { holder.Kill(); }
    }

    [SkippableFact]
    public void Restoring_over_a_damaged_database_of_another_user_keeps_its_owner_group_and_mode()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        using var app = new LocalUser();
        var b = Plant.Backup(t);
        File.WriteAllText(t["live.db"], "not a database any more");
        app.Owns(t["live.db"]);
        File.SetUnixFileMode(t["live.db"], (UnixFileMode)0b110_110_000);

        var r = new Restorer().Restore(b, new RestoreRequest(t["live.db"]) { Force = true });
        Assert.NotNull(r.PreservedPath);
        Assert.Equal((UnixFileMode)0b110_110_000, File.GetUnixFileMode(t["live.db"]));
        var (_, owner, _) = Cli.Run("stat", "-c", "%U:%G", t["live.db"]);
        Assert.Equal($"{app.Name}:{app.Name}", owner.Trim());
        Assert.Equal(100, Db.Count(t["live.db"], "employees"));
    }
}
