using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Azure;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// How long a store waits: a server that accepts connections and never answers is given up on within the operation's
/// limit, whatever the back end; a transfer that keeps moving is never cut for its length. Limits here are small to
/// keep the tests fast; the defaults are asserted on their own.
/// </summary>
public sealed class StoreTimeoutTests
{
    internal static readonly StoreOptions Small = new()
    {
        Timeout = TimeSpan.FromSeconds(3), RequestTimeout = TimeSpan.FromSeconds(1), StallTimeout = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public void By_default_a_silent_server_is_given_up_on_within_about_two_minutes()
    {
        var o = new StoreOptions();
        Assert.Equal(TimeSpan.FromSeconds(120), o.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), o.RequestLimit());
        Assert.Equal(TimeSpan.FromSeconds(60), o.StallLimit());
        // A smaller total limit caps the others.
        var tight = new StoreOptions { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(TimeSpan.FromSeconds(5), tight.RequestLimit());
        Assert.Equal(TimeSpan.FromSeconds(5), tight.StallLimit());
    }

    [Fact]
    public void A_silent_s3_server_is_unavailable_within_the_operations_limit_and_the_message_says_how_long_and_how_to_change_it()
    {
        using var silent = Silent(out int port);
        var endpoint = $"http://127.0.0.1:{port}";
        using var store = new S3Store(new Uri($"s3://bucket/p?endpoint={Uri.EscapeDataString(endpoint)}"), Small with { UserName = "KEY", Secret = "not-a-real-secret" });
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SqliteBackupException>(() => store.List());
        watch.Stop();
        Assert.Equal("StoreUnavailable", e.ErrorId);
        // Retried (1 s per request) until the next attempt would pass 3 s, not five attempts of the request limit.
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.9, 4.5);
        AssertSaysHowLong(e);
        Assert.DoesNotContain("not-a-real-secret", e.ToString());
    }

    [Fact]
    public void A_retry_whose_attempt_could_not_finish_within_what_is_left_of_the_operations_limit_is_not_started()
    {
        // 2.5 s in all, 1 s per request: every attempt starts with at least 1 s left (so by 1.5 s), and the operation
        // ends when its last attempt gives up, not when the total limit cuts a retry started too late.
        using var silent = new CountingSilentServer();
        using var store = new S3Store(new Uri($"s3://bucket/p?endpoint=http://127.0.0.1:{silent.Port}"),
            Small with { Timeout = TimeSpan.FromSeconds(2.5), UserName = "KEY", Secret = "not-a-real-secret" });
        AssertNoLateAttempt(silent, () => store.List());
    }

    [Fact]
    public void An_azure_retry_whose_attempt_could_not_finish_within_what_is_left_is_not_started()
    {
        using var silent = new CountingSilentServer();
        using var store = new AzureStore(new Uri($"azure+http://127.0.0.1:{silent.Port}/devstoreaccount1/cont/p"),
            Small with { Timeout = TimeSpan.FromSeconds(2.5), UserName = "devstoreaccount1", Secret = Convert.ToBase64String(new byte[64]) });
        AssertNoLateAttempt(silent, () => store.List());
    }

    static void AssertNoLateAttempt(CountingSilentServer silent, Action operation)
    {
        // The limit counts from the operation's start: the store's construction (the SDK's first JIT, seconds on a
        // loaded machine) is not part of it, so neither the attempts nor the end are timed from the server's start.
        silent.Since.Restart();
        var e = Assert.Throws<SqliteBackupException>(operation);
        var elapsed = silent.Since.Elapsed;
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.NotEmpty(silent.Accepted);
        Assert.All(silent.Accepted, at => Assert.True(at.TotalSeconds <= 1.5 + 0.2, $"an attempt started at {at.TotalSeconds:0.00} s, with under 1 s of the 2.5 s left"));
        // Ends once its last attempt gives up (by 2.5 s), with room for a loaded 2-core machine to notice (3.006 s was
        // seen while a build and a Ceph cluster ran beside it); a further 1 s attempt would end past 3.5 s.
        Assert.InRange(elapsed.TotalSeconds, 0.9, 3.45);
        Assert.Contains("with no further attempt started: less than one request's 1 s was left of the operation's limit", e.Message);
        Assert.Matches(@"gave up after \d+(\.\d)? s", e.Message);
        Assert.Contains("-TimeoutSec", e.Message);
        Assert.DoesNotContain("not-a-real-secret", e.ToString());
    }

    /// <summary>Accepts every connection, counts it, and never answers.</summary>
    sealed class CountingSilentServer : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly List<TcpClient> _held = [];
        readonly Task _loop;

