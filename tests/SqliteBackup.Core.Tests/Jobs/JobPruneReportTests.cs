using System.Text.Json;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Tests.Notifications;
using SqliteBackup.Core.Tests.Storage;

namespace SqliteBackup.Core.Tests.Jobs;

/// <summary>
/// An incremental job whose rotation removes a snapshot: its result, its log and its notification say how many
/// repository packs the prune freed and how many bytes, locally and per destination, and how many it had to keep under
/// Object Lock, as they say how many backups rotation removed. Real job runs into a local repository, and into a
/// radosgw bucket with Object Lock.
/// </summary>
static class JobPruneReport
{
    /// <summary>
    /// Two runs of a job keeping the last snapshot: the second backs up a replacement database that shares no block with
    /// the first, so every pack only the first snapshot used is freed. Returns the second run, its notification, the
    /// first snapshot's own packs and their size.
    /// </summary>
    public static (DatabaseJobResult Second, JsonElement Message, List<string> OnlyFirst, long Bytes, BackupJobConfig Config) Run(
        TempDir t, string destination, Action<DatabaseJobResult>? betweenRuns = null, Func<DateTime>? clock = null)
    {
        using var hook = new LocalHttpServer(200);
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 2000);
        File.WriteAllText(t["app.json"], $$"""
            { "backup": { "backup_directory": "./repo", "databases": ["./app.db"], "weekly_restore_test": false, "incremental": true,
              "retention_last": 1, "retention_days": 0, "retention_weeks": 0, "retention_months": 0, "log_file": "./job.jsonl", "notify": ["{{hook.Url}}"], "notify_on": "always",
              "destinations": [{{destination}}] } }
            """);
        var config = BackupJobConfigFile.Load(t["app.json"]);
        var job = new BackupJob(new BackupLogProvider(new JsonLinesLog(config.LogFile)).CreateLogger("job")) { PruneClock = clock ?? (() => DateTime.UtcNow) };

        var first = job.Run(config, random: new Random(7)).Single();
        Assert.True(first.Succeeded, first.Error);
        Assert.Equal(0, first.PacksPruned);
        foreach (var f in Directory.GetFiles(t.Path, "app.db*")) File.Delete(f);
        Db.Exec(t["app.db"], "CREATE TABLE other(pad); INSERT INTO other SELECT randomblob(900) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n);");
        betweenRuns?.Invoke(first);
        Thread.Sleep(1100);
        var second = job.Run(config, random: new Random(7)).Single();
        Assert.True(second.Succeeded, second.Error);
        Assert.Equal(1, second.Removed);

        var a = first.Backup!.Manifest.Repository!.Packs;
        var onlyFirst = a.Select(p => p.Name).Except(second.Backup!.Manifest.Repository!.Packs.Select(p => p.Name)).ToList();
        Assert.NotEmpty(onlyFirst);
        long bytes = a.Where(p => onlyFirst.Contains(p.Name)).Sum(p => p.Size);
        Assert.Equal(2, hook.Bodies.Count);
        return (second, JsonDocument.Parse(hook.Bodies[^1]).RootElement.Clone(), onlyFirst, bytes, config);
    }

    public static string Summary(JsonElement message) => message.GetProperty("summary").GetString()!;

    public static string Destination(JsonElement message) => Assert.Single(message.GetProperty("destinations").EnumerateArray()).GetString()!;
}

