# Descriptions of parameters that several cmdlets share (the -Notify family). A cmdlet's own help file wins.
@{
    Parameters = @{
        LiteralPath    = 'Like -Path, but taken exactly as written: no character is a wildcard, so a file named app[1].db is found. Alias PSPath: objects from Get-ChildItem and Get-Item bind here, as on the provider cmdlets. Alias LP.'
        Notify         = 'Where to report the outcome: http(s):// URLs (a JSON POST, 10 s timeout, three attempts on 5xx or no answer), mailto:address (SMTP, see -SmtpServer), or the absolute path of a program (run without a shell, the outcome in SQLITEBACKUP_* environment variables). A failing notification is logged as NotificationFailed and a warning; it never fails the command.'
        NotifyOn       = 'Failure (default): notify only when something failed. Always: also on success.'
        SmtpServer     = 'SMTP server for mailto: targets.'
        SmtpPort       = 'SMTP port (default 587).'
        SmtpFrom       = 'Sender address (default sqlitebackup@<machine name>).'
        SmtpSecurity   = 'Auto (STARTTLS when offered, default; a login needs it), None, StartTls or Tls (TLS on connect, usually port 465).'
        SmtpCredential = 'SMTP login. The password stays in memory; it is never logged or written anywhere, and it is only sent over TLS (STARTTLS or Tls): with Auto and a server that offers no STARTTLS, or with None, the login is refused (SmtpPlainTextAuthRefused, a warning) unless -SmtpAllowPlainTextAuth.'
        SmtpAllowPlainTextAuth = 'Allow -SmtpCredential to be sent over a connection without TLS (in clear text). Only for a trusted path, such as a relay on localhost. Configuration key: smtp_allow_plaintext_auth.'
        ScratchPath    = 'Folder for the decompressed copy that Standard and Full verification (and the restore test) check. Default: a hidden .sqlitebackup-<pid>-<id>.tmp folder beside the backup, so the check needs free space on the backup''s own disk (about the raw size of the database), not in /tmp; if no folder can be created beside the backup (read-only, no permission) the system temporary directory is used and a verbose line says so. A chosen folder is created if missing and never silently replaced. Folders left by killed checks are removed by the next check. A check that finds no room or no permission here is Inconclusive, never Failed.'
        AllowInsecureDirectory = 'Use a backup directory that users other than its owner and root can write (group- or world-writable, including sticky ones such as /tmp, or inside a parent anyone can write without the sticky bit). Refused by default with InsecureBackupDirectory, like OpenSSH''s StrictModes: whoever can write there could plant backups that rotation acts on and restore believes. Even with this switch, manifests and backup files not owned by root, the directory''s owner or you are ignored. A job configuration says the same with "allow_insecure_directory": true.'
    }
}
