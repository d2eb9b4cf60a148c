using System.Net.Sockets;
using Renci.SshNet.Common;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.Sftp;

/// <summary>SSH.NET's exceptions as errors a user can act on; the library never puts a key or passphrase in them.</summary>
static class SftpFailures
{
    /// <summary>Null for what is not a store failure (our own errors, a cancellation the caller asked for, a failing source).</summary>
    public static SqliteBackupException? Map(Exception e, string location, CancellationToken ct, string? waited = null)
    {
        if (e is SqliteBackupException or SourceFailedException || ct.IsCancellationRequested) return null;
        switch (e)
        {
            case SshAuthenticationException:
                return BackupErrors.SftpAccessDenied(location, $"the server refused the login ({e.Message}); check the user, that the key's public half is in the server's authorized_keys, and the key file (SQLITEBACKUP_SFTP_IDENTITY)", e);
            case SftpPermissionDeniedException:
                return BackupErrors.SftpAccessDenied(location, $"the server denied the operation ({e.Message}); the user needs to list, read, write, rename and delete in that directory", e);
            case SshOperationTimeoutException:
                return BackupErrors.SftpUnavailable(location, $"the server did not answer in time ({e.Message}){(waited == null ? "" : "; " + waited)}", e);
            case SocketException s:
                return BackupErrors.SftpUnavailable(location, $"the connection failed ({s.SocketErrorCode}: {s.Message}){(waited == null ? "" : "; " + waited)}", e);
            case SshConnectionException:
                return BackupErrors.SftpUnavailable(location, $"the connection was lost or refused ({e.Message}){(waited == null ? "" : "; " + waited)}", e);
            case ProxyException:
                return BackupErrors.SftpUnavailable(location, e.Message, e);
            case SftpPathNotFoundException:
                return BackupErrors.SftpLocationNotFound(location, $"the server has no such path ({e.Message})", e);
            case SshException:
                return BackupErrors.SftpRequestFailed(location, $"the server answered: {e.Message}", e);
            case IOException when e.InnerException is SocketException:
                return BackupErrors.SftpUnavailable(location, $"the connection failed ({e.Message}){(waited == null ? "" : "; " + waited)}", e);
        }
        return null;
    }
}
