using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Repository;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

public sealed class IncrementalJobConfigTests
{
    static string Config(TempDir t, string extra)
    {
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 300);
        string path = t["app.json"];
        File.WriteAllText(path, $$"""{ "backup": { "backup_directory": "./repo", "databases": ["./app.db"], "weekly_restore_test": false {{extra}} } }""");
        return path;
    }

    [Fact]
    public void Incremental_true_makes_the_jobs_backup_a_snapshot()
    {
        using var t = new TempDir();
        var config = BackupJobConfigFile.Load(Config(t, ", \"incremental\": true"));
        Assert.True(config.Incremental);
        var result = new BackupJob(NullLogger.Instance).Run(config).Single();
        Assert.True(result.Backup!.Manifest.IsSnapshot, result.Error);
        Assert.True(File.Exists(Path.Combine(t["repo"], RepositoryNames.Config)));
    }

    [Theory]
    [InlineData(", \"incremental\": true, \"compression\": \"gzip\"", "compression")]
    [InlineData(", \"incremental\": true, \"destinations\": [{ \"path\": \"/tmp/x\", \"plain\": \"yes\" }]", "plain")]
    [InlineData(", \"incremental\": \"yes\"", "incremental")]
    public void Incremental_with_what_it_cannot_do_is_refused_naming_the_key(string extra, string key)
    {
        using var t = new TempDir();
        var e = Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Load(Config(t, extra)));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Without_incremental_a_job_stays_plain()
    {
        using var t = new TempDir();
        Assert.False(BackupJobConfigFile.Load(Config(t, "")).Incremental);
    }
}
