using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Verification;
namespace SqliteBackup.Core.Tests.Trust;

/// <summary>Cleanup deletes only our temporary-file pattern; a backup-named file without a manifest is an orphan, reported and kept.</summary>
public class StaleFileTests
{
    [Fact]
    public void Cleanup_never_deletes_a_backup_whose_manifest_is_gone()
    {
        using var t = new TempDir();
        var b = Plant.Backup(t, type: BackupType.Manual);
        File.Delete(b.ManifestPath);
        File.SetLastWriteTimeUtc(b.Path, DateTime.UtcNow.AddDays(-3));
        string staleTemp = t["backups/.sqlitebackup-999999999-0123456789abcdef0123456789abcdef.tmp"];
        File.WriteAllText(staleTemp, "left by a killed backup");

        var log = new ListLogger();
        BackupCatalog.CleanStale(t["backups"], log);
        Assert.True(File.Exists(b.Path));
        Assert.False(File.Exists(staleTemp));
        Assert.Contains(log.Warnings, w => w.Contains(Path.GetFileName(b.Path)));
    }
}

public class OrphanRegistrationTests
{
    static BackupInfo Orphan(TempDir t, out string originalManifest)
    {
        var b = Plant.Backup(t, type: BackupType.Manual);
        originalManifest = File.ReadAllText(b.ManifestPath);
        File.Delete(b.ManifestPath);
        File.SetLastWriteTimeUtc(b.Path, DateTime.UtcNow.AddDays(-3));
        return new BackupCatalog().ListOrphans(t["backups"]).Single();
    }

    [Fact]
    public void An_orphan_is_listed_with_what_its_name_says()
    {
        using var t = new TempDir();
        var b = Plant.Backup(t, type: BackupType.Manual);
        File.Delete(b.ManifestPath);
        File.SetLastWriteTimeUtc(b.Path, DateTime.UtcNow.AddDays(-3));
        var o = new BackupCatalog().ListOrphans(t["backups"]).Single();
        Assert.True(o.IsOrphan);
        Assert.Equal(b.Path, o.Path);
        Assert.Equal("app", o.Database);
        Assert.Equal(BackupType.Manual, o.Type);
        Assert.Equal(b.Id[..8], o.Id);
        Assert.Equal(new FileInfo(b.Path).Length, o.Size);
        Assert.Empty(new BackupCatalog().List(t["backups"]));
    }

    [Fact]
    public void A_passing_standard_verification_registers_an_orphan_with_a_manifest_built_from_the_file()
    {
        using var t = new TempDir();
        var orphan = Orphan(t, out _);
        var r = new OrphanRegistration().Register(orphan, VerificationLevel.Standard);
        Assert.True(r.Passed, r.Message);
        var registered = new BackupCatalog().List(t["backups"]).Single();
        Assert.Equal(orphan.Path, registered.Path);
        Assert.StartsWith(orphan.Id, registered.Id);
        Assert.Equal(BackupType.Manual, registered.Type);
        Assert.True(registered.Verified);
        Assert.Equal(100, registered.Manifest.TableRowCounts["employees"]);
        Assert.True(new BackupVerifier().Verify(registered, VerificationLevel.Full).Passed);
        Assert.Empty(new BackupCatalog().ListOrphans(t["backups"]));
    }

    [Fact]
    public void A_damaged_orphan_is_not_registered_and_not_deleted()
    {
        using var t = new TempDir();
        var orphan = Orphan(t, out _);
        var bytes = File.ReadAllBytes(orphan.Path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(orphan.Path, bytes);
        File.SetLastWriteTimeUtc(orphan.Path, DateTime.UtcNow.AddDays(-3));
        try
        {
            var r = new OrphanRegistration().Register(orphan, VerificationLevel.Standard);
            Assert.False(r.Passed);
        }
        catch (SqliteBackupException e) { Assert.Equal("OrphanNotRegistered", e.ErrorId); }
        Assert.False(File.Exists(orphan.ManifestPath));
        Assert.True(File.Exists(orphan.Path));
    }

    [Fact]
    public void A_quick_check_cannot_register_an_orphan()
    {
        using var t = new TempDir();
        var orphan = Orphan(t, out _);
        var e = Assert.Throws<SqliteBackupException>(() => new OrphanRegistration().Register(orphan, VerificationLevel.Quick));
        Assert.Equal("OrphanNotRegistered", e.ErrorId);
        Assert.False(File.Exists(orphan.ManifestPath));
    }
}
