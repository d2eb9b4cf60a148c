# Descriptions of parameters that several cmdlets share (the -Notify family). A cmdlet's own help file wins.
@{
    Parameters = @{
        Notify         = 'Where to report the outcome: http(s):// URLs (a JSON POST, 10 s timeout, three attempts on 5xx or no answer), mailto:address (SMTP, see -SmtpServer), or the absolute path of a program (run without a shell, the outcome in SQLITEBACKUP_* environment variables). A failing notification is logged as NotificationFailed and a warning; it never fails the command.'
        NotifyOn       = 'Failure (default): notify only when something failed. Always: also on success.'
        SmtpServer     = 'SMTP server for mailto: targets.'
        SmtpPort       = 'SMTP port (default 587).'
        SmtpFrom       = 'Sender address (default sqlitebackup@<machine name>).'
        SmtpSecurity   = 'Auto (STARTTLS when offered, default; a login needs it), None, StartTls or Tls (TLS on connect, usually port 465).'
        SmtpCredential = 'SMTP login. The password stays in memory; it is never logged or written anywhere, and it is only sent over TLS (STARTTLS or Tls): with Auto and a server that offers no STARTTLS, or with None, the login is refused (SmtpPlainTextAuthRefused, a warning) unless -SmtpAllowPlainTextAuth.'
        SmtpAllowPlainTextAuth = 'Allow -SmtpCredential to be sent over a connection without TLS (in clear text). Only for a trusted path, such as a relay on localhost. Configuration key: smtp_allow_plaintext_auth.'
    }
}