        public CountingSilentServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = Task.Run(async () =>
            {
                while (true)
                {
                    try { var c = await _listener.AcceptTcpClientAsync(); lock (_held) { _held.Add(c); _accepted.Add(Since.Elapsed); } }
                    catch (Exception) { return; }
                }
            });
        }

        public int Port { get; }
        /// <summary>Started with the server: the clock the accepts are timed by.</summary>
        public Stopwatch Since { get; } = Stopwatch.StartNew();
        /// <summary>When each connection (an attempt) was accepted.</summary>
        public List<TimeSpan> Accepted { get { lock (_held) return [.. _accepted]; } }
        readonly List<TimeSpan> _accepted = [];

        public void Dispose()
        {
            _listener.Stop();
            _loop.Wait(TimeSpan.FromSeconds(5));
            lock (_held) foreach (var c in _held) c.Dispose();
        }
    }

    [Fact]
    public void A_silent_azure_server_is_unavailable_within_the_operations_limit()
    {
        using var silent = Silent(out int port);
        using var store = new AzureStore(new Uri($"azure+http://127.0.0.1:{port}/devstoreaccount1/cont/p"),
            Small with { UserName = "devstoreaccount1", Secret = Convert.ToBase64String(new byte[64]) });
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SqliteBackupException>(() => store.List());
        watch.Stop();
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.9, 4.5);
        AssertSaysHowLong(e);
    }

    [Fact]
    public void A_silent_s3_server_during_an_upload_is_stopped_by_the_stall_limit()
    {
        using var silent = Silent(out int port);
        using var store = new S3Store(new Uri($"s3://bucket/p?endpoint=http://127.0.0.1:{port}"), Small with { UserName = "KEY", Secret = "s" });
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SqliteBackupException>(() => store.Put("x.db.zst", new MemoryStream(new byte[1 << 20]), createOnly: false));
        watch.Stop();
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.Contains("abandoned", e.Message);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 10);
    }

    [Fact]
    public void A_slow_upload_that_keeps_moving_is_not_cut_for_taking_longer_than_every_limit()
    {
        // 8 MiB read by the server at about 1.6 MB/s: over 5 s, past the 4 s total, request and stall limits, and
        // never 4 s without a byte moving (the bounded send buffer drains in about 1.3 s; margin for a loaded machine). The server's receive window is small, so what the client's reads of the
        // body show is the server's pace plus at most its bounded send buffer (TransferConnections).
        var body = RandomNumberGenerator.GetBytes(8 << 20);
        using var server = new TricklingS3(bytesPerTick: 48 << 10, tick: TimeSpan.FromMilliseconds(30));
        var limits = new StoreOptions
        {
            Timeout = TimeSpan.FromSeconds(4), RequestTimeout = TimeSpan.FromSeconds(4), StallTimeout = TimeSpan.FromSeconds(4),
            UserName = "KEY", Secret = "s",
        };
        using var store = new S3Store(new Uri(server.Location), limits);
        var watch = Stopwatch.StartNew();
        store.Put("slow.db.zst", new MemoryStream(body), createOnly: false);
        watch.Stop();
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(4.5), $"the upload took {watch.Elapsed}: the server did not throttle it");
        // The body as sent (aws-chunked framing adds its signatures around the bytes).
        Assert.InRange(server.Received, body.Length, body.Length + (64 << 10));
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public void Server_errors_are_still_retried_within_the_limit()
    {
        using var server = new TricklingS3(bytesPerTick: 1 << 20, tick: TimeSpan.Zero, failFirst: 2);
        // The SDK's backoff between attempts moves no byte: the stall limit covers it (20 s at most, the default is 60 s).
        using var store = new S3Store(new Uri(server.Location), Small with { Timeout = TimeSpan.FromSeconds(10), StallTimeout = TimeSpan.FromSeconds(5), UserName = "KEY", Secret = "s" });
        try { store.Put("x.db.zst", new MemoryStream(new byte[1000]), createOnly: false); }
        catch (SqliteBackupException e) { throw new Xunit.Sdk.XunitException($"{server.Requests} requests: {e.Message}"); }
        Assert.Equal(3, server.Requests);
    }

    internal static void AssertSaysHowLong(SqliteBackupException e)
    {
        Assert.Matches(@"gave up after \d+(\.\d)? s", e.Message);
        Assert.Matches(@"limits: \d+ s per operation", e.Message);
        Assert.Contains("-TimeoutSec", e.Message);
        Assert.Contains("timeout_sec", e.Message);
    }

    /// <summary>Accepts connections (the kernel's backlog) and never answers.</summary>
    internal static TcpListener Silent(out int port)
    {
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        port = ((IPEndPoint)silent.LocalEndpoint).Port;
        return silent;
    }

    /// <summary>
    /// An S3 PUT endpoint that reads request bodies slowly (a throttled link), optionally answering the first requests
    /// with 503 SlowDown, and answers with the body's MD5 as its ETag. Its own threads, blocking I/O: on the thread pool,
    /// other tests blocking it in a full run delayed its reads by seconds, which the client rightly took for a stall.
    /// </summary>
    sealed class TricklingS3 : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly CancellationTokenSource _stop = new();
        readonly Thread _loop;
        int _requests, _failures;
        long _received;

        public TricklingS3(int bytesPerTick, TimeSpan tick, int failFirst = 0)
        {
            _failures = failFirst;
            _listener.Server.ReceiveBufferSize = 16 << 10;
            _listener.Start();
            Location = $"s3://bucket/p?endpoint=http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            _loop = new Thread(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    Socket socket;
                    try { socket = _listener.AcceptSocket(); } catch (Exception) { return; }
                    new Thread(() => Serve(socket, bytesPerTick, tick)) { IsBackground = true }.Start();
                }
            }) { IsBackground = true };
            _loop.Start();
        }

        public string Location { get; }
        public int Requests => Volatile.Read(ref _requests);
        public long Received => Interlocked.Read(ref _received);

        void Serve(Socket socket, int bytesPerTick, TimeSpan tick)
        {
            using var _ = socket;
            using var stream = new NetworkStream(socket);
            try
            {
                while (true)
                {
                    var head = ReadHead(stream);
                    if (head == null) return;
                    Interlocked.Increment(ref _requests);
                    long length = 0;
                    bool expect = false;
                    foreach (var line in head.Split("\r\n"))
                    {
                        if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = long.Parse(line[15..].Trim());
                        if (line.StartsWith("Expect:", StringComparison.OrdinalIgnoreCase)) expect = true;
                    }
                    if (expect) stream.Write("HTTP/1.1 100 Continue\r\n\r\n"u8);
                    using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                    var buffer = new byte[bytesPerTick];
                    long left = length, got = 0;
                    while (left > 0)
                    {
                        int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                        if (n == 0) return;
                        md5.AppendData(buffer, 0, n);
                        left -= n;
                        got += n;
                        if (tick > TimeSpan.Zero) Thread.Sleep(tick);
                    }
                    string answer;
                    if (Interlocked.Decrement(ref _failures) >= 0)
                    {
                        var error = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>scripted</Message></Error>";
                        answer = $"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: {Encoding.UTF8.GetByteCount(error)}\r\n\r\n{error}";
                    }
                    else
                    {
                        Interlocked.Exchange(ref _received, got);
                        answer = $"HTTP/1.1 200 OK\r\nETag: \"{Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant()}\"\r\nContent-Length: 0\r\n\r\n";
                    }
                    stream.Write(Encoding.ASCII.GetBytes(answer));
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        }

        static string? ReadHead(NetworkStream stream)
        {
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (stream.Read(one) == 0) return null;
                head.Append((char)one[0]);
            }
            return head.ToString();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _loop.Join(TimeSpan.FromSeconds(5));
        }
    }
}

