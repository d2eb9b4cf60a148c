using System.Net;
using System.Net.Sockets;

namespace SqliteBackup.Core.Tests.Notifications;

/// <summary>A real HTTP server on 127.0.0.1 that answers with a chosen status, or never answers at all.</summary>
public sealed class LocalHttpServer : IDisposable
{
    readonly HttpListener _listener = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public LocalHttpServer(int status = 200, bool neverAnswer = false)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; probe.Stop(); }
        Url = $"http://127.0.0.1:{port}/hook/secret-token-123?key=abc";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); } catch (Exception) { return; }
                using var reader = new StreamReader(ctx.Request.InputStream);
                string body = await reader.ReadToEndAsync();
                lock (Bodies) Bodies.Add(body);
                if (neverAnswer) continue; // hold the connection open; the client must time out
                ctx.Response.StatusCode = status;
                ctx.Response.Close();
            }
        });
    }

    public string Url { get; }
    public List<string> Bodies { get; } = [];
    public int Requests { get { lock (Bodies) return Bodies.Count; } }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Abort(); } catch (ObjectDisposedException) { }
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
