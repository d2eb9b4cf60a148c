using System.Net.Sockets;
using Renci.SshNet.Common;

namespace SqliteBackup.Core.Storage.Sftp;

/// <summary>
/// When an SFTP operation is tried again, on a new connection: only after a failure of the connection itself (refused,
/// reset, lost, silent), never after an answer (a refused login, a changed host key, a denied path), and only while
/// the operation's total limit leaves room for a whole attempt (<see cref="OperationBudget"/>), as the S3 and Azure
/// stores' retries do. SSH.NET has no retry of its own.
/// </summary>
static class SftpRetries
{
    /// <summary>As the S3 and Azure stores: five attempts at most.</summary>
    internal const int MaxRetries = 4;

    /// <summary>A failure of the connection, not an answer of the server: worth one more connection.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        SshAuthenticationException => false,
        SshOperationTimeoutException or SshConnectionException or SocketException => true,
        IOException { InnerException: SocketException } => true,
        _ => false,
    };

    /// <summary>The wait before retry <paramref name="retry"/> (1-based), fitted to what is left of the operation's limit.</summary>
    public static TimeSpan Backoff(int retry, OperationBudget budget) => budget.FitBackoff(Storage.Backoff.Doubling(retry));
}