public sealed class JobPruneReportTests
{
    [Fact]
    public void A_local_incremental_jobs_result_log_and_notification_say_what_the_prune_freed_here_and_at_its_destination()
    {
        using var t = new TempDir();
        // Packs written an hour and more ago, as a daily job's are: the prune's age guard is not what this tests.
        void Age(DatabaseJobResult _)
        {
            foreach (var dir in new[] { t["repo"], t["off"] })
                foreach (var f in Directory.GetFiles(dir, "pack-*")) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-2));
        }
        var (second, message, onlyFirst, bytes, config) = JobPruneReport.Run(t, "\"./off\"", Age);

        Assert.Equal(onlyFirst.Count, second.PacksPruned);
        Assert.InRange(second.BytesFreed, bytes, long.MaxValue);
        Assert.Equal(0, second.PacksLocked);
        var off = Assert.Single(second.Destinations);
        Assert.Equal(1, off.Removed);
        Assert.Equal(onlyFirst.Count, off.PacksPruned);
        Assert.InRange(off.BytesFreed, bytes, long.MaxValue);
        Assert.All(onlyFirst, p => Assert.False(File.Exists(Path.Combine(t["repo"], p)) || File.Exists(Path.Combine(t["off"], p))));

        Assert.Contains($"1 removed by rotation; {onlyFirst.Count} repository pack(s) pruned, {second.BytesFreed} bytes freed", JobPruneReport.Summary(message));
        Assert.Contains($"1 removed and 1 kept by its rotation; {onlyFirst.Count} repository pack(s) pruned, {off.BytesFreed} bytes freed", JobPruneReport.Destination(message));
        Assert.DoesNotContain("Object Lock", message.GetRawText());

        var pruned = new JsonLinesLog(config.LogFile).Read().Where(e => e.Event == BackupEvents.RepositoryPruned.Name).Select(e => e.Message).ToList();
        Assert.Contains(pruned, m => m.Contains(t["repo"]) && m.Contains($"deleted {onlyFirst.Count} pack(s)") && m.Contains($"{second.BytesFreed} bytes freed"));
        Assert.Contains(pruned, m => m.Contains(t["off"]) && m.Contains($"deleted {onlyFirst.Count} pack(s)") && m.Contains($"{off.BytesFreed} bytes freed"));
    }
}

[Collection(RadosGwCollection.Name)]
public sealed class RadosGwJobPruneReportTests(RadosGwServer server) : IDisposable
{
    const string KeyVariable = "SBT_JOB_PRUNE_KEY", SecretVariable = "SBT_JOB_PRUNE_SECRET";

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(KeyVariable, null);
        Environment.SetEnvironmentVariable(SecretVariable, null);
    }

    [SkippableFact]
    public void An_incremental_jobs_report_says_which_packs_its_destination_kept_under_Object_Lock()
    {
        string bucket = server.NewBucket(objectLock: true);
        Environment.SetEnvironmentVariable(KeyVariable, RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable(SecretVariable, RadosGwServer.SecretKey);
        using var t = new TempDir();
        // Hours later for the age guard (an object's age on S3 is the server's to say): then the first snapshot's packs
        // are old enough to go, and only their lock (the default 12 months) keeps them.
        // Locked for an hour there; the first snapshot's manifest is then removed behind the job's back (governance
        // mode lets its owner), so its packs are no snapshot's, old enough by the clock, and still locked.
        void RemoveFirstThere(DatabaseJobResult first) =>
            server.Admin.DeleteObjectAsync(new Amazon.S3.Model.DeleteObjectRequest
            {
                BucketName = bucket, Key = "off/" + first.Backup!.Manifest.File + BackupManifest.Suffix,
                VersionId = server.Admin.GetObjectMetadataAsync(bucket, "off/" + first.Backup.Manifest.File + BackupManifest.Suffix).GetAwaiter().GetResult().VersionId,
                BypassGovernanceRetention = true,
            }).GetAwaiter().GetResult();
        var (second, message, onlyFirst, _, config) = JobPruneReport.Run(t,
            $$"""{ "path": "{{server.LocationOf(bucket, "off")}}", "user_env": "{{KeyVariable}}", "secret_env": "{{SecretVariable}}", "retention_last": 1, "retention_hours": 1 }""",
            RemoveFirstThere, clock: () => DateTime.UtcNow.AddHours(2));

        var off = Assert.Single(second.Destinations);
        Assert.True(off.Succeeded, off.Error);
        Assert.Equal(0, off.Removed);
        Assert.Equal(0, off.PacksPruned);
        Assert.Equal(onlyFirst.Count, off.PacksLocked);
        Assert.Equal(onlyFirst.Count, second.PacksPruned);
        Assert.Contains($"0 removed and 1 kept by its rotation; {onlyFirst.Count} unreferenced pack(s) kept under Object Lock until a later run", JobPruneReport.Destination(message));
        Assert.DoesNotContain(RadosGwServer.SecretKey, message.GetRawText());
        var log = new JsonLinesLog(config.LogFile).Read().ToList();
        Assert.Contains(log, e => e.Event == BackupEvents.RepositoryPacksLocked.Name && e.Message.Contains($"Kept {onlyFirst.Count} unreferenced pack(s)") && e.Message.Contains($"s3://{bucket}/off"));
        Assert.DoesNotContain(log, e => e.Message.Contains(RadosGwServer.SecretKey));
    }
}
