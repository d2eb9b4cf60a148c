using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Tests.Trust;

/// <summary>A manifest can only name its own data file: the name derived from the manifest's own, in our pattern, a regular file beside it.</summary>
public class ManifestTrustTests
{
    [Fact]
    public void A_manifest_naming_another_file_is_ignored_and_rotation_deletes_nothing()
    {
        using var t = new TempDir();
        var real = Plant.Backup(t);
        File.WriteAllText(t["backups/important.txt"], "precious");
        // Named so the old 'describes the file beside it' check passed.
        Plant.Manifest(real, t["backups/important.txt.manifest.json"], m =>
        {
            m["file"] = "important.txt";
            m["id"] = "0123456789abcdef0123456789abcdef";
            m["createdUtc"] = DateTime.UtcNow.AddDays(-400).ToString("O");
        });

        var listed = new BackupCatalog().List(t["backups"]);
        Assert.Equal([real.Id], listed.Select(b => b.Id));

        var decisions = BackupRotation.Plan(listed, new RetentionPolicy { KeepLast = 1 }, TimeZoneInfo.Utc);
        foreach (var d in decisions) new BackupRotation().Apply(d);
        Assert.Equal("precious", File.ReadAllText(t["backups/important.txt"]));
    }

    [Fact]
    public void Opening_a_manifest_that_names_another_file_is_refused_and_remove_deletes_nothing()
    {
        using var t = new TempDir();
        var real = Plant.Backup(t);
        File.WriteAllText(t["backups/important.txt"], "precious");
        string x = Plant.Manifest(real, t["backups/X.manifest.json"], m => m["file"] = "important.txt");

        var e = Assert.Throws<SqliteBackupException>(() => new BackupCatalog().Open(x));
        Assert.Equal("UntrustedBackupFile", e.ErrorId);
        Assert.Contains("important.txt", e.Message);

        // A BackupInfo built by hand (or deserialized from a pipeline) gets the same check before anything is deleted.
        var forged = new BackupInfo(BackupManifest.TryParse(File.ReadAllBytes(x), out _)!, x);
        var removeError = Assert.Throws<SqliteBackupException>(() => new BackupCatalog().Remove(forged));
        Assert.Equal("UntrustedBackupFile", removeError.ErrorId);
        Assert.True(File.Exists(t["backups/important.txt"]));
        Assert.True(File.Exists(x));
    }

    [Fact]
    public void A_manifest_whose_data_file_is_a_symlink_is_ignored_and_its_target_is_never_deleted()
    {
        using var t = new TempDir();
        var real = Plant.Backup(t);
        File.WriteAllText(t["victim.db"], "precious");
        string name = "app_20200101-000000_automatic_0badc0de.db.zst";
        File.CreateSymbolicLink(t["backups/" + name], t["victim.db"]);
        string manifest = Plant.Manifest(real, t["backups/" + name + ".manifest.json"], m =>
        {
            m["file"] = name;
            m["id"] = "0badc0de89abcdef0123456789abcdef";
            m["createdUtc"] = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).ToString("O");
        });

        Assert.Equal([real.Id], new BackupCatalog().List(t["backups"]).Select(b => b.Id));
        var e = Assert.Throws<SqliteBackupException>(() => new BackupCatalog().Open(manifest));
        Assert.Equal("UntrustedBackupFile", e.ErrorId);
        Assert.Equal("precious", File.ReadAllText(t["victim.db"]));
    }

    [Fact]
    public void A_manifest_that_is_a_symlink_is_ignored()
    {
        using var t = new TempDir();
        var real = Plant.Backup(t);
        string name = "app_20200101-000000_automatic_0badc0de.db.zst";
        File.Copy(real.Path, t["backups/" + name]);
        Plant.Manifest(real, t["elsewhere.json"], m => { m["file"] = name; m["id"] = "0badc0de89abcdef0123456789abcdef"; });
        File.CreateSymbolicLink(t["backups/" + name + ".manifest.json"], t["elsewhere.json"]);
        Assert.Equal([real.Id], new BackupCatalog().List(t["backups"]).Select(b => b.Id));
    }

    [Fact]
    public void A_manifest_whose_file_is_not_in_our_naming_pattern_is_ignored()
    {
        using var t = new TempDir();
        var real = Plant.Backup(t);
        File.Copy(real.Path, t["backups/notes.db"]);
        Plant.Manifest(real, t["backups/notes.db.manifest.json"], m => { m["file"] = "notes.db"; m["id"] = "0badc0de89abcdef0123456789abcdef"; });
        Assert.Equal([real.Id], new BackupCatalog().List(t["backups"]).Select(b => b.Id));
    }
}
