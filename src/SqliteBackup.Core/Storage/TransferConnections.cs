using System.Net;
using System.Net.Sockets;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// HTTP connections for data transfers whose send buffer is bounded. A <see cref="StallWatch"/> sees a request body
/// move when the HTTP client reads it, i.e. when the kernel takes it; Linux grows a socket's send buffer up to 4 MiB,
/// so over a slow link the last megabytes of a part would drain for minutes with nothing read, and a moving upload
/// would look stalled. With at most <see cref="SendBuffer"/> (the kernel doubles it) queued, a link down to about
/// 2 MiB per stall limit (35 KB/s at 60 s) still shows movement, while one connection still fills ~20 MB/s at a
/// 100 ms round trip; uploads keep several parts on the wire at once.
/// </summary>
static class TransferConnections
{
    internal const int SendBuffer = 1 << 20;

    public static SocketsHttpHandler Handler(TimeSpan connectTimeout) => new()
    {
        ConnectTimeout = connectTimeout,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendBufferSize = SendBuffer };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
