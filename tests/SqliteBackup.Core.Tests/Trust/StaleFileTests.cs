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