/// <summary>In the sshd collection: the key directory override it sets is shared by the SFTP tests.</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpTimeoutTests
{
    [Fact]
    public void A_silent_sftp_server_is_unavailable_within_the_request_limit()
    {
        using var silent = StoreTimeoutTests.Silent(out int port);
        using var keys = new TempDir();
        SftpConnector.SshDirectoryOverride = keys.Path; // no key files: a password, which is never sent here
        SqliteBackupException e;
        var watch = Stopwatch.StartNew();
        try
        {
            using var store = new SftpStore(new Uri($"sftp://u@127.0.0.1:{port}/srv"), StoreTimeoutTests.Small with { Timeout = TimeSpan.FromSeconds(30), Secret = "pw" });
            e = Assert.Throws<SqliteBackupException>(() => store.List());
        }
        finally { SftpConnector.SshDirectoryOverride = null; }
        watch.Stop();
        Assert.Equal("StoreUnavailable", e.ErrorId);
        // The handshake is a small request: its 1 s limit for each of the five attempts (with 0.1-1.6 s between them),
        // not the operation's 30 s.
        Assert.Contains("5 attempts, each on a new connection", e.Message);
        Assert.InRange(watch.Elapsed.TotalSeconds, 4.5, 12);
        StoreTimeoutTests.AssertSaysHowLong(e);
    }
}
