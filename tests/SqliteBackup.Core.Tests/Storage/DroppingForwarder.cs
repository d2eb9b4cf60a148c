using System.Net;
using System.Net.Sockets;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// A TCP hop on 127.0.0.1 in front of a real server, standing for the network between: it closes the first
/// <c>dropFirst</c> connections as soon as they arrive (a refused or reset path), forwards the others byte for byte,
/// and can cut every forwarded connection at once (a dropped link between two operations, or in the middle of one).
/// With <see cref="ReplyDelay"/> the server's answers travel late (a long link), so that a cut can land after the server
/// acted on a request and before its answer arrived.
/// </summary>
sealed class DroppingForwarder : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly int _target;
    readonly List<TcpClient> _open = [];
    int _accepted;
    int _dropFirst;

    public DroppingForwarder(int targetPort, int dropFirst)
    {
        _target = targetPort;
        _dropFirst = dropFirst;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    /// <summary>How long what the server sends is held before it is forwarded; a cut meanwhile loses it.</summary>
    public TimeSpan ReplyDelay { get; set; }

    /// <summary>Where set, asked for each piece the server sends, instead of <see cref="ReplyDelay"/>.</summary>
    public Func<TimeSpan>? ReplyDelayRule { get; set; }

    /// <summary>While set, nothing is forwarded either way and the connections stay open (a link gone silent).</summary>
    public bool Silent { get; set; }

    /// <summary>Connections that reached the hop, dropped or forwarded.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>From now on, drops the next <paramref name="count"/> connections (int.MaxValue: all).</summary>
    public void DropNext(int count) => Volatile.Write(ref _dropFirst, _accepted + count < 0 ? int.MaxValue : _accepted + count);

    /// <summary>Closes every connection forwarded so far, both sides, with a reset.</summary>
    public void CutAll()
    {
        lock (_open)
        {
            foreach (var c in _open)
            {
                try { c.Client.LingerState = new LingerOption(true, 0); c.Close(); } catch (Exception) { }
            }
            _open.Clear();
        }
    }

    async Task AcceptLoop()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); }
            catch (Exception) { return; }
            int n = Interlocked.Increment(ref _accepted);
            if (n <= Volatile.Read(ref _dropFirst))
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Close();
                continue;
            }
            var server = new TcpClient();
            try { await server.ConnectAsync(IPAddress.Loopback, _target); }
            catch (Exception) { client.Close(); server.Dispose(); continue; }
            lock (_open) { _open.Add(client); _open.Add(server); }
            _ = Pump(client, server, () => TimeSpan.Zero, () => Silent);
            _ = Pump(server, client, () => ReplyDelayRule?.Invoke() ?? ReplyDelay, () => Silent);
        }
    }

    static async Task Pump(TcpClient from, TcpClient to, Func<TimeSpan> delay, Func<bool> silent)
    {
        var buffer = new byte[81920];
        try
        {
            var a = from.GetStream();
            var b = to.GetStream();
            int n;
            while ((n = await a.ReadAsync(buffer)) > 0)
            {
                if (delay() is { Ticks: > 0 } late) await Task.Delay(late);
                if (!silent()) await b.WriteAsync(buffer.AsMemory(0, n));
            }
        }
        catch (Exception) { }
        try { from.Close(); } catch (Exception) { }
        try { to.Close(); } catch (Exception) { }
    }

    public void Dispose()
    {
        _listener.Stop();
        CutAll();
    }
}
