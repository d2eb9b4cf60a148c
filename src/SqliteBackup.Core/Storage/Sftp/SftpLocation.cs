using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.Sftp;

/// <summary>
/// sftp://user@host:port/path. The path is absolute on the server, as curl and rclone read it; "/~/path" is relative
/// to the login directory. No password lives in a location: keys (and their passphrase) or a -Credential do. The one
/// query, <c>?fsync=true</c>, asks for every object to be flushed to the server's disk (<see cref="Fsync"/>).
/// </summary>
public sealed record SftpLocation(string User, string Host, int Port, string Directory, bool Fsync = false)
{
    /// <summary>The location as messages show it (no secret can be in it).</summary>
    public string Text => $"sftp://{User}@{HostText}{(Port == 22 ? "" : ":" + Port)}{(Directory.StartsWith('/') ? Directory : "/~/" + Directory)}".TrimEnd('/');

    string HostText => Host.Contains(':') ? $"[{Host}]" : Host;

    /// <summary>The path of an object; the caller has checked the name is flat.</summary>
    public string PathOf(string name) => Directory.Length == 0 ? name : Directory.TrimEnd('/') + "/" + name;

    /// <param name="userName">The credential's user name, used when the location names none.</param>
    public static SftpLocation Parse(Uri uri, string? userName = null)
    {
        string shown = StoreText.Redact(uri.OriginalString);
        if (!uri.Scheme.Equals("sftp", StringComparison.OrdinalIgnoreCase)) throw BackupErrors.SftpLocationInvalid(shown, "the scheme is not sftp://");
        if (uri.UserInfo.Contains(':'))
            throw BackupErrors.SftpLocationInvalid(shown, "a password does not belong in the location; use a key file (SQLITEBACKUP_SFTP_IDENTITY or ~/.ssh/id_ed25519), or a user and password credential");
        bool fsync = uri.Query.TrimStart('?').ToLowerInvariant() switch
        {
            "" or "fsync=false" or "fsync=0" => false,
            "fsync=true" or "fsync=1" => true,
            _ => throw BackupErrors.SftpLocationInvalid(shown, "an sftp:// location takes no query but ?fsync=true"),
        };
        string user = uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo) : userName ?? Environment.UserName;
        string host = uri.IdnHost.Trim('[', ']');
        if (host.Length == 0) throw BackupErrors.SftpLocationInvalid(shown, "it names no host (sftp://user@host:port/path)");
        int port = uri.IsDefaultPort || uri.Port < 0 ? 22 : uri.Port;

        // As written: System.Uri would quietly resolve "/srv/../etc" to "/etc".
        string written = uri.OriginalString.Split('?')[0];
        int slash = written.IndexOf('/', written.IndexOf("://", StringComparison.Ordinal) + 3);
        string path = slash < 0 ? "/" : Uri.UnescapeDataString(written[slash..]);
        bool home = path == "/~" || path.StartsWith("/~/", StringComparison.Ordinal);
        string rest = (home ? path[2..] : path).Trim('/');
        if (rest.Split('/').Any(p => p is "." or ".." || (p.Length == 0 && rest.Length > 0)))
            // Shown as written (no password or query is left in it by now): the resolved path would hide the '..'.
            throw BackupErrors.SftpLocationInvalid(written, "the path has an empty, '.' or '..' segment");
        if (rest.Length == 0 && !home) throw BackupErrors.SftpLocationInvalid(shown, "it names no directory (sftp://user@host/path, or /~/path under the login directory)");
        return new SftpLocation(user, host, port, home ? rest : "/" + rest, fsync);
    }
}
