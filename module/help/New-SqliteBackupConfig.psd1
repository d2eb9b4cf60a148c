@{
    Synopsis    = 'Writes the "backup" section of a JSON configuration file for scheduled backup jobs.'
    Description = @(
        'New-SqliteBackupConfig writes a configuration with sensible defaults: daily at 02:00, backups in ./backups beside the file, zstd, Standard verification, a weekly restore test, retention of 30 daily, 12 weekly and 12 monthly backups, and the backup log in the backup directory.'
        'The configuration may be an application''s own settings file: other top-level sections are kept. Paths you type are resolved against your current location and written relative to the configuration file''s folder (or absolute when outside it), because the job resolves them against that folder, never against the scheduler''s working directory.'
        'The result is read back and validated; a database that does not exist yet is a warning here and an error when the job runs.'
        'With -Recipient (and -IdentityFile or -IdentityVariable) or -PassphraseVariable/-PassphraseFile the job encrypts every backup it takes in the age format. The file names where the keys come from, never a key or passphrase, so it may be shown and named on a scheduled command line; the job reads them when it runs.'
    )
    Parameters  = @{
        Service          = 'Application services (systemd units, or Windows display names) whose every stop takes a Shutdown backup once Register-BackupSchedule registers the configuration; written as "services".'
        Path             = 'The configuration file to write. An existing file keeps its other sections.'
        Database         = 'The database file(s) the job backs up. Wildcards are expanded now (./data/*.db), passing over -wal, -shm and -journal files and folders; a wildcard that matches nothing writes nothing (PathWildcardNoMatch). A path without wildcards may name a database that does not exist yet (a warning).'
        BackupPath       = 'Where backups go (default ./backups beside the configuration file); backup_directory in the file. Alias -BackupDirectory.'
        At               = 'The daily time (24-hour HH:mm, default 02:00) used by Register-BackupSchedule; backup_time in the file. Alias -BackupTime.'
        Compression      = 'Zstd (default), Gzip or None.'
        VerificationLevel = 'Quick, Standard (default) or Full verification of each new backup. Alias -Verification.'
        KeepLast         = 'The last n backups to keep (retention_last; default 0, the rule off). The Keep* counts mean what they mean for Invoke-BackupRotation: -1 keeps all, 0 turns the rule off.'
        KeepHourly       = 'Hourly backups to keep (retention_hours; default 0).'
        KeepDaily        = 'Daily backups to keep (retention_days; default 30). Alias -RetentionDays.'
        KeepWeekly       = 'Weekly backups to keep (retention_weeks; default 12). Alias -RetentionWeeks.'
        KeepMonthly      = 'Monthly backups to keep (retention_months; default 12). Alias -RetentionMonths.'
        KeepYearly       = 'Yearly backups to keep (retention_years; default 0).'
        BackupOnShutdown = 'Record that a backup should also run at shutdown; Register-BackupSchedule installs the trigger where the scheduler supports one.'
        NoRestoreTest    = 'Turn off the weekly restore test.'
        LogFile          = 'The backup log (JSON Lines). Default: sqlitebackup-log.jsonl in the backup directory.'
        ScratchPath      = 'Written as scratch_directory: where verification and the restore test decompress. Default (unset): a hidden folder beside the backups, falling back to the system temporary directory when the backup folder cannot take it.'
        Force            = 'Replace an existing "backup" section.'
        Recipient        = 'Encrypt every backup the job takes (compress, then age) to these age public keys (age1..., from New-SqliteBackupKey or age-keygen), for example an operator key and an offline recovery key; written as encryption.recipients. Needs -IdentityFile or -IdentityVariable. Each key is checked now; a secret key (AGE-SECRET-KEY-...) is refused and never written.'
        IdentityFile     = 'With -Recipient: the job''s own age identity file (encryption.identity_file), read when the job runs. It signs each manifest, and opens the job''s backups for Standard/Full verification and the weekly restore test, so its public key belongs among the recipients. Only the path is written; a file that does not exist or that others may read is a warning here and, when missing, a failure that alerts when the job runs.'
        IdentityVariable = 'With -Recipient: the name (not the value) of the environment variable that holds the job''s identity when it runs (encryption.identity_env), instead of -IdentityFile.'
        PassphraseVariable = 'Passphrase mode instead of -Recipient: the name (not the value) of the environment variable that holds the passphrase when the job runs (encryption.passphrase_env). Unset or empty at run time: the job writes nothing, logs JobFailed (EncryptionPassphraseMissing) and alerts.'
        PassphraseFile   = 'Passphrase mode: a file readable by the job''s user only (chmod 600) holding the passphrase (encryption.passphrase_file; one trailing line end is ignored), instead of -PassphraseVariable. Only the path is written.'
        TrustedWriter    = 'With -Recipient: public keys of other writers whose backups the restore test accepts (encryption.trusted_writers), for example the key the job used before a key change.'
    }
    Inputs      = @(@{ Type = 'None'; Description = 'Nothing from the pipeline.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Jobs.BackupJobConfig'; Description = 'The configuration as the job will read it, with absolute paths.' })
    Examples    = @(
        @{ Code = 'New-SqliteBackupConfig ./backup.json -Database ./app.db'; Remarks = 'A configuration for app.db with the defaults.' }
        @{ Code = 'New-SqliteBackupConfig /srv/app/appsettings.json -Database /srv/app/app.db -BackupPath /backups/app -At 03:30 -VerificationLevel Full -Force'; Remarks = 'Adds (or replaces) the backup section of an application''s settings file.' }
        @{ Code = 'New-SqliteBackupConfig ./backup.json -Database ./app.db -Recipient (New-SqliteBackupKey ~/.config/sqlitebackup/job.key).Recipient, $recoveryPublicKey -IdentityFile ~/.config/sqlitebackup/job.key'; Remarks = 'Every backup is encrypted to the job''s key and an offline recovery key; the job''s key verifies and restore-tests them.' }
        @{ Code = 'New-SqliteBackupConfig ./backup.json -Database ./app.db -PassphraseVariable BACKUP_PASSPHRASE'; Remarks = 'Passphrase mode: the job reads the passphrase from $env:BACKUP_PASSPHRASE when it runs (a systemd EnvironmentFile=, the crontab''s variables).' }
    )
    Links       = @('Get-SqliteBackupConfig', 'Invoke-SqliteBackupJob', 'New-SqliteBackupKey')
}
