using System.Security.Cryptography;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
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
    public void A_destination_takes_its_own_time_limit_in_whole_seconds()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """
            { "databases": ["./app.db"], "destinations": [{ "path": "s3://bucket/app", "timeout_sec": 300 }, "./mirror"] }
            """);
        Assert.Equal(TimeSpan.FromSeconds(300), c.Destinations[0].Timeout);
        Assert.Null(c.Destinations[1].Timeout);
        foreach (var bad in new[] { "0", "-5", "\"120\"", "1.5", "86401" })
        {
            var e = Assert.Throws<SqliteBackupException>(() => Config(t, "{ \"databases\": [\"./app.db\"], \"destinations\": [{ \"path\": \"s3://bucket/app\", \"timeout_sec\": " + bad + " }] }"));
            Assert.Contains("timeout_sec", e.Message);
        }
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
    public void Every_destination_that_failed_is_named_with_its_ErrorId_in_the_jobs_error_not_only_the_first()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["not-a-folder"], "a file where a destination folder should be");
        Environment.SetEnvironmentVariable("SQLITEBACKUP_TEST_UNSET_KEY_ID", null);
        var c = Config(t, """
            { "databases": ["./app.db"], "weekly_restore_test": false, "destinations": ["./not-a-folder",
              { "path": "s3://bucket/app?endpoint=http://127.0.0.1:1", "user_env": "SQLITEBACKUP_TEST_UNSET_KEY_ID", "secret_env": "SQLITEBACKUP_TEST_UNSET_KEY_ID" },
              "./mirror"] }
            """);

        var r = Run(c).Single();

        Assert.False(r.Succeeded);
        Assert.Equal(["BackupPathIsFile", "StoreCredentialMissing", null], r.Destinations.Select(d => d.ErrorId));
        // The job's error (its JobFailed log line, the exception a shell sees) named only the first before.
        Assert.Contains("not-a-folder", r.Error);
        Assert.Contains("s3://bucket/app", r.Error);
        Assert.Contains("StoreCredentialMissing", r.Error);
        var failed = new JsonLinesLog(c.LogFile).Read().Single(e => e.Event == "JobFailed");
        Assert.Contains("StoreCredentialMissing", failed.Message);
        // The good destination was copied, the local backup kept.
        Assert.Equal(r.Backup!.Id, Assert.Single(new BackupCatalog().List(t["mirror"])).Id);
        Assert.Equal(r.Backup.Id, Assert.Single(new BackupCatalog().List(c.BackupDirectory)).Id);
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
    [InlineData("""["s3://bucket/x?endpoint=http://u:SEKRET-1@127.0.0.1:9000"]""", "destinations[0]")]
    [InlineData("""["s3://bucket/x?endpoint=http%3A%2F%2Fu%3ASEKRET-1%40127.0.0.1%3A9000"]""", "destinations[0]")]
    [InlineData("""[{ "path": "azure://acct/c/x?endpoint=http://SEKRET-1@127.0.0.1:10000/acct" }]""", "destinations[0]")]
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
        Assert.DoesNotContain("SEKRET", e.Message + e.RecommendedAction);
    }

    [Theory]
    [InlineData("""[{ "path": "s3://bucket/x", "secret_env": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }]""", "destinations[0].secret_env", "wJalrXUtnFEMI")]
    [InlineData("""[{ "path": "s3://bucket/x", "user_env": "AKIA EXAMPLE" }]""", "destinations[0].user_env", "AKIA EXAMPLE")]
    [InlineData("""[{ "path": "s3://bucket/x", "secret_access_key": "hunter2" }]""", "destinations[0].secret_access_key", "hunter2")]
    [InlineData("""[{ "path": "azure://acct/c", "password": "hunter2" }]""", "destinations[0].password", "hunter2")]
    [InlineData("""["DefaultEndpointsProtocol=https;AccountName=a;AccountKey=hunter2=="]""", "destinations[0]", "hunter2")]
    [InlineData("""[{ "path": "./local", "secret_env": "X" }]""", "destinations[0]", "no secret in this case")]
    [InlineData("""[{ "path": "sftp://u@h/p", "aws_profile": "offsite" }]""", "destinations[0].aws_profile", "no secret in this case")]
    [InlineData("""[{ "path": "s3://bucket/x", "aws_profile": "offsite", "secret_env": "S" }]""", "destinations[0].aws_profile", "no secret in this case")]
    public void A_credential_is_named_never_given_and_a_value_that_looks_like_the_secret_is_refused_without_repeating_it(string destinations, string key, string secret)
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var e = Assert.Throws<SqliteBackupException>(() => Config(t, $$"""{ "databases": ["./app.db"], "destinations": {{destinations}} }"""));
        Assert.Equal("InvalidBackupConfig", e.ErrorId);
        Assert.Contains($"'backup.{key}'", e.Message);
        Assert.DoesNotContain(secret, e.Message);
    }

    [Fact]
    public void A_destination_names_where_its_credential_comes_from_and_the_preview_says_so_without_a_value()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = Config(t, """
            { "databases": ["./app.db"], "keep_local_until_copied": true, "destinations": [
              { "path": "s3://bucket/x?endpoint=http://127.0.0.1:1", "user_env": "OFFSITE_KEY_ID", "secret_env": "OFFSITE_SECRET" },
              { "path": "s3://other/y", "aws_profile": "offsite" }, "./mirror"] }
            """);
        Assert.True(c.KeepLocalUntilCopied);
        Assert.Equal(new DestinationCredential("OFFSITE_KEY_ID", "OFFSITE_SECRET", null), c.Destinations[0].Credential);
        Assert.Equal(new DestinationCredential(null, null, "offsite"), c.Destinations[1].Credential);
        Assert.Null(c.Destinations[2].Credential);
        Assert.False(BackupJobTests.Config(t, """{ "databases": ["./app.db"] }""").KeepLocalUntilCopied);

        var preview = new BackupJob(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Preview(c, DateTime.UtcNow);
        Assert.Contains(preview, s => s.Action.Contains("credential: user from $OFFSITE_KEY_ID, secret from $OFFSITE_SECRET"));
        Assert.Contains(preview, s => s.Action.Contains("credential: profile offsite"));
        Assert.Contains(preview, s => s.Action.Contains("keep_local_until_copied"));
    }

    [Fact]
    public void A_success_notification_lists_each_destination_and_a_failure_names_the_destination_that_failed_with_its_ErrorId()
    {
        if (OperatingSystem.IsWindows()) return;
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        string hook = t["hook.sh"];
        File.WriteAllText(hook, $"#!/bin/sh\nenv > '{t["hook.out"]}'\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var c = Config(t, $$"""{ "databases": ["./app.db"], "weekly_restore_test": false, "notify": ["{{hook}}"], "notify_on": "always", "destinations": ["./mirror", "./second"] }""");

        Assert.True(Run(c).Single().Succeeded);
        string ok = File.ReadAllText(t["hook.out"]);
        Assert.Contains($"copied to {t["mirror"]}, {t["second"]}", ok);
        Assert.Contains($"SQLITEBACKUP_DESTINATIONS=app -> {t["mirror"]}: copied, 0 removed and 1 kept by its rotation\napp -> {t["second"]}: copied", ok);

        Directory.Delete(t["second"], recursive: true);
        File.WriteAllText(t["second"], "a file where the folder was");
        Assert.False(Run(c).Single().Succeeded);
        string failed = File.ReadAllText(t["hook.out"]);
        Assert.Contains($"SQLITEBACKUP_SUMMARY=scheduled backup job backup.json: 1 of 1 database(s) FAILED: app (copy to {t["second"]} failed: BackupPathIsFile)", failed);
        Assert.Contains($"app -> {t["mirror"]}: copied", failed);
        Assert.Contains($"app -> {t["second"]}: FAILED (BackupPathIsFile)", failed);
    }

    [Fact]
    public void What_a_destination_lacks_is_split_by_whether_its_own_retention_would_keep_a_copy()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var engine = new BackupEngine(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var local = Enumerable.Range(0, 4).Select(_ => engine.Create(new BackupRequest(t["app.db"]) { Destination = t["b"], Type = BackupType.Automatic })).ToList();
        var there = new[] { new BackupCopier().Copy(local[3], Core.Storage.StoreRegistry.Open(t["m"], new Core.Storage.StoreOptions { Create = true })).Copy };

        var (missing, unwanted) = DestinationStep.Missing(local, there, t["m"], new Core.Retention.RetentionPolicy { KeepLast = 2 });

        Assert.Equal([local[2].Id], missing.Select(b => b.Id));                 // the destination keeps 2: the one it has, and this
        Assert.Equal(new[] { local[0].Id, local[1].Id }.Order(), unwanted.Order()); // it would not keep these: nothing to wait for
    }
}
