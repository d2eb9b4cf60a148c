using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// Incremental backups in REAL pwsh processes (New-SqliteBackup -Incremental from the built module): killed with
/// kill -9 half-way, two at once into one repository, one while prunes run. Whatever happens, no snapshot references a
/// missing block, and the next prune cleans up what a killed run left.
/// </summary>
public sealed class RepositoryCrashTests
{
    const string Backup = "New-SqliteBackup -LiteralPath $env:SBT_DB -Destination $env:SBT_REPO -Incremental -VerificationLevel Quick | Out-Null; 'done'";

    static Dictionary<string, string> Env(string db, string repo) => new() { ["SBT_DB"] = db, ["SBT_REPO"] = repo };

    /// <summary>A database of about <paramref name="mib"/> MiB of incompressible rows: several 16 MiB packs, seconds to back up.</summary>
    static void Big(string db, int mib) =>
        Db.Exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE a(id INTEGER PRIMARY KEY, v); CREATE TABLE b(id INTEGER PRIMARY KEY, v); CREATE TABLE filler(id INTEGER PRIMARY KEY, pad);" +
            $"INSERT INTO filler(pad) SELECT randomblob(3000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {mib * 340}) SELECT i FROM n); PRAGMA wal_checkpoint(TRUNCATE);");

    static List<string> Names(string repo, string pattern) => Directory.GetFiles(repo, pattern).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    /// <summary>Every snapshot in the repository: its packs present, and reassembled to its RawSha256.</summary>
    static int AssertEverySnapshotRestores(string repo, string scratch)
    {
        using var store = new LocalDirectoryStore(repo);
        int n = 0;
        foreach (var name in Names(repo, "*.snapshot.manifest.json"))
        {
            var m = BackupManifest.TryParse(File.ReadAllBytes(Path.Combine(repo, name)), out var problem) ?? throw new InvalidDataException(name + ": " + problem);
            Assert.Empty(SnapshotReader.QuickCheck(store, m));
            string image = Path.Combine(scratch, $"image-{n++}.db");
            SnapshotReader.Reassemble(store, m, image);
            Assert.Equal(m.RawSha256, Db.Sha(image));
            File.Delete(image);
        }
        return n;
    }

    static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException(what);
            Thread.Sleep(1);
        }
    }

    [SkippableTheory]
    [InlineData("lock")]
    [InlineData("first pack")]
    public void A_backup_killed_with_kill_9_leaves_no_snapshot_the_next_prune_cleans_up_and_the_next_backup_succeeds(string killAt)
    {
        using var t = new TempDir();
        Big(t["live.db"], 48);
        Directory.CreateDirectory(t["repo"]);
        // A first, complete snapshot: the killed run's parent, whose packs must survive everything below.
        using (var first = new PwshChild(Backup, Env(t["live.db"], t["repo"]))) Assert.Equal(0, first.Finish(TimeSpan.FromMinutes(2)).Code);
        var firstPacks = Names(t["repo"], "pack-*");
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(3000) WHERE id % 3 = 0; PRAGMA wal_checkpoint(TRUNCATE);");

        using (var killed = new PwshChild(Backup, Env(t["live.db"], t["repo"])))
        {
            if (killAt == "lock") WaitFor(() => Names(t["repo"], "lock-*").Count > 0, TimeSpan.FromMinutes(1), "the backup took no lock");
            else WaitFor(() => Names(t["repo"], "pack-*.pack").Except(firstPacks).Any(), TimeSpan.FromMinutes(1), "the backup wrote no pack");
            killed.Kill9();
        }
        Assert.Single(Names(t["repo"], "*.snapshot.manifest.json"));
        Assert.Single(Names(t["repo"], "lock-shared-*"));
        Assert.Equal(1, AssertEverySnapshotRestores(t["repo"], t.Path));

        using (var store = new LocalDirectoryStore(t["repo"]))
        {
            var pruned = RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance, DateTime.UtcNow.AddHours(2));
            Assert.False(pruned.Deferred, "the killed run's lock was not seen as stale");
        }
        Assert.Empty(Names(t["repo"], "lock-*"));
        Assert.Equal(firstPacks, Names(t["repo"], "pack-*"));

        using (var next = new PwshChild(Backup, Env(t["live.db"], t["repo"]))) Assert.Equal(0, next.Finish(TimeSpan.FromMinutes(2)).Code);
        Assert.Equal(2, AssertEverySnapshotRestores(t["repo"], t.Path));
        Assert.Empty(Names(t["repo"], "lock-*"));
    }

    [SkippableFact]
    public void Two_backups_into_one_repository_at_once_both_succeed_and_both_restore()
    {
        using var t = new TempDir();
        Big(t["one.db"], 12);
        Big(t["two.db"], 12);
        Directory.CreateDirectory(t["repo"]);
        using var one = new PwshChild(Backup, Env(t["one.db"], t["repo"]));
        using var two = new PwshChild(Backup, Env(t["two.db"], t["repo"]));
        var a = one.Finish(TimeSpan.FromMinutes(2));
        var b = two.Finish(TimeSpan.FromMinutes(2));
        Assert.True(a.Code == 0, a.Output);
        Assert.True(b.Code == 0, b.Output);
        Assert.Equal(2, AssertEverySnapshotRestores(t["repo"], t.Path));
        Assert.Empty(Names(t["repo"], "lock-*"));
    }

    [SkippableFact]
    public void A_backup_while_a_prune_holds_the_repository_waits_and_both_leave_every_snapshot_whole()
    {
        using var t = new TempDir();
        Big(t["live.db"], 12);
        Directory.CreateDirectory(t["repo"]);
        using (var first = new PwshChild(Backup, Env(t["live.db"], t["repo"]))) Assert.Equal(0, first.Finish(TimeSpan.FromMinutes(2)).Code);
        Db.Exec(t["live.db"], "UPDATE filler SET pad = randomblob(3000) WHERE id % 5 = 0; PRAGMA wal_checkpoint(TRUNCATE);");

        using var store = new LocalDirectoryStore(t["repo"]);
        var prune = RepositoryLock.TryAcquireExclusive(store, "prune", NullLogger.Instance, out _);
        Assert.NotNull(prune);
        using var backup = new PwshChild(Backup, Env(t["live.db"], t["repo"]));
        Thread.Sleep(4000);
        // It waits: no new snapshot, no new pack under the prune's lock.
        Assert.Single(Names(t["repo"], "*.snapshot.manifest.json"));
        prune!.Dispose();

        // Prunes keep running while the backup goes ahead: they defer to it or delete only what no snapshot needs.
        int deferred = 0;
        var stop = DateTime.UtcNow.AddMinutes(2);
        var done = Task.Run(() => backup.Finish(TimeSpan.FromMinutes(2)));
        while (!done.IsCompleted && DateTime.UtcNow < stop)
        {
            if (RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance, DateTime.UtcNow.AddHours(2)).Deferred) deferred++;
            Thread.Sleep(20);
        }
        var result = done.GetAwaiter().GetResult();
        Assert.True(result.Code == 0, result.Output);
        Assert.True(deferred > 0, "no prune ran while the backup held its lock");
        Assert.Equal(2, AssertEverySnapshotRestores(t["repo"], t.Path));
    }

    [SkippableFact]
    public void A_prune_killed_with_kill_9_while_it_holds_the_repository_leaves_every_listed_snapshot_whole_and_the_next_run_cleans_up()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["repo"]);
        // Twenty snapshots of unrelated contents: one pack each, so a prune has forty objects to delete.
        for (int i = 0; i < 20; i++)
        {
            foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
            Db.Exec(t["live.db"], "CREATE TABLE t(pad); INSERT INTO t SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) SELECT i FROM n);");
            RepositoryPrunerTests.Snapshot(t["live.db"], t["repo"]);
        }
        // Old enough to be pruned by a real process, which prunes at its own clock.
        foreach (var f in Names(t["repo"], "pack-*")) File.SetLastWriteTimeUtc(Path.Combine(t["repo"], f), DateTime.UtcNow.AddHours(-2));
        var keep = Names(t["repo"], "*.snapshot.manifest.json")[^1];

        const string Remove = "Get-SqliteBackup -Path $env:SBT_REPO | Where-Object { (Split-Path -Leaf $_.ManifestPath) -ne $env:SBT_KEEP } | Remove-SqliteBackup -Confirm:$false; 'done'";
        var env = Env(t["live.db"], t["repo"]);
        env["SBT_KEEP"] = keep;
        // The prune's lock may come and go between two looks (a few milliseconds on a fast machine): its creation is
        // also watched for, which the kernel reports however briefly the file lived.
        using var watcher = new FileSystemWatcher(t["repo"], "lock-exclusive-*") { EnableRaisingEvents = true };
        int locked = 0;
        watcher.Created += (_, _) => Interlocked.Exchange(ref locked, 1);
        using (var killed = new PwshChild(Remove, env))
        {
            WaitFor(() => Volatile.Read(ref locked) == 1 || Names(t["repo"], "lock-exclusive-*").Count > 0, TimeSpan.FromMinutes(1), "the prune took no exclusive lock");
            killed.Kill9();
        }
        // Whatever the kill interrupted, every snapshot still listed restores; the one kept is among them.
        Assert.Contains(keep, Names(t["repo"], "*.snapshot.manifest.json"));
        Assert.True(AssertEverySnapshotRestores(t["repo"], t.Path) >= 1);

        // The next backup is not stopped by the dead prune's lock, and the next prune finishes the work.
        using (var next = new PwshChild(Backup, Env(t["live.db"], t["repo"]))) Assert.Equal(0, next.Finish(TimeSpan.FromMinutes(2)).Code);
        using (var store = new LocalDirectoryStore(t["repo"]))
            foreach (var name in Names(t["repo"], "*.snapshot.manifest.json").Where(n => n != keep).SkipLast(1)) store.Delete(name);
        using (var store = new LocalDirectoryStore(t["repo"]))
            Assert.False(RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance, DateTime.UtcNow.AddHours(2)).Deferred);
        Assert.Equal(2, AssertEverySnapshotRestores(t["repo"], t.Path));
        Assert.Empty(Names(t["repo"], "lock-*"));
        // Only the two snapshots' packs are left: each index with its pack, nothing a killed prune half-deleted.
        var packs = Names(t["repo"], "pack-*.pack");
        Assert.Equal(packs.Select(RepositoryNames.IndexOf).Order(StringComparer.Ordinal), Names(t["repo"], "pack-*.index"));
        var referenced = Names(t["repo"], "*.snapshot.manifest.json")
            .SelectMany(n => BackupManifest.TryParse(File.ReadAllBytes(Path.Combine(t["repo"], n)), out _)!.Repository!.Packs.Select(p => p.Name));
        Assert.Equal(referenced.Distinct().Order(StringComparer.Ordinal), packs);
    }
}
