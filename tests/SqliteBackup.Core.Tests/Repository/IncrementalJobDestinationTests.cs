using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage.Local;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>An incremental job with destinations: one snapshot locally, copied as a snapshot (or exported plain) to each.</summary>
public sealed class IncrementalJobDestinationTests
{
    [SkippableFact]
    public void An_incremental_job_copies_each_snapshot_to_a_repository_off_site_and_exports_it_where_a_destination_says_plain()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 1500);
        File.WriteAllText(t["app.json"], """
            { "backup": { "backup_directory": "./repo", "databases": ["./app.db"], "weekly_restore_test": false, "incremental": true,
              "keep_local_until_copied": true, "log_file": "./job.jsonl",
              "destinations": ["./off", { "path": "./export", "plain": true }] } }
            """);
        var config = BackupJobConfigFile.Load(t["app.json"]);
        Assert.True(config.Destinations[1].Plain);

        var first = Jobs.BackupJobTests.Run(config).Single();
        Assert.True(first.Succeeded, first.Error);
        RepositoryCopyTests.Churn(t["app.db"], 4);
        var second = Jobs.BackupJobTests.Run(config).Single();
        Assert.True(second.Succeeded, second.Error);

        Assert.True(second.Backup!.Manifest.IsSnapshot);
        Assert.All(second.Destinations, d => Assert.True(d.Succeeded, d.Error));
        var off = new BackupCatalog().List(t["off"]);
        Assert.Equal([first.Backup!.Id, second.Backup.Id], off.Select(b => b.Id));
        Assert.All(off, b => Assert.True(b.Manifest.IsSnapshot && b.Verified == true));
        using (var store = new LocalDirectoryStore(t["off"]))
        {
            Assert.Equal(second.Backup.Manifest.Repository!.BlockSize, RepositoryConfig.Read(store)!.BlockSize);
            RepositoryCopyTests.AssertRestorable(store, off[^1].Manifest, t["check.db"]);
        }
        // Dedup kept off-site: the second snapshot added there only the packs its backup added locally.
        Assert.Equal(Directory.GetFiles(t["repo"], "pack-*.pack").Select(Path.GetFileName).Order(), Directory.GetFiles(t["off"], "pack-*.pack").Select(Path.GetFileName).Order());

        var exported = new BackupCatalog().List(t["export"]);
        Assert.Equal([first.Backup.Id, second.Backup.Id], exported.Select(b => b.Id));
        Assert.All(exported, b => Assert.False(b.Manifest.IsSnapshot));
        Assert.All(exported, b => Assert.EndsWith(".db.zst", b.Path));
        Assert.Equal(second.Backup.Manifest.RawSha256, exported[^1].Manifest.RawSha256);

        // Both destinations hold a verified copy of every local snapshot: nothing left to catch up, nothing copied twice.
        Assert.All(second.Destinations, d => Assert.Equal(0, d.CaughtUp));
        var events = new JsonLinesLog(config.LogFile).Read().Select(e => e.Event).ToList();
        Assert.Equal(4, events.Count(e => e == "BackupCopied"));
    }
}
