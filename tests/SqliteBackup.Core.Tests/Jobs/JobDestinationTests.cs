using System.Security.Cryptography;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Tests.Jobs;

/// <summary>A job copies each new backup to every destination and rotates each location by its own policy.</summary>
public class JobDestinationTests
{
    static BackupJobConfig Config(TempDir t, string section) => BackupJobTests.Config(t, section);

    static IReadOnlyList<DatabaseJobResult> Run(BackupJobConfig c) => BackupJobTests.Run(c);

    [Fact]
    public void Each_backup_goes_to_every_destination_and_each_location_keeps_its_own_count()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """
            { "databases": ["./app.db"], "retention_last": 3, "retention_days": 0, "retention_weeks": 0, "retention_months": 0, "weekly_restore_test": false,
              "destinations": ["./mirror", { "path": "./offsite", "retention_last": 1 }] }
            """);
        Assert.Equal([t["mirror"], t["offsite"]], c.Destinations.Select(d => d.Location));

        for (int i = 0; i < 4; i++) Assert.All(Run(c), r => Assert.True(r.Succeeded, r.Error));

        var local = new BackupCatalog().List(c.BackupDirectory);
        var mirror = new BackupCatalog().List(t["mirror"]);
        var offsite = new BackupCatalog().List(t["offsite"]);
        Assert.Equal(3, local.Count);
        Assert.Equal(local.Select(b => b.Id), mirror.Select(b => b.Id));     // the job's own policy
        Assert.Equal([local[^1].Id], offsite.Select(b => b.Id));             // its own: the newest one
        foreach (var copy in mirror.Concat(offsite))
        {
            Assert.Equal(copy.Manifest.StoredSha256, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(copy.Path))).ToLowerInvariant());
            Assert.True(copy.Verified);
            Assert.EndsWith(copy.Manifest.File, copy.Manifest.CopiedFrom);
        }
        var events = new JsonLinesLog(c.LogFile).Read().Select(e => e.Event).ToList();
        Assert.Equal(8, events.Count(e => e == "BackupCopied"));
    }

    [Fact]
    public void A_destination_that_fails_fails_the_database_but_not_the_other_destination_nor_the_local_backup()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["not-a-folder"], "a file where a destination folder should be");
        var c = Config(t, """{ "databases": ["./app.db"], "weekly_restore_test": false, "destinations": ["./not-a-folder", "./mirror"] }""");

        var r = Run(c).Single();

        Assert.False(r.Succeeded);
        Assert.Equal("BackupPathIsFile", r.ErrorId);
        Assert.Contains("not-a-folder", r.Error);
        Assert.False(r.Destinations[0].Succeeded);
        Assert.True(r.Destinations[1].Succeeded, r.Destinations[1].Error);
        Assert.Equal(r.Backup!.Id, Assert.Single(new BackupCatalog().List(t["mirror"])).Id);
        Assert.Equal(r.Backup.Id, Assert.Single(new BackupCatalog().List(c.BackupDirectory)).Id);
        var events = new JsonLinesLog(c.LogFile).Read().Select(e => e.Event).ToList();
        Assert.Contains("CopyFailed", events);
        Assert.Contains("JobFailed", events);
    }

    [Fact]
    public void A_destination_may_choose_its_Object_Lock_mode_and_the_age_of_uploads_it_cleans_up()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """{ "databases": ["./app.db"], "destinations": ["s3://b/p?lock-mode=compliance&abort-uploads-after=6h"] }""");
        Assert.Equal("s3://b/p?lock-mode=compliance&abort-uploads-after=6h", c.Destinations.Single().Location);
    }

    [Theory]
    [InlineData("""["s3://key:hunter2@bucket/x"]""", "destinations[0]")]
    [InlineData("""["https://acct.blob.core.windows.net/c?sv=2020&sig=abc"]""", "destinations[0]")]
    [InlineData("""[{ "path": "./x", "retention": 3 }]""", "destinations[0].retention")]
    [InlineData("""[42]""", "destinations[0]")]
    [InlineData("""{ "path": "./x" }""", "destinations")]
    public void A_destination_with_a_secret_or_a_bad_shape_is_refused_naming_it(string destinations, string key)
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var e = Assert.Throws<SqliteBackupException>(() => Config(t, $$"""{ "databases": ["./app.db"], "destinations": {{destinations}} }"""));
        Assert.Equal("InvalidBackupConfig", e.ErrorId);
        Assert.Contains($"'backup.{key}'", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.DoesNotContain("sig=abc", e.Message);
    }
}
