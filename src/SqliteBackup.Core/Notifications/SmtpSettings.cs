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

    public string? ResolvePassword() => Password ?? (PasswordVariable is { } v ? Environment.GetEnvironmentVariable(v) : null);

    public override string ToString() => $"{Host}:{Port} ({Security}{(UserName != null ? ", as " + UserName : "")})";
}
