using System.Net;
using System.Net.Sockets;
using System.Text;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Azure;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// Which answers are retried. Azurite cannot be made to throttle or fail on cue, so a fault injector on 127.0.0.1
/// answers a script of Azure error answers, then an empty listing; everything else is tested on Azurite.
/// </summary>
public sealed class AzureRetryTests
{
    static readonly StoreOptions Keys = new() { UserName = "devstoreaccount1", Secret = Convert.ToBase64String(new byte[64]) };

    [Theory]
    [InlineData(503, "ServerBusy")]
    [InlineData(500, "InternalError")]
    public void Throttling_and_server_errors_are_retried_with_backoff_until_they_pass(int status, string code)
    {
        using var server = new ScriptedAzure(Enumerable.Repeat((status, code), 2));
        using var store = new AzureStore(new Uri(server.Location), Keys);
        Assert.Empty(store.List());
        Assert.Equal(3, server.Requests);
    }

    [Theory]
    [InlineData(403, "AuthenticationFailed", "StoreAccessDenied")]
    [InlineData(400, "InvalidQueryParameterValue", "StoreRequestFailed")]
    [InlineData(404, "ContainerNotFound", "StoreLocationNotFound")]
    public void Client_errors_are_not_retried(int status, string code, string errorId)
    {
        using var server = new ScriptedAzure([(status, code)]);
        using var store = new AzureStore(new Uri(server.Location), Keys);
        Assert.Equal(errorId, Assert.Throws<SqliteBackupException>(() => store.List()).ErrorId);
        Assert.Equal(1, server.Requests);
    }

    sealed class ScriptedAzure : IDisposable
    {
        readonly HttpListener _listener = new();
        readonly Task _loop;
        int _requests;

        public ScriptedAzure(IEnumerable<(int Status, string Code)> script)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
            Location = $"azure+http://127.0.0.1:{port}/devstoreaccount1/c-scripted/p";
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
                        ctx.Response.Headers["x-ms-error-code"] = a.Code;
                        body = $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{a.Code}</Code><Message>scripted</Message></Error>";
                    }
                    else
                    {
                        body = $"<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1:{port}/devstoreaccount1/\" ContainerName=\"c-scripted\"><Prefix>p/</Prefix><Delimiter>/</Delimiter><Blobs /><NextMarker /></EnumerationResults>";
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
