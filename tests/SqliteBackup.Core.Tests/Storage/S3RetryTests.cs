using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// Which answers are retried. A real server cannot be made to throttle or fail on cue, so a fault injector on
/// 127.0.0.1 answers a script of S3 error documents, then an empty listing; everything else is tested on radosgw.
/// </summary>
public sealed class S3RetryTests
{
    static readonly StoreOptions Keys = new() { UserName = "KEY", Secret = "not-a-real-secret" };

    [Theory]
    [InlineData(503, "SlowDown")]
    [InlineData(500, "InternalError")]
    public void Throttling_and_server_errors_are_retried_with_backoff_until_they_pass(int status, string code)
    {
        using var server = new ScriptedS3(Enumerable.Repeat((status, code), 2));
        using var store = new S3Store(new Uri(server.Location), Keys);
        Assert.Empty(store.List());
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public void A_server_that_keeps_failing_is_unavailable_after_a_bounded_number_of_attempts()
    {
        using var server = new ScriptedS3(Enumerable.Repeat((503, "SlowDown"), 100));
        using var store = new S3Store(new Uri(server.Location), Keys);
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SqliteBackupException>(() => store.List());
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.Contains("503 SlowDown", e.Message);
        Assert.Equal(5, server.Requests);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 25);
    }

    [Theory]
    [InlineData(403, "AccessDenied", "StoreAccessDenied")]
    [InlineData(400, "InvalidArgument", "StoreRequestFailed")]
    [InlineData(404, "NoSuchBucket", "StoreLocationNotFound")]
    public void Client_errors_are_not_retried(int status, string code, string errorId)
    {
        using var server = new ScriptedS3([(status, code)]);
        using var store = new S3Store(new Uri(server.Location), Keys);
        Assert.Equal(errorId, Assert.Throws<SqliteBackupException>(() => store.List()).ErrorId);
        Assert.Equal(1, server.Requests);
    }

    sealed class ScriptedS3 : IDisposable
    {
        readonly HttpListener _listener = new();
        readonly Task _loop;
        int _requests;

        public ScriptedS3(IEnumerable<(int Status, string Code)> script)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
            Location = $"s3://bucket/p?endpoint=http://127.0.0.1:{port}";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            var answers = new Queue<(int Status, string Code)>(script);
            _loop = Task.Run(async () =>
            {
                while (true)
                {
                    HttpListenerContext ctx;
                    try { ctx = await _listener.GetContextAsync(); } catch (Exception) { return; }
                    Interlocked.Increment(ref _requests);
                    string body;
                    if (answers.TryDequeue(out var a))
                    {
                        ctx.Response.StatusCode = a.Status;
                        body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{a.Code}</Code><Message>scripted</Message><RequestId>r</RequestId></Error>";
                    }
                    else
                    {
                        body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket</Name><Prefix>p/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated></ListBucketResult>";
                    }
                    var bytes = Encoding.UTF8.GetBytes(body);
                    ctx.Response.ContentType = "application/xml";
                    ctx.Response.ContentLength64 = bytes.Length;
                    await ctx.Response.OutputStream.WriteAsync(bytes);
                    ctx.Response.Close();
                }
            });
        }

        public string Location { get; }
        public int Requests => Volatile.Read(ref _requests);

        public void Dispose()
        {
            try { _listener.Abort(); } catch (ObjectDisposedException) { }
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
