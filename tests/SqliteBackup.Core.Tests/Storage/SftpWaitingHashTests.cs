using System.Security.Cryptography;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// The hash command started beside a large upload, waiting on its input for the path, when its hash does not end as
/// planned: cancelled, out of time, or never asked for. What runs on the server is looked at directly (the test sshd
/// is on this machine): a command the store gave up on must not go on reading a file on the server.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SftpWaitingHashTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    SftpStore Open(string directory, StoreOptions? options = null) =>
        new(new Uri(server.LocationOf(directory)), options ?? new StoreOptions { Create = true });

    /// <summary>The processes under the test sshd (sessions, their shells, what those run) whose command line holds <paramref name="marker"/>.</summary>
    List<int> ServerProcesses(string marker)
    {
        int daemon = int.Parse(File.ReadAllText(Path.Combine(server.Dir, "sshd.pid")).Trim());
        var parents = new Dictionary<int, int>();
        var lines = new Dictionary<int, string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                lines[pid] = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        }
        bool Under(int pid)
        {
            for (int i = 0; i < 64 && parents.TryGetValue(pid, out int parent); i++, pid = parent)
                if (parent == daemon) return true;
            return false;
        }
        return lines.Where(l => l.Value.Contains(marker, StringComparison.Ordinal) && Under(l.Key)).Select(l => l.Key).ToList();
    }

    /// <summary>Polls for up to <paramref name="seconds"/> until no such process is left; what is left.</summary>
    List<int> LeftAfter(string marker, double seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        List<int> left;
        while ((left = ServerProcesses(marker)).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        return left;
    }

    string SshdLog => Path.Combine(server.Dir, "sshd.log");

    string[] SignalRefusals() => File.Exists(SshdLog)
        ? File.ReadAllLines(SshdLog).Where(l => l.Contains("session signalling requires privilege separation", StringComparison.Ordinal)).ToArray()
        : [];

    /// <summary>
    /// No process that names <paramref name="marker"/> left after 5 s; else fails naming what still runs. Where sshd
    /// cannot deliver a signal (a root login has no privilege-separated session process, so OpenSSH refuses the
    /// request and logs so), that its log shows our request for the session is what can be checked.
    /// </summary>
    void AssertStopped(string marker, int refusalsBefore)
    {
        var left = LeftAfter(marker, 5);
        if (left.Count > 0 && SignalRefusals().Length > refusalsBefore) return;
        Assert.True(left.Count == 0, "still running on the server, and no signal was asked for: " + string.Join("; ", left.Select(pid =>
        {
            try { return $"{pid} [{File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Trim()[..12]}] {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}"; }
            catch (IOException) { return $"{pid} (gone)"; }
        })));
    }

    /// <summary>
    /// A named pipe where the object would be: the server's openssl blocks on it for ever, as it would read a huge
    /// file for a long time. Released at the end (a writer opens and closes it) so that nothing stays blocked.
    /// </summary>
    sealed class Fifo : IDisposable
    {
        public Fifo(string path)
        {
            Path = path;
            var (code, _, err) = Cli.Run("mkfifo", path);
            Assert.True(code == 0, err);
        }

        public string Path { get; }

        public void Dispose()
        {
            // Opening for writing without a reader would block: only while one is there (O_NONBLOCK is refused then).
            var (code, _, _) = Cli.Run("timeout", "2", "sh", "-c", $"exec 3>'{Path}'");
            _ = code;
            File.Delete(Path);
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_hash_that_runs_out_of_time_leaves_no_hashing_process_on_the_server(bool waiting)
    {
        string dir = server.NewDirectory();
        using var store = Open(dir, new StoreOptions { Create = true, RequestTimeout = TimeSpan.FromSeconds(2) });
        // A large upload starts the waiting command; a small one does not, and the hash runs a command of its own.
        var bytes = RandomNumberGenerator.GetBytes(waiting ? 24 << 20 : 1000);
        store.Put("first.db", new MemoryStream(bytes), createOnly: true);
        using var fifo = new Fifo(Path.Combine(dir, "slow.db"));
        Assert.Empty(ServerProcesses(fifo.Path));

        int refusals = SignalRefusals().Length;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(store.ServiceSha256("slow.db", 1));
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.5, 20);
        Assert.Contains("Timeout", store.ServiceHashUnavailable);
        // Given up on, the command is stopped: not left to read the whole file on the server for nobody.
        AssertStopped(fifo.Path, refusals);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_hash_cancelled_while_the_server_hashes_leaves_no_hashing_process_on_the_server(bool waiting)
    {
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var bytes = RandomNumberGenerator.GetBytes(waiting ? 24 << 20 : 1000);
        store.Put("first.db", new MemoryStream(bytes), createOnly: true);
        using var fifo = new Fifo(Path.Combine(dir, "slow.db"));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        int refusals = SignalRefusals().Length;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => store.ServiceSha256("slow.db", 1, cts.Token));
        Assert.InRange(watch.Elapsed.TotalSeconds, 1, 20);
        AssertStopped(fifo.Path, refusals);
    }

    [SkippableFact]
    public void A_store_disposed_with_a_hash_command_waiting_leaves_no_shell_on_the_server()
    {
        string dir = server.NewDirectory();
        var store = Open(dir);
        store.Put("big.db", new MemoryStream(RandomNumberGenerator.GetBytes(24 << 20)), createOnly: true);
        // The waiting command is the only one that reads its path from its input.
        var waiting = ServerProcesses("IFS= read -r f");
        for (int i = 0; i < 50 && waiting.Count == 0; i++, Thread.Sleep(100)) waiting = ServerProcesses("IFS= read -r f");
        Assert.NotEmpty(waiting);
        store.Dispose();
        Assert.Empty(LeftAfter("IFS= read -r f", 5).Intersect(waiting));
    }
    [SkippableTheory]
    [InlineData("cut")]
    [InlineData("silent")]
    public void A_link_lost_while_the_command_waits_gives_the_right_hash_or_none_and_never_hangs(string how)
    {
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        server.TrustHop(hop.Port);
        var options = new StoreOptions { Create = true, Timeout = TimeSpan.FromSeconds(8), RequestTimeout = TimeSpan.FromSeconds(2), StallTimeout = TimeSpan.FromSeconds(2) };
        using var store = new SftpStore(new Uri($"sftp://{server.User}@127.0.0.1:{hop.Port}{dir}"), options);
        var bytes = RandomNumberGenerator.GetBytes(24 << 20);
        store.Put("big.db", new MemoryStream(bytes), createOnly: true);
        Assert.True(store.HashConnectionOpenedEarly);
        // Lost between the upload and its hash: a cut (both ends reset) or a link gone silent (nothing answers).
        if (how == "cut") hop.CutAll(); else hop.Silent = true;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        string? hash = store.ServiceSha256("big.db", bytes.Length);
        hop.Silent = false;
        // Never another answer than the file's; none at all is fine (the caller then reads the object back).
        if (hash != null) Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), hash);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 20);
    }
    [SkippableFact]
    public void Large_uploads_in_parallel_then_hashes_in_parallel_and_out_of_order_each_get_their_own_files_hash()
    {
        // As a repository's packs are written: several uploads on one store at once, each starting a waiting command
        // where none waits yet, and their hashes asked in another order, some at the same time.
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var objects = Enumerable.Range(0, 4).Select(i => (Name: $"pack{i}.db", Bytes: RandomNumberGenerator.GetBytes((10 + i) << 20))).ToArray();
        Parallel.ForEach(objects, new ParallelOptions { MaxDegreeOfParallelism = 4 }, o => store.Put(o.Name, new MemoryStream(o.Bytes), createOnly: true));
        for (int round = 0; round < 2; round++)
        {
            var hashes = new System.Collections.Concurrent.ConcurrentDictionary<string, string?>();
            Parallel.ForEach(objects.Reverse(), new ParallelOptions { MaxDegreeOfParallelism = 4 }, o => hashes[o.Name] = store.ServiceSha256(o.Name, o.Bytes.Length));
            foreach (var o in objects) Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(o.Bytes)), hashes[o.Name]);
            // One more upload on the open connection starts another waiting command, which one of the next hashes takes.
            store.Put($"more{round}.db", new MemoryStream(RandomNumberGenerator.GetBytes(9 << 20)), createOnly: true);
        }
        Assert.Null(store.ServiceHashUnavailable);
        Assert.InRange(store.HashesByWaitingCommand, 1, 3);
    }
}
