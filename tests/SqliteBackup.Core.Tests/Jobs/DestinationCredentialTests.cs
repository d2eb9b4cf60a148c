using Amazon.S3.Model;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Tests.Storage;

namespace SqliteBackup.Core.Tests.Jobs;

/// <summary>
/// A job's S3 destination against a real radosgw, with its credential named in the configuration (environment variable
/// names, never the secret) and the AWS variables removed; a wrong secret, a missing bucket, keep_local_until_copied.
/// </summary>
[Collection(RadosGwCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DestinationCredentialTests(RadosGwServer server) : IDisposable
{
    // Only this collection's tests read these, and a collection's tests run one at a time.
    static readonly string[] AwsVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE"];
    readonly Dictionary<string, string?> _saved = AwsVariables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    readonly string _keyVar = "SBT_KEY_" + Guid.NewGuid().ToString("N")[..8], _secretVar = "SBT_SECRET_" + Guid.NewGuid().ToString("N")[..8];
    readonly TempDir _t = new();

    void NoAwsEnvironment()
    {
        foreach (var v in AwsVariables) Environment.SetEnvironmentVariable(v, null);
        // No keys anywhere, and no instance to ask: only the configuration's credential can work.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    }

    public void Dispose()
    {
        foreach (var (k, v) in _saved) Environment.SetEnvironmentVariable(k, v);
        Environment.SetEnvironmentVariable(_keyVar, null);
        Environment.SetEnvironmentVariable(_secretVar, null);
        _t.Dispose();
    }

    /// <summary>A notify program that records its arguments and the outcome it was given, nothing else of its environment.</summary>
    string Hook()
    {
        string hook = _t["hook.sh"];
        File.WriteAllText(hook, $"#!/bin/sh\n{{ printf 'ARGV=%s\\n' \"$0\" \"$@\"; env | grep '^SQLITEBACKUP_'; }} >> '{_t["hook.out"]}'\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return hook;
    }

    BackupJobConfig Config(string location, string extra = "", string destinationExtra = "") =>
        BackupJobTests.Config(_t, $$"""
            { "databases": ["./app.db"], "retention_last": 2, "retention_days": 0, "retention_weeks": 0, "retention_months": 0, "weekly_restore_test": false,
              "notify": ["{{Hook()}}"], "notify_on": "always" {{extra}},
              "destinations": [{ "path": "{{location}}", "user_env": "{{_keyVar}}", "secret_env": "{{_secretVar}}" {{destinationExtra}} }] }
            """);

    [SkippableFact]
    public void The_credential_named_in_the_configuration_reaches_the_store_without_any_AWS_variable()
    {
        string location = server.LocationOf(server.NewBucket(), "app");
        NoAwsEnvironment();
        SampleDatabase.Create(_t["app.db"]);
        Environment.SetEnvironmentVariable(_keyVar, RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable(_secretVar, RadosGwServer.SecretKey);
        var c = Config(location);
        Assert.DoesNotContain(RadosGwServer.SecretKey, File.ReadAllText(c.ConfigPath));

        var r = BackupJobTests.Run(c).Single();

        Assert.True(r.Succeeded, r.Error);
        var d = Assert.Single(r.Destinations);
        Assert.True(d.Succeeded, d.Error);
        Assert.Equal(r.Backup!.Id, d.Copy!.Id);
        var there = new StoreCatalog().ListLocation(location, false, options: new StoreOptions { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey });
        Assert.Equal(r.Backup.Id, Assert.Single(there).Id);
        // The success notification lists what each destination got.
        string hook = File.ReadAllText(_t["hook.out"]);
        Assert.Contains("SQLITEBACKUP_STATUS=success", hook);
        Assert.Contains($"app -> {d.Location}: copied, 0 removed and 1 kept by its rotation", hook);
        Assert.Contains($"copied to {d.Location}", hook);

        // Without the variables the job says which one is missing, and sends nothing.
        Environment.SetEnvironmentVariable(_secretVar, null);
        var missing = BackupJobTests.Run(c).Single();
        Assert.Equal("StoreCredentialMissing", missing.ErrorId);
        Assert.Contains(_secretVar, missing.Error);
    }

    [SkippableFact]
    public void A_wrong_secret_fails_the_destination_as_StoreAccessDenied_and_the_secret_is_nowhere()
    {
        const string Wrong = "Wr0ngS3cretNeverToBeSeen";
        string location = server.LocationOf(server.NewBucket(), "app");
        NoAwsEnvironment();
        SampleDatabase.Create(_t["app.db"]);
        Environment.SetEnvironmentVariable(_keyVar, RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable(_secretVar, Wrong);
        var c = Config(location);

        var r = BackupJobTests.Run(c).Single();

        Assert.False(r.Succeeded);
        Assert.Equal("StoreAccessDenied", r.ErrorId);
        var d = Assert.Single(r.Destinations);
        Assert.Equal("StoreAccessDenied", d.ErrorId);
        Assert.NotNull(new BackupCatalog().List(c.BackupDirectory).SingleOrDefault()); // the local backup is there
        string hook = File.ReadAllText(_t["hook.out"]);
        // The alert names the destination that failed and its ErrorId.
        Assert.Contains($"SQLITEBACKUP_SUMMARY=scheduled backup job backup.json: 1 of 1 database(s) FAILED: app (copy to {d.Location} failed: StoreAccessDenied)", hook);
        Assert.Contains($"app -> {d.Location}: FAILED (StoreAccessDenied)", hook);
        Assert.Contains($"ARGV={_t["hook.sh"]}", hook);
        foreach (var text in new[] { r.Error!, d.Error!, hook, File.ReadAllText(c.LogFile) })
            Assert.DoesNotContain(Wrong, text);
        // The configuration named the variables, never the value.
        Assert.DoesNotContain(Wrong, File.ReadAllText(c.ConfigPath));
    }

    [SkippableFact]
    public void Keep_local_until_copied_keeps_what_a_failing_destination_lacks_then_copies_and_rotates_once_it_works()
    {
        string bucket = "t-" + Guid.NewGuid().ToString("N")[..20]; // not created yet: the destination fails (missing bucket)
        string location = server.LocationOf(bucket, "app");
        server.Require();
        NoAwsEnvironment();
        SampleDatabase.Create(_t["app.db"]);
        Environment.SetEnvironmentVariable(_keyVar, RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable(_secretVar, RadosGwServer.SecretKey);
        var c = Config(location, extra: """, "keep_local_until_copied": true""", destinationExtra: """, "retention_last": 10""");
        Assert.True(c.KeepLocalUntilCopied);

        DatabaseJobResult last = null!;
        for (int i = 0; i < 4; i++)
        {
            last = BackupJobTests.Run(c).Single();
            Assert.Equal("StoreLocationNotFound", last.ErrorId);
        }

        // Policy: the last 2. The 2 older ones stay, each saying why, and nothing was removed.
        var local = new BackupCatalog().List(c.BackupDirectory);
        Assert.Equal(4, local.Count);
        Assert.Equal(0, last.Removed);
        var held = last.Rotation.Where(d => d.KeptAs.Contains("awaiting-copy")).ToList();
        Assert.Equal(local.Take(2).Select(b => b.Id), held.OrderBy(d => d.Backup.CreatedUtc).Select(d => d.Backup.Id));
        Assert.All(held, d => Assert.StartsWith($"awaiting off-site copy at s3://{bucket}/app (rotation would remove it: not kept by any rule", d.Reasons.Single()));
        Assert.Contains("2 local backup(s) kept awaiting an off-site copy", File.ReadAllLines(_t["hook.out"]).Last(l => l.StartsWith("SQLITEBACKUP_SUMMARY=")));
        Assert.Contains(new JsonLinesLog(c.LogFile).Read(), e => e.Event == "KeptAwaitingCopy");

        // The destination works again: the next run copies what it lacks (the destination keeps 10), then rotates locally.
        server.Admin.PutBucketAsync(new PutBucketRequest { BucketName = bucket, BucketRegionName = "us-east-1" }).GetAwaiter().GetResult();
        var back = BackupJobTests.Run(c).Single();
        Assert.True(back.Succeeded, back.Error);
        Assert.Equal(4, back.Destinations.Single().CaughtUp);
        var there = new StoreCatalog().ListLocation(location, false, options: new StoreOptions { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey });
        Assert.Equal(5, there.Count);
        Assert.All(there, b => Assert.True(b.Verified));
        var now = new BackupCatalog().List(c.BackupDirectory);
        Assert.Equal(2, now.Count);
        Assert.Equal(3, back.Removed);
        Assert.DoesNotContain(back.Rotation, d => d.KeptAs.Contains("awaiting-copy"));
        Assert.Equal(there.TakeLast(2).Select(b => b.Id), now.Select(b => b.Id));
    }

    [SkippableFact]
    public void The_weekly_restore_test_can_pick_an_off_site_copy_which_it_fetches_restores_and_checks()
    {
        string location = server.LocationOf(server.NewBucket(), "app");
        NoAwsEnvironment();
        SampleDatabase.Create(_t["app.db"]);
        Environment.SetEnvironmentVariable(_keyVar, RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable(_secretVar, RadosGwServer.SecretKey);
        var c = Config(location, extra: """, "restore_test_offsite": true""") with { WeeklyRestoreTest = true };

        var r = BackupJobTests.Run(c).Single();

        Assert.True(r.Succeeded, r.Error);
        var test = Assert.IsType<RestoreTestResult>(r.RestoreTest);
        Assert.True(test.Passed, test.Message);
        Assert.True(test.Backup.IsRemote);
        Assert.StartsWith(r.Destinations.Single().Location + "/app_", test.Backup.Path);
        var logged = Assert.Single(new JsonLinesLog(c.LogFile).Read(), e => e.Event == "RestoreTested");
        Assert.Contains(test.Backup.Path, logged.Message);
        // The fetched copy and the restored database are gone.
        Assert.Empty(Directory.GetDirectories(c.BackupDirectory, ".sqlitebackup-*"));
    }
}
