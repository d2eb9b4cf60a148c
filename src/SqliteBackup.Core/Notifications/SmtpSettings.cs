namespace SqliteBackup.Core.Notifications;

public enum SmtpSecurity
{
    /// <summary>STARTTLS when the server offers it.</summary>
    Auto,
    None,
    StartTls,
    /// <summary>TLS from the first byte (usually port 465).</summary>
    Tls,
}

/// <summary>
/// How to reach the mail server. The password is held only in memory, taken from a PSCredential or from the
/// environment variable named by <see cref="PasswordVariable"/>; it is never written to a log, manifest or file.
/// </summary>
public sealed record SmtpSettings(string Host, int Port = 587, string From = "sqlitebackup@localhost")
{
    public SmtpSecurity Security { get; init; } = SmtpSecurity.Auto;
    public string? UserName { get; init; }
    public string? PasswordVariable { get; init; }
    public string? Password { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Lets a password go to the server over a connection without TLS (Security None, or Auto when the server offers no
    /// STARTTLS). Off by default: anyone on the path reads an SMTP password sent in clear.
    /// </summary>
    public bool AllowPlainTextAuth { get; init; }

    public string? ResolvePassword() => Password ?? (PasswordVariable is { } v ? Environment.GetEnvironmentVariable(v) : null);

    public override string ToString() => $"{Host}:{Port} ({Security}{(UserName != null ? ", as " + UserName : "")})";
}
