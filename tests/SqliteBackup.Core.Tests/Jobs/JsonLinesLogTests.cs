using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Tests.Jobs;

public class JsonLinesLogTests
{
    [Fact]
    public void Concurrent_writers_never_interleave_a_line()
    {
        using var t = new TempDir();
        const int Writers = 8, Each = 250;
        Parallel.For(0, Writers, w =>
        {
            var log = new JsonLinesLog(t["log.jsonl"]); // each writer its own handle, as separate processes would have
            for (int i = 0; i < Each; i++)
                log.Append(new BackupLogEntry { Time = DateTime.UtcNow, Level = "Information", Event = "BackupSucceeded", Database = $"w{w}", Message = new string('x', 300 + i) });
        });
        int damaged = 0;
        var entries = new JsonLinesLog(t["log.jsonl"]).Read((_, _) => damaged++).ToList();
        Assert.Equal(0, damaged);
        Assert.Equal(Writers * Each, entries.Count);
        Assert.All(Enumerable.Range(0, Writers), w => Assert.Equal(Each, entries.Count(e => e.Database == $"w{w}")));
    }

    [Fact]
    public void The_log_rolls_over_at_its_size_limit_and_reads_back_in_order()
    {
        using var t = new TempDir();
        var log = new JsonLinesLog(t["log.jsonl"], maxBytes: 4096, keepFiles: 3);
        for (int i = 0; i < 60; i++) log.Append(new BackupLogEntry { Time = DateTime.UtcNow, Level = "Information", Event = "E", Message = $"{i:000} " + new string('y', 150) });
        Assert.True(File.Exists(t["log.jsonl.1"]));
        Assert.True(File.Exists(t["log.jsonl.3"]));
        Assert.False(File.Exists(t["log.jsonl.4"]));
        Assert.All(Directory.GetFiles(t.Path, "log.jsonl*").Where(f => !f.EndsWith(".lock")), f => Assert.True(new FileInfo(f).Length <= 4096));
        var numbers = log.Read().Select(e => int.Parse(e.Message[..3])).ToList();
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(59, numbers[^1]);
    }

    [Fact]
    public void A_damaged_line_is_reported_and_skipped()
    {
        using var t = new TempDir();
        var log = new JsonLinesLog(t["log.jsonl"]);
        log.Append(new BackupLogEntry { Time = DateTime.UtcNow, Level = "Information", Event = "A", Message = "a" });
        File.AppendAllText(t["log.jsonl"], "{ this is not json\n");
        log.Append(new BackupLogEntry { Time = DateTime.UtcNow, Level = "Information", Event = "B", Message = "b" });
        var damaged = new List<int>();
        Assert.Equal(["A", "B"], log.Read((_, line) => damaged.Add(line)).Select(e => e.Event));
        Assert.Equal([2], damaged);
    }

    [Fact]
    public void The_provider_writes_named_backup_events_with_their_values_and_ignores_chatter()
    {
        using var t = new TempDir();
        var logger = new BackupLogProvider(new JsonLinesLog(t["log.jsonl"])).CreateLogger("x");
        SampleDatabase.Create(t["app.db"]);
        var b = new BackupEngine(logger).Create(new BackupRequest(t["app.db"]) { Destination = t["b"] });
        logger.LogInformation("just a diagnostic");
        var entries = new JsonLinesLog(t["log.jsonl"]).Read().ToList();
        Assert.Equal(["BackupStarted", "VerificationPassed", "BackupSucceeded"], entries.Select(e => e.Event));
        var ok = entries[^1];
        Assert.Equal("app", ok.Database);
        Assert.Equal(b.Id, ok.BackupId);
        Assert.Equal(b.Path, ok.Path);
        Assert.Equal(b.Size, ok.Size);
        Assert.True(ok.DurationMs >= 0);
        Assert.Equal(Environment.ProcessId, ok.ProcessId);
    }

    [Fact]
    public void A_failed_backup_is_logged_with_its_error()
    {
        using var t = new TempDir();
        var logger = new BackupLogProvider(new JsonLinesLog(t["log.jsonl"])).CreateLogger("x");
        Assert.Throws<SqliteBackupException>(() => new BackupEngine(logger).Create(new BackupRequest(t["missing.db"])));
        File.WriteAllText(t["bad.db"], "nope");
        Assert.Throws<SqliteBackupException>(() => new BackupEngine(logger).Create(new BackupRequest(t["bad.db"]) { Destination = t["b"] }));
        var entries = new JsonLinesLog(t["log.jsonl"]).Read().ToList();
        var failed = entries.Where(e => e.Event == "BackupFailed").ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, f => Assert.Equal("Error", f.Level));
        Assert.Contains("does not exist", failed[0].Error);
        Assert.Contains("not a SQLite database", failed[1].Error);
        Assert.Equal("bad", failed[1].Database);
    }
}
