using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Tests.Repository;

public sealed class RepositoryLockTests
{
    const string HoldShared = "$s = [SqliteBackup.Core.Storage.Local.LocalDirectoryStore]::new($env:SBT_DIR, $null); " +
        "$l = [SqliteBackup.Core.Repository.RepositoryLock]::AcquireShared($s, 'backup', [TimeSpan]::FromSeconds(5), [Microsoft.Extensions.Logging.Abstractions.NullLogger]::Instance, [Threading.CancellationToken]::None); " +
        "\"locked $($l.Name)\"; Start-Sleep 600";

    const string HoldExclusive = "$s = [SqliteBackup.Core.Storage.Local.LocalDirectoryStore]::new($env:SBT_DIR, $null); $h = $null; " +
        "$l = [SqliteBackup.Core.Repository.RepositoryLock]::TryAcquireExclusive($s, 'prune', [Microsoft.Extensions.Logging.Abstractions.NullLogger]::Instance, [ref]$h, [Threading.CancellationToken]::None); " +
        "\"locked $($l.Name)\"; Start-Sleep 600";

    static List<string> Locks(string dir) => Directory.GetFiles(dir, "lock-*.json").Select(Path.GetFileName).ToList()!;

    static void Plant(string dir, string kind, string host, int pid, DateTime refreshedUtc, DateTime? processStart = null, string operation = "prune")
    {
        var info = new RepositoryLock.LockInfo(kind, host, pid, operation, refreshedUtc.AddMinutes(-1), refreshedUtc, processStart);
        File.WriteAllBytes(Path.Combine(dir, $"lock-{kind}-{Guid.NewGuid():N}.json"),
            JsonSerializer.SerializeToUtf8Bytes(info, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    }

    [SkippableFact]
    public void A_holder_killed_with_kill_9_leaves_a_lock_the_next_acquirer_on_this_host_removes_at_once()
    {
        using var t = new TempDir();
        using var store = new LocalDirectoryStore(t.Path);
        using var child = new PwshChild(HoldShared, new Dictionary<string, string> { ["SBT_DIR"] = t.Path });
        string held = child.WaitFor("locked ", TimeSpan.FromSeconds(60))["locked ".Length..];
        Assert.Equal([held], Locks(t.Path));

        // Alive: a prune must not go ahead, and says who is in the way.
        Assert.Null(RepositoryLock.TryAcquireExclusive(store, "prune", NullLogger.Instance, out var holders));
        Assert.Equal(child.Pid, Assert.Single(holders).Pid);
        Assert.Equal([held], Locks(t.Path));

        child.Kill9();
        var log = new ListLogger();
        using (var prune = RepositoryLock.TryAcquireExclusive(store, "prune", log, out holders))
        {
            Assert.NotNull(prune);
            Assert.Empty(holders);
            Assert.Equal([prune!.Name], Locks(t.Path));
        }
        Assert.Empty(Locks(t.Path));
        var removed = Assert.Single(log.Entries, e => e.EventId == BackupEvents.RepositoryStaleLockRemoved);
        Assert.Contains($"process {child.Pid} is no longer running", removed.Message);
    }

    [SkippableFact]
    public void A_backup_waits_while_a_prune_in_another_process_holds_the_exclusive_lock_and_goes_ahead_once_it_is_killed()
    {
        using var t = new TempDir();
        using var store = new LocalDirectoryStore(t.Path);
        using var child = new PwshChild(HoldExclusive, new Dictionary<string, string> { ["SBT_DIR"] = t.Path });
        child.WaitFor("locked lock-exclusive-", TimeSpan.FromSeconds(60));
        var started = DateTime.UtcNow;
        var backup = Task.Run(() => RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(60), NullLogger.Instance));
        Thread.Sleep(1500);
        Assert.False(backup.IsCompleted, "the backup went ahead under a live exclusive lock");
        child.Kill9();
        using var held = backup.Wait(TimeSpan.FromSeconds(20)) ? backup.Result : throw new TimeoutException("the backup still waits");
        Assert.StartsWith("lock-shared-", held.Name);
        Assert.Equal([held.Name], Locks(t.Path));
    }

    [Fact]
    public void A_live_exclusive_lock_of_another_host_makes_a_backup_fail_with_RepositoryLocked_after_its_wait()
    {
        using var t = new TempDir();
        using var store = new LocalDirectoryStore(t.Path);
        var since = DateTime.UtcNow.AddMinutes(-3);
        Plant(t.Path, "exclusive", "nas-7", 4242, since.AddMinutes(1), operation: "prune");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<SqliteBackupException>(() => RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(1.5), NullLogger.Instance));
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(1.5), $"gave up after {sw.Elapsed}");
        Assert.Equal("RepositoryLocked", e.ErrorId);
        Assert.Equal(BackupErrorCategory.ResourceBusy, e.Category);
        Assert.Contains("nas-7", e.Message);
        Assert.Contains("4242", e.Message);
        Assert.Contains("prune", e.Message);
        Assert.Contains(since.ToString("yyyy-MM-dd HH:mm"), e.Message);
        Assert.Contains("again", e.RecommendedAction);
        // It withdrew its own lock; the holder's stays.
        Assert.Single(Locks(t.Path), n => n.StartsWith("lock-exclusive-"));
        Assert.Single(Locks(t.Path));
    }

    [Fact]
    public void A_lock_of_another_host_not_refreshed_for_30_minutes_is_stale_and_removed()
    {
        using var t = new TempDir();
        using var store = new LocalDirectoryStore(t.Path);
        Plant(t.Path, "exclusive", "nas-7", 4242, DateTime.UtcNow.AddMinutes(-31));
        var log = new ListLogger();
        using var held = RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(5), log);
        Assert.Equal([held.Name], Locks(t.Path));
        Assert.Contains(log.Entries, e => e.EventId == BackupEvents.RepositoryStaleLockRemoved && e.Message.Contains("nas-7"));
    }

    [Fact]
    public void A_lock_whose_pid_now_belongs_to_a_later_process_is_stale()
    {
        using var t = new TempDir();
        using var store = new LocalDirectoryStore(t.Path);
        // Our own pid, but a process that started a day before this one: the pid was reused.
        var start = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();
        Plant(t.Path, "shared", Environment.MachineName, Environment.ProcessId, DateTime.UtcNow, start.AddDays(-1));
        using (var prune = RepositoryLock.TryAcquireExclusive(store, "prune", NullLogger.Instance, out _)) Assert.NotNull(prune);

        Plant(t.Path, "shared", Environment.MachineName, Environment.ProcessId, DateTime.UtcNow, start);
        Assert.Null(RepositoryLock.TryAcquireExclusive(store, "prune", NullLogger.Instance, out var holders));
        Assert.Single(holders);
    }

    [Fact]
    public void A_holder_refreshes_its_lock_and_release_deletes_it_for_good()
    {
        using var t = new TempDir();
        using var store = new LocalDirectoryStore(t.Path);
        var held = RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(5), NullLogger.Instance, TimeProvider.System, TimeSpan.FromMilliseconds(100));
        var first = held.Info.RefreshedUtc;
        // Every 100 ms; waited for up to 10 s, as a timer on a thread pool busy with other tests can run late.
        var until = DateTime.UtcNow.AddSeconds(10);
        DateTime refreshed;
        do
        {
            Thread.Sleep(100);
            refreshed = JsonDocument.Parse(File.ReadAllBytes(t[held.Name])).RootElement.GetProperty("refreshedUtc").GetDateTime();
        }
        while (refreshed <= first && DateTime.UtcNow < until);
        Assert.True(refreshed > first, "not refreshed");
        held.Dispose();
        Thread.Sleep(400);
        Assert.Empty(Locks(t.Path));
    }

    [Fact]
    public void A_lock_object_names_host_process_and_operation_only()
    {
        using var t = new TempDir();
        using var store = new LocalDirectoryStore(t.Path);
        using var held = RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(5), NullLogger.Instance);
        var json = JsonDocument.Parse(File.ReadAllBytes(t[held.Name])).RootElement;
        Assert.Equal(["createdUtc", "host", "kind", "operation", "pid", "processStartUtc", "refreshedUtc"],
            json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("shared", json.GetProperty("kind").GetString());
        Assert.Equal(Environment.ProcessId, json.GetProperty("pid").GetInt32());
    }

    /// <summary>A store whose List is slow, so a put and a list of racers interleave as they do over a network.</summary>
    sealed class SlowListing(IBackupStore inner) : IBackupStore
    {
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) { Thread.Sleep(Random.Shared.Next(0, 4)); var l = inner.List(ct); Thread.Sleep(Random.Shared.Next(0, 4)); return l; }
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default) => inner.Put(name, content, createOnly, progress, ct);
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() { }
    }

    [Fact]
    public async Task Racing_backups_and_prunes_never_hold_shared_and_exclusive_at_once()
    {
        using var t = new TempDir();
        using var store = new SlowListing(new LocalDirectoryStore(t.Path));
        int shared = 0, exclusive = 0, violations = 0, prunes = 0, backups = 0;
        var until = DateTime.UtcNow.AddSeconds(4);
        void Check() { if (Volatile.Read(ref exclusive) > 1 || (Volatile.Read(ref exclusive) > 0 && Volatile.Read(ref shared) > 0)) Interlocked.Increment(ref violations); }
        var workers = Enumerable.Range(0, 6).Select(i => Task.Run(() =>
        {
            while (DateTime.UtcNow < until)
            {
                if (i % 2 == 0)
                {
                    using var l = RepositoryLock.AcquireShared(store, "backup", TimeSpan.FromSeconds(30), NullLogger.Instance);
                    Interlocked.Increment(ref shared); Check(); Thread.Sleep(Random.Shared.Next(1, 5)); Check(); Interlocked.Decrement(ref shared);
                    Interlocked.Increment(ref backups);
                }
                else
                {
                    // Prunes come far less often than backups: pausing between tries, they leave a backing-off backup
                    // its turns (tried every 1-5 ms, they starved the backups on a fast machine: 7 backups to 646 prunes).
                    using (var l = RepositoryLock.TryAcquireExclusive(store, "prune", NullLogger.Instance, out _))
                    {
                        if (l != null)
                        {
                            Interlocked.Increment(ref exclusive); Check(); Thread.Sleep(Random.Shared.Next(1, 5)); Check(); Interlocked.Decrement(ref exclusive);
                            Interlocked.Increment(ref prunes);
                        }
                    }
                    Thread.Sleep(Random.Shared.Next(20, 40));
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Assert.Equal(0, violations);
        Assert.True(backups > 10 && prunes > 0, $"backups {backups}, prunes {prunes}: the race was not exercised");
        Assert.Empty(Locks(t.Path));
    }
}
